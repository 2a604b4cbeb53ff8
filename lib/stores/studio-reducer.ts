// Pure state transitions for the worker-driven parts of the studio (model, run, export).
// The store wires these to the WorkerClient; tests drive them with plain events.
import type { Method } from '../engine/types';
import type { DownloadFigures, GpuLimits, ModelInfo, StepEvent, WorkerEvent } from '../train-worker/protocol';
import type { PlayEvent } from '../train-worker/play-protocol';
import { createEma, emaPush, emaValue, type Ema } from './smoothing';

export type ModelStatus = 'idle' | 'loading' | 'ready' | 'error';
export type RunStatus = 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'stopped' | 'error';
export type ExportStatus = 'idle' | 'exporting' | 'done' | 'error';
export type SentJob = 'load' | 'train' | 'export';

export interface ModelState {
  status: ModelStatus;
  progress: ({ stage: string; loaded: number; total: number } & DownloadFigures) | null;
  info: ModelInfo | null;
  backend: string | null; // as reported by the worker (tf.getBackend()), never the choice
  adapter: string | null;
  trainableParams: number | null;
  /** The WebGPU device's buffer limits (null on other backends or before a load). */
  limits: GpuLimits | null;
  /** Which model/backend combination the worker holds, and which one it is loading. */
  loadedKey: string | null;
  requestedKey: string | null;
  error: string | null;
}

export interface LossPoint {
  step: number;
  loss: number;
  smoothed: number | null;
  lr: number;
  gradNorm: number;
  metrics?: Record<string, number>; // preference runs: TRL's metrics of the step
}

export interface EvalPoint {
  step: number;
  valLoss: number;
  perplexity: number;
  metrics?: Record<string, number>; // preference runs: TRL's metrics on the validation pairs
}

export interface RunState {
  status: RunStatus;
  /** The method this run trains with (null before the first Start). */
  method: Method | null;
  /** The run trains a reward model (its export is a classifier folder), whatever the form says now. */
  rewardModel: boolean;
  totalSteps: number;
  points: LossPoint[];
  evals: EvalPoint[];
  ema: Ema;
  last: StepEvent | null;
  trainableParams: number | null;
  trainExamples: number | null;
  validationExamples: number | null;
  /** Training records cut to the sequence length, and those left with nothing to learn (from 'started'). */
  truncated: number;
  droppedNoLoss: number;
  summary: { steps: number; firstLoss: number; lastLoss: number } | null;
  /** Set while a pause/resume/stop request waits for the worker's answer. */
  pending: 'pause' | 'resume' | 'stop' | null;
  /** The worker has loaded another model since this run, so its weights can no longer be exported. */
  stale: boolean;
  error: string | null;
  /** Step of the run's latest checkpoint event (autosave or Stop and save), null before one. */
  checkpointStep: number | null;
  /** Why storing the run in the browser failed (e.g. the storage is full), in words. */
  saveError: string | null;
  /** After the run ends: its final status is being written to the browser's run store, or has been. */
  stored: 'saving' | 'saved' | null;
  /** End-of-run scores ('report' events): what is being scored, the test split, the forgetting meter. */
  report: RunReport;
  /** The worker died or lost its GPU under this run: the stored run and checkpoint it can resume from. */
  recovery: Recovery | null;
}

type ReportEvent = Extract<WorkerEvent, { type: 'report' }>;
export interface RunReport {
  evaluating: string | null;
  test: NonNullable<ReportEvent['test']> | null;
  forgetting: NonNullable<ReportEvent['forgetting']> | null;
  error: string | null;
}

export interface Recovery {
  /** The run's id in the browser's run store, its last checkpoint's step, and the last step reported. */
  storedId: string;
  step: number;
  reached: number;
  cause: 'crash' | 'device-lost';
}

export interface ExportState {
  status: ExportStatus;
  fileName: string | null;
  files: string[];
  size: number;
  error: string | null;
}

export interface WorkerSlices {
  model: ModelState;
  run: RunState;
  exporting: ExportState;
}

export const initialModel: ModelState = {
  status: 'idle',
  progress: null,
  info: null,
  backend: null,
  adapter: null,
  trainableParams: null,
  limits: null,
  loadedKey: null,
  requestedKey: null,
  error: null,
};

export function initialRun(status: RunStatus = 'idle', totalSteps = 0, method: Method | null = null, rewardModel = false): RunState {
  return {
    status,
    method,
    rewardModel,
    totalSteps,
    points: [],
    evals: [],
    ema: createEma(),
    last: null,
    trainableParams: null,
    trainExamples: null,
    validationExamples: null,
    truncated: 0,
    droppedNoLoss: 0,
    summary: null,
    pending: null,
    stale: false,
    error: null,
    checkpointStep: null,
    saveError: null,
    stored: null,
    report: { evaluating: null, test: null, forgetting: null, error: null },
    recovery: null,
  };
}

export const initialExport: ExportState = { status: 'idle', fileName: null, files: [], size: 0, error: null };

