'use client';
// The live preference chart of a DPO-family, KTO or reward-model run: mean rewards of the chosen and rejected
// answers and their margin (left axis), and the share of pairs ranked right, on training steps and validation
// pairs (right axis, 0 to 1). Hidden for supervised runs.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { preferenceRows } from '@/lib/stores/preference-rows';
import { useStudio } from './studio-provider';

const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

export function PreferenceChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const rows = useMemo(() => preferenceRows(points, evals), [points, evals]);
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1];
  const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));

  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="text-sm font-medium">Preferences</figcaption>
      <div
        data-testid="preference-chart"
        data-points={rows.length}
        data-last-margin={last.margin ?? ''}
        data-last-accuracy={last.accuracy ?? ''}
        role="img"
        aria-label={`Rewards over ${rows.length} steps: chosen ${fmt(last.chosen)}, rejected ${fmt(last.rejected)}, margin ${fmt(last.margin)}, accuracy ${fmt(last.accuracy)}.`}
        className="h-72 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800"
      >
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={[0, Math.max(1, totalSteps, last.step)]} allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" />
          <YAxis yAxisId="reward" domain={['auto', 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)} />
          <YAxis yAxisId="acc" orientation="right" domain={[0, 1]} tick={axisTick} stroke="var(--chart-grid)" width={40} tickFormatter={(v: number) => v.toFixed(1)} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }}
            labelFormatter={(step) => `step ${String(step)}`}
            formatter={(value, name) => [typeof value === 'number' ? value.toFixed(3) : String(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line yAxisId="reward" dataKey="chosen" name="reward chosen" stroke="var(--chart-loss)" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="reward" dataKey="rejected" name="reward rejected" stroke="var(--chart-val)" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="reward" dataKey="margin" name="margin" stroke="var(--chart-lr)" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="acc" dataKey="accuracy" name="accuracy" stroke="var(--chart-text)" strokeWidth={1} strokeDasharray="2 2" dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="acc" dataKey="valAccuracy" name="validation accuracy" stroke="var(--chart-val)" strokeDasharray="4 3" dot={{ r: 3 }} isAnimationActive={false} connectNulls />
        </LineChart>
      </div>
    </figure>
  );
}
