// UI side of the training worker: starts it lazily, tracks the job in flight (one of each kind at a time),
// posts requests, delivers WorkerEvents with the job each belongs to, and turns a crash into one clear message.
import type { WorkerEvent, WorkerRequest } from './protocol';
import { WORKER_ALIVE } from './worker-life';

/** The part of `Worker` the client uses (tests pass a fake). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  addEventListener(type: string, listener: (ev: Event) => void): void;
}

export type Job = 'load' | 'train' | 'export' | 'play';

export interface WorkerClientOptions {
  /** Each event with the job it belongs to: an error's job (a malformed-request error goes to the job of the
   * request that caused it, the last one sent), a closing event's job; null for events of no job (pause state). */
  onEvent: (event: WorkerEvent, job: Job | null) => void;
  /** The worker died (script error, failed start, unreadable message); it has been terminated. */
  onCrash: (message: string, jobs: Job[]) => void;
  createWorker?: () => WorkerLike;
  /** Web Locks, to learn that a worker ended without a word (default: the browser's; none in Node). */
  locks?: LockManagerLike | null;
}

/** The part of the Web Locks API the client uses. */
export interface LockManagerLike {
  request(name: string, options: { signal: AbortSignal }, callback: () => unknown): Promise<unknown>;
}

/**
 * A worker closed by the browser (out of memory, killed, `self.close()`) sends no error event. So the worker
 * holds a Web Lock for its whole life and, once it holds it, posts WORKER_ALIVE with the lock's name; the client
 * then asks for the same lock, which it is granted only when the worker is gone (workers/train.worker.ts).
 */
export { WORKER_ALIVE };
export const SILENT_EXIT = 'it ended without a word (the browser closes a worker that runs out of memory or is killed)';

export const CRASH_SUFFIX = 'Your settings and data are kept; press Start to try again.';

export function crashMessage(detail: string): string {
  const d = detail.trim().replace(/[.\s]+$/, '') || 'unknown error';
  return `The training worker crashed: ${d}. ${CRASH_SUFFIX}`;
}

function defaultCreateWorker(): WorkerLike {
  return new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' });
}

const JOB_OF: Partial<Record<WorkerRequest['type'], Job>> = {
  load: 'load', 'start-examples': 'train', export: 'export',
  generate: 'play', 'load-adapter': 'play', 'evaluate-adapter': 'play', compare: 'play',
};

/** The job each event belongs to (errors name theirs; 'message' errors are resolved by the client). */
const EVENT_JOB: Partial<Record<WorkerEvent['type'], Job>> = {
  progress: 'load', 'load-cancelled': 'load', ready: 'load',
  started: 'train', step: 'train', eval: 'train', checkpoint: 'train', report: 'train', done: 'train',
  exported: 'export',
  token: 'play', generated: 'play', 'adapter-loaded': 'play', 'adapter-refused': 'play', evaluated: 'play', 'compare-progress': 'play', compared: 'play', 'play-done': 'play',
};

export class WorkerClient {
  private worker: WorkerLike | null = null;
  private readonly jobs = new Set<Job>();
  private lastJob: Job | null = null;
  private watch: AbortController | null = null;

  constructor(private readonly options: WorkerClientOptions) {}

  /** True while a worker exists (it may be idle). A crashed or terminated worker is gone. */
  get alive(): boolean {
    return this.worker !== null;
  }

  get activeJobs(): Job[] {
    return [...this.jobs];
  }

  isBusy(job: Job): boolean {
    return this.jobs.has(job);
  }