/** Appends a batch of step events (one animation frame's worth) in one immutable update. */
export function appendSteps(run: RunState, steps: StepEvent[]): RunState {
  if (steps.length === 0) return run;
  let ema = run.ema;
  const added: LossPoint[] = steps.map((m) => {
    ema = emaPush(ema, m.loss);
    return { step: m.step, loss: m.loss, smoothed: emaValue(ema), lr: m.lr, gradNorm: m.gradNorm, ...(m.metrics ? { metrics: m.metrics } : {}) };
  });
  const last = steps[steps.length - 1];
  return { ...run, points: run.points.concat(added), ema, last, totalSteps: last.totalSteps || run.totalSteps };
}

const ACTIVE: RunStatus[] = ['loading', 'running', 'paused'];

export function isRunActive(status: RunStatus): boolean {
  return ACTIVE.includes(status);
}

/** Applies every event except `step`, which goes through appendSteps in batches. */
export function reduceEvent(s: WorkerSlices, e: Exclude<WorkerEvent, PlayEvent>, job: SentJob | null = null): WorkerSlices {
  switch (e.type) {
    case 'progress': {
      const progress = { stage: e.stage, loaded: e.loaded, total: e.total, rate: e.rate, etaSeconds: e.etaSeconds, file: e.file };
      return { ...s, model: { ...s.model, status: 'loading', progress } };
    }
    case 'load-cancelled':
      // Back to where the person was before Load; a Start that waited for this load does not run.
      return {
        ...s,
        model: { ...s.model, status: s.model.info && s.model.loadedKey ? 'ready' : 'idle', progress: null, requestedKey: null, error: null },
        run: s.run.status === 'loading' ? initialRun() : s.run,
      };
    case 'ready':
      return {
        ...s,
        model: {
          ...s.model,
          status: 'ready',
          progress: null,
          info: e.model,
          backend: e.backend,
          adapter: e.adapter,
          trainableParams: e.trainableParams ?? null,
          limits: e.limits ?? null,
          loadedKey: s.model.requestedKey,
          error: null,
        },
      };
    case 'started':
      return {
        ...s,
        run: {
          ...s.run,
          status: 'running',
          totalSteps: e.totalSteps,
          trainableParams: e.trainableParams,
          trainExamples: e.trainExamples,
          validationExamples: e.validationExamples,
          truncated: e.truncated,
          droppedNoLoss: e.droppedNoLoss,
        },
      };
    case 'step':
      return { ...s, run: appendSteps(s.run, [e.metrics]) };
    case 'eval':
      return { ...s, run: { ...s.run, evals: s.run.evals.concat({ step: e.step, valLoss: e.valLoss, perplexity: e.perplexity, ...(e.metrics ? { metrics: e.metrics } : {}) }) } };
    case 'state':
      if (!isRunActive(s.run.status)) return s;
      return { ...s, run: { ...s.run, status: e.state, pending: null } };
    case 'done':
      return {
        ...s,
        run: {
          ...s.run,
          status: e.stopped ? 'stopped' : 'done',
          pending: null,
          report: { ...s.run.report, evaluating: null },
          summary: { steps: e.steps, firstLoss: e.firstLoss, lastLoss: e.lastLoss },
        },
      };
    case 'report': {
      const r = s.run.report;
      const report = { evaluating: e.evaluating ?? null, test: e.test ?? r.test, forgetting: e.forgetting ?? r.forgetting, error: e.error ?? r.error };
      return { ...s, run: { ...s.run, report } };
    }
    case 'checkpoint':
      return { ...s, run: { ...s.run, checkpointStep: e.step } }; // the files go to the run store (lib/runs/run-db.ts)
    case 'exported':
      return { ...s, exporting: { status: 'done', fileName: e.fileName, files: e.files, size: e.bytes.byteLength, error: null } };
    case 'error':
      // The client attributes each error to its job; an unattributable one shows in the Train section.
      return reduceError(s, job ?? (e.during === 'message' || e.during === 'play' ? 'train' : e.during), e.message);
  }
}

function reduceError(s: WorkerSlices, where: SentJob, message: string): WorkerSlices {
  switch (where) {
    case 'load': {
      const model: ModelState = { ...s.model, status: 'error', progress: null, loadedKey: null, error: message };
      // A Start that was waiting for this load cannot go ahead.
      const run = s.run.status === 'loading' ? { ...s.run, status: 'error' as const, error: `The model did not load: ${message}` } : s.run;
      return { ...s, model, run };
    }
    case 'train':
      return { ...s, run: { ...s.run, status: 'error', pending: null, error: message } };
    case 'export':
      return { ...s, exporting: { ...s.exporting, status: 'error', error: message } };
  }
}

/** The worker died: the model is gone, the chart stays, the message goes where the work was. */
export function reduceCrash(s: WorkerSlices, message: string, jobs: SentJob[]): WorkerSlices {
  const wasLoading = jobs.includes('load') || s.model.status === 'loading';
  const model: ModelState = { ...initialModel, status: wasLoading ? 'error' : 'idle', error: wasLoading ? message : null };
  const runActive = isRunActive(s.run.status);
  const run: RunState = {
    ...s.run,
    status: runActive ? 'error' : s.run.status,
    pending: null,
    // Show it in the Train section unless it plainly belongs to a load or an export.
    error: runActive || (!wasLoading && !jobs.includes('export')) ? message : s.run.error,
  };
  const exporting: ExportState = jobs.includes('export') || s.exporting.status === 'exporting'
    ? { ...s.exporting, status: 'error', error: message }
    : s.exporting;
  return { model, run, exporting };
}
