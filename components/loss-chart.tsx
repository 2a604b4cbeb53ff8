'use client';
// The live loss chart: raw train loss (faint), its smoothed curve (bold), validation loss points, and the learning
// rate on a right axis; below it the gradient norm. Controls: smoothing, log scale, metrics as CSV or JSON. Data
// arrives batched per animation frame by the store.
import { useId, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatLoss, formatLr } from '@/lib/format';
import { metricsCsv, metricsJson } from '@/lib/runs/compare';
import { chartRows, lossDomain } from '@/lib/stores/chart-rows';
import { saveBytes } from '@/lib/stores/download';
import { LOSS_SMOOTHING } from '@/lib/stores/smoothing';
import type { EvalPoint, LossPoint } from '@/lib/stores/studio-reducer';
import { useStudio } from './studio-provider';
import { Button, focusRing } from './ui';

const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

export function LossChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const [smoothing, setSmoothing] = useState(LOSS_SMOOTHING);
  const [log, setLog] = useState(false);
  const rows = useMemo(() => chartRows(points, evals, smoothing), [points, evals, smoothing]);
  const domain = useMemo(() => lossDomain(rows, log), [rows, log]);
  const first = points.find((p) => p.smoothed !== null)?.smoothed;
  const last = points.length > 0 ? points[points.length - 1].smoothed : null;
  const xDomain = [0, Math.max(1, totalSteps, rows.length > 0 ? rows[rows.length - 1].step : 0)];

  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 text-sm font-medium">
        <span>Loss</span>
        <ChartControls smoothing={smoothing} onSmoothing={setSmoothing} log={log} onLog={setLog} points={points} evals={evals} />
      </figcaption>
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
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} syncId="training">
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={xDomain} allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" />
          <YAxis
            yAxisId="loss" scale={log ? 'log' : 'linear'} domain={domain ?? ['auto', 'auto']} allowDataOverflow={log}
            tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)}
          />
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
      <GradNormChart rows={rows} xDomain={xDomain} />
    </figure>
  );
}

/** The gradient norm per step (before clipping), in its own small pane: spikes show instability early. */
function GradNormChart({ rows, xDomain }: { rows: ReturnType<typeof chartRows>; xDomain: number[] }) {
  const any = rows.some((r) => r.gradNorm !== undefined);
  return (
    <div data-testid="grad-norm-chart" role="img" aria-label={any ? 'Gradient norm per step.' : 'Gradient norm; empty until training starts.'} className="h-36 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800">
      <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }} margin={{ top: 4, right: 8, bottom: 0, left: 0 }} syncId="training">
        <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" domain={xDomain} allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" />
        <YAxis domain={[0, 'auto']} tick={axisTick} stroke="var(--chart-grid)" width={48} tickFormatter={(v: number) => v.toFixed(2)} />
        <Tooltip
          isAnimationActive={false}
          contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }}
          labelFormatter={(step) => `step ${String(step)}`}
          formatter={(value) => [typeof value === 'number' ? value.toPrecision(4) : String(value), 'gradient norm']}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line dataKey="gradNorm" name="gradient norm" stroke="var(--chart-lr)" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls />
      </LineChart>
    </div>
  );
}

interface ControlsProps {
  smoothing: number;
  onSmoothing: (v: number) => void;
  log: boolean;
  onLog: (v: boolean) => void;
  points: LossPoint[];
  evals: EvalPoint[];
}

/** Smoothing (the moving average's weight, 0 = raw), log scale, and the metrics so far as CSV or JSON. */
function ChartControls({ smoothing, onSmoothing, log, onLog, points, evals }: ControlsProps) {
  const id = useId();
  const save = (kind: 'csv' | 'json') => {
    const steps = points.map((p) => ({ runId: '', step: p.step, loss: p.loss, lr: p.lr, gradNorm: p.gradNorm }));
    const vals = evals.map((e) => ({ runId: '', step: e.step, valLoss: e.valLoss }));
    const text = kind === 'csv' ? metricsCsv(steps, vals) : metricsJson(steps, vals);
    saveBytes(`training-metrics.${kind}`, new TextEncoder().encode(text).buffer as ArrayBuffer, kind === 'csv' ? 'text/csv' : 'application/json');
  };
  return (
    <span className="flex flex-wrap items-center gap-x-4 gap-y-1 font-normal">
      <label htmlFor={`${id}-smooth`} className="flex items-center gap-2 text-xs">
        Smoothing
        <input
          id={`${id}-smooth`} type="range" min={0} max={0.99} step={0.01} value={smoothing}
          onChange={(e) => onSmoothing(Number(e.target.value))} data-testid="chart-smoothing" className={`w-24 accent-indigo-600 ${focusRing}`}
        />
        <span className="w-8 tabular-nums">{smoothing.toFixed(2)}</span>
      </label>
      <label className="flex items-center gap-2 text-xs">
        <input type="checkbox" checked={log} onChange={(e) => onLog(e.target.checked)} data-testid="chart-log-scale" className={`accent-indigo-600 ${focusRing}`} />
        Log scale
      </label>
      <span className="flex gap-1">
        <Button className="py-0.5 text-xs" onClick={() => save('csv')} disabled={points.length === 0} data-testid="chart-download-csv" aria-label="Download the metrics as CSV">CSV</Button>
        <Button className="py-0.5 text-xs" onClick={() => save('json')} disabled={points.length === 0} data-testid="chart-download-json" aria-label="Download the metrics as JSON">JSON</Button>
      </span>
    </span>
  );
}
