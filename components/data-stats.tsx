'use client';
// Statistics of the cleaned data with the chosen template and tokenizer: records, tokens, a length histogram,
// tokens per role, the share cut at the sequence length, a time estimate, and the packing switch with what it saves.
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount, formatDuration, plural } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Checkbox, Note, Stat, SubSection } from './ui';

const axisTick = { fill: 'var(--chart-text)', fontSize: 11 };
const ROLES = ['system', 'user', 'assistant', 'function_call', 'observation', 'template'] as const;

export function DataStats() {
  const report = useStudio((s) => s.data.report);
  const packingOn = useStudio((s) => s.data.choices.packing);
  const actions = useActions();
  if (!report) return null;
  const { stats, packing } = report;
  const roles = ROLES.filter((r) => stats.perRole[r] > 0);
  const roleTotal = roles.reduce((a, r) => a + stats.perRole[r], 0) || 1;
  const bins = stats.histogram.map((b) => ({ range: `${b.from}–${b.to - 1}`, count: b.count }));
  return (
    <SubSection title="Statistics" testId="data-stats">
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        <Stat label="Records after cleaning" value={stats.records.toLocaleString('en-US')} testId="stat-records" />
        <Stat label="Tokens" value={formatCount(stats.tokens.total)} testId="stat-tokens" />
        <Stat label="Mean / max per record" value={`${Math.round(stats.tokens.mean)} / ${stats.tokens.max}`} testId="stat-mean-max" />
        <Stat label="Tokens that carry loss" value={formatCount(stats.lossTokens)} testId="stat-loss-tokens" />
      </dl>
      <div className="grid gap-4 md:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <figure className="flex flex-col gap-1">
          <figcaption className="text-xs text-zinc-600 dark:text-zinc-400">Record length in tokens (records per bin)</figcaption>
          <div className="h-40 w-full" role="img" aria-label={`Histogram of record lengths from ${stats.tokens.min} to ${stats.tokens.max} tokens`} data-testid="length-histogram">
            <BarChart responsive data={bins} style={{ width: '100%', height: '100%' }} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="range" tick={axisTick} stroke="var(--chart-grid)" interval="preserveStartEnd" />
              <YAxis allowDecimals={false} tick={axisTick} stroke="var(--chart-grid)" width={36} />
              <Tooltip isAnimationActive={false} contentStyle={{ background: 'var(--chart-tooltip-bg)', borderColor: 'var(--chart-grid)', fontSize: 12 }} />
              <Bar dataKey="count" name="records" fill="var(--chart-loss)" isAnimationActive={false} />
            </BarChart>
          </div>
        </figure>
        <div className="flex flex-col gap-2 text-sm">
          <h4 className="text-xs text-zinc-600 dark:text-zinc-400">Tokens per role</h4>
          <ul className="flex flex-col gap-1" data-testid="stat-roles">
            {roles.map((r) => (
              <li key={r} className="flex items-center gap-2">
                <span className="w-24 shrink-0 text-xs">{r === 'template' ? 'template text' : r}</span>
                <span className="h-2 rounded-full bg-indigo-500 dark:bg-indigo-400" style={{ width: `${Math.max(2, (stats.perRole[r] / roleTotal) * 60)}%` }} aria-hidden />
                <span className="text-xs tabular-nums">{formatCount(stats.perRole[r])}</span>
              </li>
            ))}
          </ul>
          <p data-testid="stat-truncated">
            {plural(stats.truncated, 'record')} ({(stats.truncatedShare * 100).toFixed(1)}%) longer than the sequence length of {stats.seqLen}: they are cut.
          </p>
          {stats.estimate ? (
            <p data-testid="stat-estimate">
              One pass over the data takes about {formatDuration(stats.estimate.seconds * 1000)} at the last run&apos;s {Math.round(stats.estimate.tokensPerSec)} tokens/s.
            </p>
          ) : (
            <Note>Train once to measure this machine&apos;s speed; a time estimate for one pass appears then.</Note>
          )}
        </div>
      </div>
      <div className="rounded-md bg-zinc-50 px-3 py-2 text-sm dark:bg-zinc-800/50" data-testid="packing-stats">
        <Checkbox
          checked={packingOn}
          onChange={actions.setPacking}
          testId="packing"
          label={<><span className="font-medium">Pack short examples</span> into rows of {stats.seqLen} tokens</>}
          help={<>
            Puts the {plural(packing.examples, 'training example')} into {plural(packing.rows, 'row')} and removes{' '}
            {(packing.paddingSavedShare * 100).toFixed(0)}% of the padding ({formatCount(packing.paddingBefore)} → {formatCount(packing.paddingAfter)} pad tokens).
            Attention and positions stay inside each example, so each learns as if alone; validation is not packed.
          </>}
        />
      </div>
    </SubSection>
  );
}
