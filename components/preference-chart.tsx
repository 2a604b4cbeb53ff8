'use client';
// The live preference chart of a DPO-family, KTO or reward-model run: mean rewards of the chosen and rejected
// answers and their margin (left axis), and the share of pairs ranked right, on training steps and validation
// pairs (right axis, 0 to 1). Hidden for supervised runs.
import { useMemo } from 'react';
import { preferenceRows } from '@/lib/stores/preference-rows';
import { fmtMetric as fmt, MetricChart, type MetricLine } from './metric-chart';
import { useStudio } from './studio-provider';

const LINES: MetricLine[] = [
  { key: 'chosen', name: 'reward chosen', axis: 'left', stroke: 'var(--chart-loss)', width: 2 },
  { key: 'rejected', name: 'reward rejected', axis: 'left', stroke: 'var(--chart-val)', width: 2 },
  { key: 'margin', name: 'margin', axis: 'left', stroke: 'var(--chart-lr)' },
  { key: 'accuracy', name: 'accuracy', axis: 'right', stroke: 'var(--chart-text)', width: 1, dash: '2 2' },
  { key: 'valAccuracy', name: 'validation accuracy', axis: 'right', stroke: 'var(--chart-val)', width: 1, dash: '4 3', dots: true },
];

export function PreferenceChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const rows = useMemo(() => preferenceRows(points, evals), [points, evals]);
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1];
  return (
    <MetricChart
      title="Preferences" testId="preference-chart" rows={rows} totalSteps={totalSteps} lines={LINES} right={{ domain: [0, 1] }}
      data={{ 'last-margin': last.margin ?? '', 'last-accuracy': last.accuracy ?? '' }}
      label={`Rewards over ${rows.length} steps: chosen ${fmt(last.chosen)}, rejected ${fmt(last.rejected)}, margin ${fmt(last.margin)}, accuracy ${fmt(last.accuracy)}.`}
    />
  );
}
