'use client';
// The live RL chart of a GRPO, RLOO or PPO run: mean reward of the sampled answers (and on validation prompts),
// KL to the reference and sampling entropy (left axis), mean answer length in tokens (right axis). Hidden for
// other runs.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { rlRows } from '@/lib/stores/rl-rows';
import { useStudio } from './studio-provider';

const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

export function RlChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const rows = useMemo(() => rlRows(points, evals), [points, evals]);
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1];
  const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));

  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="text-sm font-medium">Reinforcement learning</figcaption>
      <div
        data-testid="rl-chart"
        data-points={rows.length}
        data-last-reward={last.reward ?? ''}
        data-last-kl={last.kl ?? ''}
        role="img"
        aria-label={`RL over ${rows.length} steps: mean reward ${fmt(last.reward)}, KL ${fmt(last.kl)}, entropy ${fmt(last.entropy)}, answer length ${fmt(last.length)} tokens.`}
        className="h-72 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800"
      >
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={[0, Math.max(1, totalSteps, last.step)]} allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" />
          <YAxis yAxisId="value" domain={['auto', 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)} />
          <YAxis yAxisId="length" orientation="right" domain={[0, 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={40} allowDecimals={false} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }}
            labelFormatter={(step) => `step ${String(step)}`}
            formatter={(value, name) => [typeof value === 'number' ? value.toFixed(3) : String(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line yAxisId="value" dataKey="reward" name="mean reward" stroke="var(--chart-loss)" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="value" dataKey="valReward" name="validation reward" stroke="var(--chart-val)" strokeDasharray="4 3" dot={{ r: 3 }} isAnimationActive={false} connectNulls />
          <Line yAxisId="value" dataKey="kl" name="KL" stroke="var(--chart-lr)" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="value" dataKey="entropy" name="entropy" stroke="var(--chart-text)" strokeWidth={1} strokeDasharray="2 2" dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="length" dataKey="length" name="answer length" stroke="var(--chart-val)" strokeWidth={1} dot={false} isAnimationActive={false} connectNulls />
        </LineChart>
      </div>
    </figure>
  );
}
