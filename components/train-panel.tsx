'use client';
// Section 4, Train: start, pause, resume and stop a run, and watch its figures and loss curve.
import Link from 'next/link';
import { estimateRemainingMs, formatCount, formatDuration, formatLoss, formatLr, formatTokensPerSec } from '@/lib/format';
import { selectStartBlocker } from '@/lib/stores/studio-store';
import { methodSpec } from '@/lib/ui-copy';
import type { RunStatus } from '@/lib/stores/studio-reducer';
import { ContinueNote } from './continue-note';
import { LossChart } from './loss-chart';
import { PreferenceChart } from './preference-chart';
import { RecoveryOffer } from './resume-banner';
import { RlChart } from './rl-chart';
import { RunReport } from './run-report';
import { useActions, useStudio } from './studio-provider';
import { Alert, Badge, Button, Card, Stat } from './ui';

const STATUS_TONE: Record<RunStatus, 'neutral' | 'accent' | 'warn'> = {
  idle: 'neutral',
  loading: 'accent',
  running: 'accent',
  paused: 'warn',
  done: 'neutral',
  stopped: 'warn',
  error: 'warn',
};

export function TrainPanel() {
  const run = useStudio((s) => s.run);
  const blocker = useStudio(selectStartBlocker);
  const actions = useActions();
  const { status, last, pending } = run;
  const lastEval = run.evals.length > 0 ? run.evals[run.evals.length - 1] : null;
  const step = last?.step ?? 0;
  const total = last?.totalSteps ?? run.totalSteps;
  const remaining = status === 'running' && last ? estimateRemainingMs(last.step, last.totalSteps, last.elapsedMs) : null;

  return (
    <Card
      step={4}
      title="Train"
      description="Runs in a background worker on the chosen backend; the page stays responsive."
      aside={
        <span role="status" aria-live="polite" className="flex items-center gap-2 text-sm">
          <span className="sr-only">Training status:</span>
          <Badge tone={STATUS_TONE[status]} testId="train-status">
            {status}
          </Badge>
          {run.stored && (
            <span className="text-xs text-zinc-500" data-testid="run-stored" data-stored={run.stored}>
              {run.stored === 'saving' ? 'saving to Runs…' : <>saved in <Link href="/runs" className="underline">Runs</Link></>}
            </span>
          )}
        </span>
      }
    >
      <div className="flex flex-col gap-5">
        <ContinueNote />
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="primary" onClick={actions.start} disabled={blocker !== null} aria-describedby={blocker ? 'start-blocker' : undefined} data-testid="start">
            {status === 'done' || status === 'stopped' || status === 'error' ? 'Start again' : 'Start'}
          </Button>
          <Button onClick={actions.pause} disabled={status !== 'running' || pending !== null} data-testid="pause">
            {pending === 'pause' ? 'Pausing…' : 'Pause'}
          </Button>
          <Button onClick={actions.resume} disabled={status !== 'paused' || pending !== null} data-testid="resume">
            {pending === 'resume' ? 'Resuming…' : 'Resume'}
          </Button>
          <Button
            variant="danger"
            onClick={actions.stop}
            disabled={!(status === 'running' || status === 'paused' || status === 'loading') || pending === 'stop'}
            data-testid="stop"
            title={run.report.evaluating
              ? 'Training is over: skips the rest of the end-of-run scoring (the trained weights are kept)'
              : 'Stops after the current step and saves a checkpoint: resume it from Runs, or download it in Export'}
          >
            {pending === 'stop' ? 'Stopping…' : run.report.evaluating ? 'Skip scoring' : 'Stop and save'}
          </Button>
          {blocker && status !== 'running' && status !== 'paused' && status !== 'loading' && (
            <span id="start-blocker" data-testid="start-blocker" className="text-sm text-zinc-600 dark:text-zinc-400">
              {blocker}
            </span>
          )}
        </div>

        {run.error && <Alert testId="train-error">{run.error}</Alert>}
        {run.saveError && <Alert testId="save-error">{run.saveError}</Alert>}
        <RecoveryOffer />

        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          <Stat label="Step" value={`${step} / ${total}`} testId="step" />
          <Stat label="Last loss" value={formatLoss(last?.loss)} testId="last-loss" />
          <Stat
            label="Validation loss · ppl"
            value={lastEval ? `${formatLoss(lastEval.valLoss)} · ${lastEval.perplexity.toFixed(1)}` : '–'}
            testId="val-loss"
          />
          <Stat label="Throughput" value={last ? formatTokensPerSec(last.tokensPerSec) : '–'} testId="tokens-per-sec" />
          <Stat label="Elapsed" value={last ? formatDuration(last.elapsedMs) : '–'} testId="elapsed" />
          <Stat label="Time left" value={remaining !== null ? formatDuration(remaining) : '–'} testId="eta" />
        </dl>

        <RunFacts />
        <TruncationNote />
        <LossChart />
        <PreferenceChart />
        <RlChart />
        <RunReport />
      </div>
    </Card>
  );
}

function RunFacts() {
  const run = useStudio((s) => s.run);
  const parts: string[] = [];
  if (run.method) parts.push(methodSpec(run.method).label);
  if (run.trainableParams !== null) parts.push(`${formatCount(run.trainableParams)} trainable parameters`);
  if (run.trainExamples !== null) parts.push(`${run.trainExamples.toLocaleString('en-US')} train examples`);
  if (run.validationExamples !== null) parts.push(`${run.validationExamples.toLocaleString('en-US')} validation examples`);
  if (run.last) parts.push(`lr ${formatLr(run.last.lr)}`, `grad norm ${run.last.gradNorm.toFixed(2)}`);
  if (run.summary) parts.push(`loss ${formatLoss(run.summary.firstLoss)} → ${formatLoss(run.summary.lastLoss)}`);
  if (parts.length === 0) return null;
  return (
    <p className="text-sm text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="run-facts">
      {parts.join(' · ')}
    </p>
  );
}

/** Says when the sequence length cut records (the worker counts them), since that silently changes what is learned. */
function TruncationNote() {
  const truncated = useStudio((s) => s.run.truncated);
  const dropped = useStudio((s) => s.run.droppedNoLoss);
  if (truncated === 0 && dropped === 0) return null;
  const parts: string[] = [];
  if (truncated > 0) parts.push(`${truncated.toLocaleString('en-US')} training ${truncated === 1 ? 'record was' : 'records were'} cut to the sequence length`);
  if (dropped > 0) parts.push(`${dropped.toLocaleString('en-US')} left out because the cut removed everything to learn`);
  return (
    <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200" data-testid="truncation-note">
      {parts.join('; ')}. A longer sequence length keeps more of each record.
    </p>
  );
}
