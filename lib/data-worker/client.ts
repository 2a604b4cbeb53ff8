// UI side of the data worker: starts it lazily, numbers each request, resolves it with the matching event
// (or rejects with the worker's message), reports parse progress, and turns a crash into one clear error. A parse
// that outlasts its file's time budget (lib/data/read-budget.ts: a damaged file can make a parser loop) ends the
// worker with a message saying so; the next request starts a fresh one.
import type { DataEvent, DataRequest, HandoffJob, ParseOptions, PrepareSettings, PreparedReport, PreviewView, ParsedSummary } from './protocol';
import type { WorkerLike } from '../train-worker/client';
import type { TrainingRow } from '../data/types';
import { readTimeBudgetMs, readTimeoutMessage } from '../data/read-budget';

export type Encoded = Extract<DataEvent, { type: 'encoded' }>;
export type HandoffZip = Omit<Extract<DataEvent, { type: 'handoff' }>, 'type' | 'id'>;

interface Pending {
  resolve: (e: DataEvent) => void;
  reject: (e: Error) => void;
  onProgress?: (loaded: number, total: number) => void;
  onStage?: (stage: string, loaded: number, total: number) => void;
}

function defaultCreateWorker(): WorkerLike {
  return new Worker(new URL('../../workers/data.worker.ts', import.meta.url), { type: 'module' });
}

export class DataClient {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly createWorker: () => WorkerLike = defaultCreateWorker,
    /** How long reading a file of this many bytes may take (ms). */
    private readonly readBudget: (bytes: number) => number = readTimeBudgetMs,
  ) {}

  async parse(slot: 'main' | 'validation', file: Blob, fileName: string, options: ParseOptions, onProgress?: Pending['onProgress']): Promise<ParsedSummary> {
    const ms = this.readBudget(file.size);
    const budget = { ms, message: readTimeoutMessage(fileName, ms) };
    const e = await this.request((id) => ({ type: 'parse', id, slot, file, fileName, options }), onProgress, undefined, budget);
    return (e as Extract<DataEvent, { type: 'parsed' }>).summary;
  }

  async prepare(settings: PrepareSettings): Promise<PreparedReport> {
    return ((await this.request((id) => ({ type: 'prepare', id, settings }))) as Extract<DataEvent, { type: 'prepared' }>).report;
  }

  async preview(index: number, settings: PrepareSettings): Promise<PreviewView> {
    return ((await this.request((id) => ({ type: 'preview', id, index, settings }))) as Extract<DataEvent, { type: 'preview' }>).preview;
  }

  /** The split encoded for training (test: the test split, token examples only; empty for preference rows). */
  async encode(settings: PrepareSettings): Promise<{ train: TrainingRow[]; validation: TrainingRow[]; test: TrainingRow[]; truncated: number; droppedNoLoss: number }> {
    const e = (await this.request((id) => ({ type: 'encode', id, settings }))) as Encoded;
    return { train: e.train, validation: e.validation, test: e.test ?? [], truncated: e.truncated, droppedNoLoss: e.droppedNoLoss };
  }

  /** A hand-off bundle's zip over the Data step's records; `onProgress` gets the stage as it goes. */
  async handoff(settings: PrepareSettings, job: HandoffJob, onProgress?: (stage: string, loaded: number, total: number) => void): Promise<HandoffZip> {
    const e = (await this.request((id) => ({ type: 'handoff', id, settings, job }), undefined, onProgress)) as Extract<DataEvent, { type: 'handoff' }>;
    return { fileName: e.fileName, files: e.files, train: e.train, validation: e.validation, bytes: e.bytes };
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.fail('The data worker was stopped');
  }

  private request(make: (id: number) => DataRequest, onProgress?: Pending['onProgress'], onStage?: Pending['onStage'], budget?: { ms: number; message: string }): Promise<DataEvent> {
    const id = this.nextId++;
    const worker = this.ensureWorker();
    return new Promise((resolve, reject) => {
      // Out of time: the worker may be stuck in a loop, so it goes (with the requests queued behind this one).
      const timer = budget && setTimeout(() => {
        if (!this.pending.has(id) || this.worker !== worker) return;
        this.pending.delete(id);
        worker.terminate();
        this.worker = null;
        reject(new Error(budget.message));
        this.fail('The data worker was restarted after a file took too long to read: load the data again');
      }, budget.ms);
      const done = () => timer && clearTimeout(timer);
      this.pending.set(id, { resolve: (e) => (done(), resolve(e)), reject: (e) => (done(), reject(e)), onProgress, onStage });
      worker.postMessage(make(id));
    });
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.addEventListener('message', (ev) => {
      if (this.worker !== worker) return;
      const e = (ev as MessageEvent).data as DataEvent;
      const p = this.pending.get(e?.id);
      if (!p) return;
      if (e.type === 'progress') {
        p.onProgress?.(e.loaded, e.total);
        return p.onStage?.(e.stage, e.loaded, e.total);
      }
      this.pending.delete(e.id);
      if (e.type === 'error') p.reject(new Error(e.message));
      else p.resolve(e);
    });
    worker.addEventListener('error', (ev) => {
      if (this.worker !== worker) return;
      ev.preventDefault?.();
      const msg = (ev as ErrorEvent).message || 'the worker script failed to load or threw';
      worker.terminate();
      this.worker = null;
      this.fail(`The data worker crashed: ${msg}. Load the file again to retry`);
    });
    this.worker = worker;
    return worker;
  }

  private fail(message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    all.forEach((p) => p.reject(new Error(message)));
  }
}
