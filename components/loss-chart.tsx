'use client';
// The live loss chart: raw train loss (faint), its smoothed curve (bold), validation loss points,
// and the learning rate on a right axis. Data arrives batched per animation frame by the store.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatLoss, formatLr } from '@/lib/format';
import { chartRows } from '@/lib/stores/chart-rows';
import { useStudio } from './studio-provider';

const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

export function LossChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const rows = useMemo(() => chartRows(points, evals), [points, evals]);
  const first = points.find((p) => p.smoothed !== null)?.smoothed;
  const last = points.length > 0 ? points[points.length - 1].smoothed : null;

  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="text-sm font-medium">Loss</figcaption>
      <div
        data-testid="loss-chart"
        data-points={points.length}
        data-first-smoothed={first ?? ''}
        data-last-smoothed={last ?? ''}
        role="img"
        aria-label={
          points.length > 0
            ? `Loss curve over ${points.length} steps; smoothed loss from ${formatLoss(first)} to ${formatLoss(last)}.`
            : 'Loss curve; empty until training starts.'
        }
        className="relative h-80 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800"
      >
        {/* The chart stays mounted from page load, so its first (slow) render never lands mid-run. */}
        {rows.length === 0 && (
          <p className="absolute inset-0 flex items-center justify-center text-sm text-zinc-500 dark:text-zinc-400">
            The loss curve appears here once training starts.
          </p>
        )}
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="step"
            type="number"
            domain={[0, Math.max(1, totalSteps, rows.length > 0 ? rows[rows.length - 1].step : 0)]}
            allowDecimals={false}
            tick={axisTick}
            stroke="var(--chart-grid)"
          />
          <YAxis yAxisId="loss" domain={['auto', 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)} />
          <YAxis yAxisId="lr" orientation="right" domain={[0, 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={52} tickFormatter={(v: number) => formatLr(v)} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }}
            labelFormatter={(step) => `step ${String(step)}`}
            formatter={(value, name) => [typeof value === 'number' ? (name === 'learning rate' ? formatLr(value) : formatLoss(value)) : String(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line yAxisId="loss" dataKey="loss" name="train loss" stroke="var(--chart-loss)" strokeOpacity={0.3} strokeWidth={1} dot={false} isAnimationActive={false} connectNulls />
          <Line yAxisId="loss" dataKey="smoothed" name="smoothed" stroke="var(--chart-loss)" strokeWidth={2.5} dot={false} isAnimationActive={false} connectNulls />
          <Line
            yAxisId="loss"
            dataKey="valLoss"
            name="validation loss"
            stroke="var(--chart-val)"
            strokeWidth={1.5}
            strokeDasharray="4 3"
            dot={{ r: 3, fill: 'var(--chart-val)' }}
            isAnimationActive={false}
            connectNulls
          />
          <Line yAxisId="lr" dataKey="lr" name="learning rate" stroke="var(--chart-lr)" strokeWidth={1} strokeDasharray="2 2" dot={false} isAnimationActive={false} connectNulls />
        </LineChart>
      </div>
    </figure>
  );
}