  /**
   * Posts a request, starting the worker if needed. Load, start and playground requests need no other job in
   * flight; export needs no load, export or playground job in flight (a paused run may export). Throws otherwise.
   */
  send(request: WorkerRequest, transfer: Transferable[] = []): void {
    const job = JOB_OF[request.type];
    if (job === 'load' || job === 'train' || job === 'play') {
      if (this.jobs.size > 0) throw new Error(`The worker is busy (${this.activeJobs.join(', ')}).`);
    } else if (job === 'export') {
      if (this.jobs.has('load') || this.jobs.has('export') || this.jobs.has('play')) throw new Error('The worker is busy.');
    } else if (!this.worker) {
      return; // pause/resume/stop with no worker: nothing to control
    }
    const worker = this.ensureWorker();
    if (job) {
      this.jobs.add(job);
      this.lastJob = job;
    }
    worker.postMessage(request, transfer);
  }

  /** Ends the worker at once (abort). Finished jobs' results already delivered stay with the caller. */
  terminate(): void {
    this.stopWatching();
    this.worker?.terminate();
    this.worker = null;
    this.jobs.clear();
    this.lastJob = null;
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = (this.options.createWorker ?? defaultCreateWorker)();
    worker.addEventListener('message', (ev) => {
      if (this.worker !== worker) return; // a terminated worker's late message
      const data = (ev as MessageEvent).data as unknown;
      if (isAliveMessage(data)) {
        this.watchExit(worker, data.lock);
        return;
      }
      if (!isWorkerEvent(data)) {
        this.crash(worker, 'it sent a message the studio does not understand');
        return;
      }
      const job = this.jobOf(data);
      this.settle(data, job);
      this.options.onEvent(data, job);
    });
    worker.addEventListener('error', (ev) => {
      if (this.worker !== worker) return;
      ev.preventDefault?.();
      const e = ev as ErrorEvent;
      const where = e.filename ? ` (${e.filename}${e.lineno ? `:${e.lineno}` : ''})` : '';
      this.crash(worker, e.message ? `${e.message}${where}` : 'the worker script failed to load or threw');
    });
    worker.addEventListener('messageerror', () => {
      if (this.worker !== worker) return;
      this.crash(worker, 'a message from the worker could not be read');
    });
    this.worker = worker;
    return worker;
  }

  /** Asks for the worker's life lock: granted once the worker is gone, however it went. */
  private watchExit(worker: WorkerLike, lock: string): void {
    const locks = this.options.locks !== undefined ? this.options.locks : (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
    if (!locks) return;
    this.stopWatching();
    const watch = new AbortController();
    this.watch = watch;
    locks.request(lock, { signal: watch.signal }, () => {
      if (this.worker === worker) this.crash(worker, SILENT_EXIT);
    }).catch(() => {}); // aborted: the page ended this worker itself
  }

  private stopWatching(): void {
    this.watch?.abort();
    this.watch = null;
  }

  private jobOf(event: WorkerEvent): Job | null {
    if (event.type !== 'error') return EVENT_JOB[event.type] ?? null;
    return event.during === 'message' ? this.lastJob : event.during;
  }

  /** Marks jobs finished on their closing events, before the caller sees the event. */
  private settle(event: WorkerEvent, job: Job | null): void {
    switch (event.type) {
      case 'ready':
      case 'load-cancelled':
        this.jobs.delete('load');
        break;
      case 'done':
        this.jobs.delete('train');
        break;
      case 'exported':
        this.jobs.delete('export');
        break;
      case 'play-done':
        this.jobs.delete('play');
        break;
      case 'error':
        if (job) this.jobs.delete(job);
        break;
      default:
        break;
    }
  }

  private crash(worker: WorkerLike, detail: string): void {
    const jobs = this.activeJobs;
    this.stopWatching();
    worker.terminate();
    this.worker = null;
    this.jobs.clear();
    this.lastJob = null;
    this.options.onCrash(crashMessage(detail), jobs);
  }
}

function isAliveMessage(data: unknown): data is { type: typeof WORKER_ALIVE; lock: string } {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === WORKER_ALIVE && typeof (data as { lock?: unknown }).lock === 'string';
}

function isWorkerEvent(data: unknown): data is WorkerEvent {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';
}
