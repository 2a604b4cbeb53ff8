'use client';
// The Runs view: every run stored in this browser with its status and curve, rename, delete (freeing its
// storage), metrics download (CSV, JSON), and a comparison of chosen runs (overlaid curves on a linear or log
// scale, learning-rate and gradient-norm panes, the settings they differ in). Storage used and quota on top.
import '@/lib/zod-jitless';
import { useEffect, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from 'zustand';
import { formatBytes, formatLoss } from '@/lib/format';
import { saveBytes } from '@/lib/stores/download';
import { compareDiff, createRunsStore, type RunView } from '@/lib/stores/runs-store';
import { Badge, Button, Checkbox } from './ui';

const COLOURS = ['var(--chart-loss)', 'var(--chart-val)', 'var(--chart-lr)', '#a855f7', '#14b8a6', '#f97316'];
const axisTick = { fill: 'var(--chart-text)', fontSize: 12 };

/** A run's loss as a small inline curve (no axes). */
function Sparkline({ run }: { run: RunView }) {
  const pts = run.steps.filter((p) => Number.isFinite(p.loss));
  if (pts.length < 2) return <span className="text-xs text-zinc-500">no curve yet</span>;
  const lo = Math.min(...pts.map((p) => p.loss));
  const hi = Math.max(...pts.map((p) => p.loss));
  const last = pts[pts.length - 1].step;
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${((p.step / last) * 120).toFixed(1)},${(30 - ((p.loss - lo) / Math.max(1e-9, hi - lo)) * 28 - 1).toFixed(1)}`).join(' ');
  return (
    <svg width={120} height={30} role="img" aria-label={`loss from ${formatLoss(pts[0].loss)} to ${formatLoss(pts[pts.length - 1].loss)}`}>
      <path d={d} fill="none" stroke="var(--chart-loss)" strokeWidth={1.5} />
    </svg>
  );
}

type Pane = 'loss' | 'lr' | 'gradNorm';

/** Overlaid curves of the compared runs for one quantity (validation loss dashed on the loss pane). */
function ComparePane({ runs, pane, log }: { runs: RunView[]; pane: Pane; log: boolean }) {
  const rows = useMemo(() => {
    const byStep = new Map<number, Record<string, number>>();
    runs.forEach((r, i) => {
      for (const p of r.steps) byStep.set(p.step, { ...(byStep.get(p.step) ?? { step: p.step }), [`r${i}`]: p[pane] });
      if (pane === 'loss') for (const e of r.evals) byStep.set(e.step, { ...(byStep.get(e.step) ?? { step: e.step }), [`v${i}`]: e.valLoss });
    });
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }, [runs, pane]);
  const label = { loss: 'loss', lr: 'learning rate', gradNorm: 'gradient norm' }[pane];
  return (
    <figure className="flex flex-col gap-1" data-testid={`compare-${pane}`}>
      <figcaption className="text-sm font-medium">{label}</figcaption>
      <div className="h-56 w-full rounded-lg border border-zinc-200 p-2 dark:border-zinc-800">
        <LineChart responsive data={rows} style={{ width: '100%', height: '100%' }}>
          <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" tick={axisTick} allowDecimals={false} />
          <YAxis scale={log && pane !== 'lr' ? 'log' : 'auto'} domain={['auto', 'auto']} tick={axisTick} width={56} allowDataOverflow />
          <Tooltip isAnimationActive={false} labelFormatter={(s) => `step ${String(s)}`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {runs.map((r, i) => (
            <Line key={r.id} dataKey={`r${i}`} name={r.name} stroke={COLOURS[i % COLOURS.length]} dot={false} isAnimationActive={false} connectNulls />
          ))}
          {pane === 'loss' &&
            runs.map((r, i) => (
              <Line key={`${r.id}-val`} dataKey={`v${i}`} name={`${r.name} (validation)`} stroke={COLOURS[i % COLOURS.length]} strokeDasharray="4 3" dot={{ r: 2 }} isAnimationActive={false} connectNulls />
            ))}
        </LineChart>
      </div>
    </figure>
  );
}

function RunRow({ run, comparing, onCompare, onRename, onDelete, onDownload }: {
  run: RunView; comparing: boolean; onCompare: () => void; onRename: (name: string) => void; onDelete: () => void; onDownload: (kind: 'csv' | 'json' | 'checkpoint') => void;
}) {
  const [name, setName] = useState(run.name);
  return (
    <li className="flex flex-wrap items-center gap-3 border-b border-zinc-200 py-3 dark:border-zinc-800" data-testid="run-row" data-run-id={run.id} data-status={run.status}>
      <Checkbox checked={comparing} onChange={onCompare} label="" testId="run-compare" />
      <input aria-label="Run name" className="min-w-48 flex-1 rounded border border-zinc-300 bg-transparent px-2 py-1 text-sm dark:border-zinc-700" value={name}
        onChange={(e) => setName(e.target.value)} onBlur={() => name !== run.name && onRename(name)} data-testid="run-name" />
      <Badge tone={run.status === 'done' ? 'accent' : run.status === 'interrupted' || run.status === 'failed' ? 'warn' : 'neutral'} testId="run-status">{run.status}</Badge>
      <span className="text-xs text-zinc-500" data-testid="run-steps">
        step {run.step} of {run.config.steps}
        {run.checkpointStep !== null ? ` · checkpoint at ${run.checkpointStep} (${formatBytes(run.checkpointBytes)})` : ''}
        {run.bestStep !== null ? ` · best at ${run.bestStep}` : ''}
      </span>
      {(run.forgetting || run.test) && (
        <span className="text-xs text-zinc-500" data-testid="run-scores">
          {run.forgetting ? `general-text perplexity ${run.forgetting.change >= 0 ? '+' : '−'}${Math.abs(run.forgetting.change * 100).toFixed(1)}% (replay ${run.forgetting.replayShare > 0 ? `${Math.round(run.forgetting.replayShare * 100)}%` : 'off'})` : ''}
          {run.forgetting && run.test ? ' · ' : ''}
          {run.test ? `test loss ${formatLoss(run.test.loss)}${run.test.exactMatch === null ? '' : `, exact match ${(run.test.exactMatch * 100).toFixed(0)}%`}` : ''}
        </span>
      )}
      <Sparkline run={run} />
      <Button onClick={() => onDownload('csv')} data-testid="run-csv">CSV</Button>
      <Button onClick={() => onDownload('json')}>JSON</Button>
      {run.checkpointStep !== null && <Button onClick={() => onDownload('checkpoint')} data-testid="run-checkpoint">Checkpoint</Button>}
      {run.live ? (
        <span className="text-xs text-zinc-500" data-testid="run-live">
          {run.status === 'paused' ? 'paused in an open studio tab' : 'training in an open studio tab'}
        </span>
      ) : (
        run.checkpointStep !== null && run.status !== 'done' && run.status !== 'running' && (
          <a href={`/?resume=${encodeURIComponent(run.id)}`} className="text-sm underline" data-testid="run-resume">Resume</a>
        )
      )}
      <Button onClick={onDelete} data-testid="run-delete">Delete</Button>
      {run.error && <p className="w-full text-xs text-red-600">{run.error}</p>}
    </li>
  );
}

const LIVE_REFRESH_MS = 3000;

export function RunsView() {
  const [store] = useState(() => createRunsStore());
  const s = useStore(store);
  const [log, setLog] = useState(false);
  useEffect(() => {
    void store.getState().actions.refresh();
  }, [store]);
  // A run some tab is training: its row follows the stored steps and shows when it ends.
  const live = s.runs.some((r) => r.status === 'running' || r.status === 'paused');
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => void store.getState().actions.refresh(), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [store, live]);
  const { runs: compared, diff } = compareDiff(s);
  const download = (id: string, kind: 'csv' | 'json' | 'checkpoint') => {
    if (kind === 'checkpoint') {
      void s.actions.checkpointFile(id).then((z) => z && saveBytes(z.fileName, z.bytes, 'application/zip'));
      return;
    }
    const f = s.actions.metricsFile(id, kind);
    if (f) saveBytes(f.fileName, new TextEncoder().encode(f.text).buffer as ArrayBuffer, kind === 'csv' ? 'text/csv' : 'application/json');
  };
  return (
    <div className="flex flex-col gap-4" data-testid="runs-view">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-xl font-semibold">Runs</h2>
        <span className="text-sm text-zinc-500" data-testid="storage">
          {s.storage ? `${formatBytes(s.storage.usage)} used of ${formatBytes(s.storage.quota)} this browser allows` : 'Storage figures unavailable in this browser'}
          {s.checkpointKind && ` · checkpoints in ${s.checkpointKind === 'opfs' ? 'the origin private file system' : 'IndexedDB'}`}
        </span>
      </div>
      {s.error && <p className="text-sm text-red-600">{s.error}</p>}
      {s.status === 'ready' && s.runs.length === 0 && <p className="text-sm text-zinc-500">No runs yet: runs you start in the studio appear here, and stay after a reload.</p>}
      <ul>
        {s.runs.map((r) => (
          <RunRow key={r.id} run={r} comparing={s.compare.includes(r.id)} onCompare={() => s.actions.toggleCompare(r.id)}
            onRename={(n) => void s.actions.rename(r.id, n)} onDelete={() => void s.actions.remove(r.id)} onDownload={(k) => download(r.id, k)} />
        ))}
      </ul>
      {compared.length > 0 && (
        <section className="flex flex-col gap-3" data-testid="compare">
          <div className="flex items-center gap-3">
            <h3 className="font-semibold">Compare {compared.length} runs</h3>
            <Checkbox checked={log} onChange={setLog} label="log scale" testId="compare-log" />
          </div>
          <ComparePane runs={compared} pane="loss" log={log} />
          <div className="grid gap-3 sm:grid-cols-2">
            <ComparePane runs={compared} pane="lr" log={false} />
            <ComparePane runs={compared} pane="gradNorm" log={log} />
          </div>
          <table className="text-sm" data-testid="settings-diff">
            <thead><tr><th className="pr-4 text-left">setting</th>{compared.map((r) => <th key={r.id} className="pr-4 text-left">{r.name}</th>)}</tr></thead>
            <tbody>
              {diff.length === 0 && <tr><td colSpan={compared.length + 1} className="text-zinc-500">Same settings.</td></tr>}
              {diff.map((d) => <tr key={d.key}><td className="pr-4 font-mono">{d.key}</td>{d.values.map((v, i) => <td key={i} className="pr-4 font-mono">{v ?? '—'}</td>)}</tr>)}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
