// Records the studio's active run in the browser's run store (lib/runs/run-db.ts) as the worker reports it: a run
// record at Start, a point per step and validation pass, each checkpoint event's train state, and the final status.
// Writes are queued in order; a failed write is reported once and recording goes on. While a run is recorded this
// tab holds its live-run lock (lib/runs/live-runs.ts), released once the run's final status is written.
import type { TrainConfig } from '../engine/types';
import { holdRunLock } from '../runs/live-runs';
import { RunDb, type RunRecord } from '../runs/run-db';
import type { WorkerEvent } from '../train-worker/protocol';

export interface RunStart {
  name: string;
  model: string;
  dataName: string;
  config: TrainConfig;
}

/** A stored run to continue: its id, checkpoint step, the settings it was saved with and the checkpoint files. */
export interface StoredResume {
  id: string;
  step: number;
  config: TrainConfig;
  files: Record<string, ArrayBuffer>;
}

export class RunRecorder {
  private db: Promise<RunDb> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private runId: string | null = null;
  private releaseLock: () => void = () => {};

  constructor(
    private readonly open: () => Promise<RunDb> = () => RunDb.open(),
    private readonly onError: (message: string) => void = () => {},
    private readonly lock: (runId: string) => () => void = holdRunLock,
  ) {}

  /** This tab records `id` from now on: it holds that run's live lock instead of the previous run's. */
  private track(id: string): void {
    this.releaseLock();
    this.runId = id;
    this.releaseLock = this.lock(id);
  }

  /** The recorded run's final status is queued: the lock goes once that write (and every one before it) lands. */
  private finish(written: Promise<unknown>): Promise<unknown> {
    const release = this.releaseLock;
    this.releaseLock = () => {};
    return written.finally(release);
  }

  /** The run being recorded (its id in the store), or null. */
  get activeRunId(): string | null {
    return this.runId;
  }

  private later(fn: (db: RunDb) => Promise<unknown>): Promise<unknown> {
    this.db ??= this.open();
    const db = this.db;
    this.queue = this.queue.then(async () => fn(await db)).catch((e: unknown) => this.onError(`Saving the run failed: ${e instanceof Error ? e.message : String(e)}`));
    return this.queue;
  }

  /** A new run record (status running); `resumeOf` continues a stored run instead, from its checkpoint step. */
  start(run: RunStart, resumeOf?: { id: string; step: number }): Promise<unknown> {
    if (resumeOf) {
      this.track(resumeOf.id);
      return this.later((db) => db.rewindTo(resumeOf.id, resumeOf.step));
    }
    // The previous run's id stays until the new record exists: its queued writes still name it.
    this.releaseLock();
    this.releaseLock = () => {};
    return this.later(async (db) => {
      const rec: RunRecord = await db.create({ ...run, dataFingerprint: '' });
      this.track(rec.id);
    });
  }

  /** Applies one worker event to the stored run. */
  onEvent(e: WorkerEvent): Promise<unknown> | undefined {
    const id = () => this.runId;
    switch (e.type) {
      case 'step':
        return this.later(async (db) => id() && db.addStep({ runId: id()!, step: e.metrics.step, loss: e.metrics.loss, lr: e.metrics.lr, gradNorm: e.metrics.gradNorm }));
      case 'eval':
        return this.later(async (db) => id() && db.addEval({ runId: id()!, step: e.step, valLoss: e.valLoss }, e.best ?? false));
      case 'state':
        return this.later(async (db) => id() && db.update(id()!, { status: e.state }));
      case 'checkpoint': {
        const files = Object.fromEntries(Object.entries(e.files).map(([k, b]) => [k, new Uint8Array(b.slice(0))]));
        const meta = JSON.parse(new TextDecoder().decode(files['train-state.json'] ?? new Uint8Array())) as { data?: string };
        return this.later(async (db) => {
          if (!id()) return;
          await db.saveCheckpoint(id()!, e.step, files);
          if (meta.data) await db.update(id()!, { dataFingerprint: meta.data });
        });
      }
      case 'report': {
        const patch = {
          ...(e.forgetting ? { forgetting: { before: e.forgetting.before, after: e.forgetting.after, change: e.forgetting.change, verdict: e.forgetting.verdict, replayShare: e.forgetting.replayShare } } : {}),
          ...(e.test ? { test: { loss: e.test.loss, perplexity: e.test.perplexity, accuracy: e.test.accuracy, exactMatch: e.test.exactMatch, examples: e.test.examples } } : {}),
        };
        if (Object.keys(patch).length === 0) return undefined;
        return this.later(async (db) => id() && db.update(id()!, patch));
      }
      case 'done':
        return this.finish(this.later(async (db) => id() && db.update(id()!, { status: e.stopped ? 'stopped' : 'done', step: e.steps, ...(e.bestStep ? { bestStep: e.bestStep } : {}) })));
      case 'error':
        if (e.during !== 'train') return undefined;
        return this.finish(this.later(async (db) => id() && db.update(id()!, { status: 'failed', error: e.message })));
      default:
        return undefined;
    }
  }

  /** The worker died under the recorded run: marks it failed with the message, and gives its id and last
   * checkpoint step (null without a run; step null before the first autosave). */
  async interrupted(message: string): Promise<{ id: string; step: number | null } | null> {
    await this.flush();
    const id = this.runId;
    if (!id) return null;
    await this.finish(this.later((db) => db.update(id, { status: 'failed', error: message })));
    this.db ??= this.open();
    const rec = await (await this.db).get(id);
    return { id, step: rec?.checkpointStep ?? null };
  }

  /** The stored run's checkpoint as a resume (null when it has none); the settings are the checkpoint's own. */
  async storedResume(id: string): Promise<StoredResume | null> {
    await this.flush();
    this.db ??= this.open();
    const ck = await (await this.db).checkpoint(id);
    if (!ck) return null;
    const files = Object.fromEntries(Object.entries(ck.files).map(([k, b]) => [k, b.slice().buffer as ArrayBuffer]));
    const meta = JSON.parse(new TextDecoder().decode(ck.files['train-state.json'])) as { config: TrainConfig };
    return { id, step: ck.step, config: meta.config, files };
  }

  /** Waits for every queued write (tests, and before leaving the page). */
  flush(): Promise<unknown> {
    return this.queue;
  }
}
