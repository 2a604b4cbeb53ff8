'use client';
// A live chart of a run's objective metrics (the preference and RL charts): rows by step, lines on a left and a
// right axis, a caption, and data attributes and an aria label that state the last values in words.
import type { ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';

const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

export interface MetricLine {
  key: string;
  name: string;
  axis: 'left' | 'right';
  stroke: string;
  width?: number;
  dash?: string;
  dots?: boolean; // validation points
}

export interface MetricChartProps<R extends { step: number }> {
  title: ReactNode;
  testId: string;
  rows: R[];
  totalSteps: number;
  lines: MetricLine[];
  /** The right axis: its fixed domain (accuracy: [0, 1]) or from 0 up, and whether ticks are whole numbers. */
  right: { domain: [number, number | 'auto']; integer?: boolean };
  label: string;
  data: Record<string, string | number>;
}

export function MetricChart<R extends { step: number }>({ title, testId, rows, totalSteps, lines, right, label, data }: MetricChartProps<R>) {
  const last = rows[rows.length - 1];
  const attrs = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data-${k}`, v]));
  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="text-sm font-medium">{title}</figcaption>
      <div data-testid={testId} data-points={rows.length} {...attrs} role="img" aria-label={label} className="h-72 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800">
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={[0, Math.max(1, totalSteps, last?.step ?? 0)]} allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" />
          <YAxis yAxisId="left" domain={['auto', 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)} />
          <YAxis
            yAxisId="right" orientation="right" domain={right.domain} tick={axisTick} stroke="var(--chart-grid)" width={40}
            allowDecimals={!right.integer} tickFormatter={right.integer ? undefined : (v: number) => v.toFixed(1)}
          />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }}
            labelFormatter={(step) => `step ${String(step)}`}
            formatter={(value, name) => [typeof value === 'number' ? value.toFixed(3) : String(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {lines.map((l) => (
            <Line
              key={l.key} yAxisId={l.axis} dataKey={l.key} name={l.name} stroke={l.stroke} strokeWidth={l.width ?? 1.5} strokeDasharray={l.dash}
              dot={l.dots ? { r: 3 } : false} isAnimationActive={false} connectNulls
            />
          ))}
        </LineChart>
      </div>
    </figure>
  );
}

/** A metric as the aria labels write it. */
export const fmtMetric = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));
