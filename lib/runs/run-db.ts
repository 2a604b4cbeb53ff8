// Every run kept in the browser: its record (name, status, settings, data fingerprint) and metric points (one row
// per step and per validation pass, so appending costs one small write) in IndexedDB through `idb`, and its latest
// checkpoint (the train state files of lib/engine/train-state.ts, which resume a run exactly) in a CheckpointStore:
// OPFS where the browser has it, else IndexedDB. Deleting a run frees all three. A run left 'running' by a closed
// tab is 'interrupted' on the next open. A checkpoint that does not fit throws CheckpointQuotaError, in words.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TrainConfig } from '../engine/types';
import { checkpointBytes, isQuotaError, openOpfs, type CheckpointStore, type StoredCheckpoint } from './checkpoint-store';
import { CheckpointQuotaError } from './quota-message';

export type RunStatus = 'running' | 'paused' | 'interrupted' | 'stopped' | 'done' | 'failed';

export interface RunRecord {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: number; // ms since the epoch
  updatedAt: number;
  model: string; // the base model's name
  dataName: string; // the data file's name
  dataFingerprint: string; // fingerprintExamples of the training rows: a resume must see the same data
  config: TrainConfig;
  step: number; // last step reported
  checkpointStep: number | null; // step of the stored checkpoint; null before the first autosave
  bestStep: number | null; // step of the lowest validation loss
  error?: string;
  /** End-of-run scores: general-text perplexity change (forgetting meter) with the replay share, test split. */
  forgetting?: { before: number; after: number; change: number; verdict: string; replayShare: number };
  test?: { loss: number; perplexity: number; accuracy: number; exactMatch: number | null; examples: number };
}

export interface StepPoint {
  runId: string;
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface EvalPoint {
  runId: string;
  step: number;
  valLoss: number;
}

export type Checkpoint = StoredCheckpoint;

interface RunSchema extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { byCreated: number } };
  steps: { key: [string, number]; value: StepPoint };
  evals: { key: [string, number]; value: EvalPoint };
  checkpoints: { key: string; value: Checkpoint };
}

export const RUN_DB_NAME = 'webtune-runs';

/** Every key [runId, step] of one run. */
const ofRun = (id: string) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

/** Checkpoints in the database's own 'checkpoints' store (one record per run; a failed put leaves the old one). */
class IdbCheckpoints implements CheckpointStore {
  readonly kind = 'indexeddb';

  constructor(private readonly db: IDBPDatabase<RunSchema>) {}

  async save(runId: string, step: number, files: Record<string, Uint8Array>): Promise<void> {
    await this.db.put('checkpoints', { runId, step, files, bytes: checkpointBytes(files) });
  }

  load(runId: string): Promise<StoredCheckpoint | undefined> {
    return this.db.get('checkpoints', runId);
  }

  delete(runId: string): Promise<void> {
    return this.db.delete('checkpoints', runId);
  }

  async sizes(): Promise<Map<string, number>> {
    return new Map((await this.db.getAll('checkpoints')).map((c) => [c.runId, c.bytes]));
  }
}

/** Where checkpoints go: OPFS when `opfs` gives one (the browser's, by default), else the database itself. */
export interface RunDbOptions {
  opfs?: () => Promise<CheckpointStore | null>;
  estimate?: () => Promise<{ usage: number; quota: number } | null>;
}

export class RunDb {
  /** Checkpoints stored in IndexedDB: the store itself without OPFS, else those saved before OPFS was used. */
  private readonly legacy: CheckpointStore | null;

  private constructor(
    private readonly db: IDBPDatabase<RunSchema>,
    readonly checkpoints: CheckpointStore,
    private readonly estimate: () => Promise<{ usage: number; quota: number } | null>,
  ) {
    this.legacy = checkpoints.kind === 'opfs' ? new IdbCheckpoints(db) : null;
  }

  static async open(name = RUN_DB_NAME, opts: RunDbOptions = {}): Promise<RunDb> {
    const db = await openDB<RunSchema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('runs', { keyPath: 'id' }).createIndex('byCreated', 'createdAt');
        d.createObjectStore('steps', { keyPath: ['runId', 'step'] });
        d.createObjectStore('evals', { keyPath: ['runId', 'step'] });
        d.createObjectStore('checkpoints', { keyPath: 'runId' });
      },
    });
    const opfs = await (opts.opfs ?? openOpfs)();
    return new RunDb(db, opfs ?? new IdbCheckpoints(db), opts.estimate ?? storageEstimate);
  }

  /** A new run record; the id is unique in this browser. */
  async create(r: Omit<RunRecord, 'id' | 'createdAt' | 'updatedAt' | 'step' | 'checkpointStep' | 'bestStep' | 'status'> & { id?: string }): Promise<RunRecord> {
    const now = Date.now();
    const rec: RunRecord = { step: 0, checkpointStep: null, bestStep: null, status: 'running', ...r, id: r.id ?? newRunId(), createdAt: now, updatedAt: now };
    await this.db.add('runs', rec);
    return rec;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return this.db.get('runs', id);
  }

  /** Runs, newest first. */
  async list(): Promise<RunRecord[]> {
    return (await this.db.getAllFromIndex('runs', 'byCreated')).reverse();
  }

  async update(id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): Promise<RunRecord> {
    const tx = this.db.transaction('runs', 'readwrite');
    const rec = await tx.store.get(id);
    if (!rec) throw new Error(`No run ${id} in this browser's storage`);
    const next = { ...rec, ...patch, updatedAt: Date.now() };
    await tx.store.put(next);
    await tx.done;
    return next;
  }

  async rename(id: string, name: string): Promise<RunRecord> {
    const n = name.trim();
    if (!n) throw new Error('A run needs a name');
    return this.update(id, { name: n });
  }

  async addStep(p: StepPoint): Promise<void> {
    const tx = this.db.transaction(['steps', 'runs'], 'readwrite');
    await tx.objectStore('steps').put(p);
    const rec = await tx.objectStore('runs').get(p.runId);
    if (rec) await tx.objectStore('runs').put({ ...rec, step: Math.max(rec.step, p.step), updatedAt: Date.now() });
    await tx.done;
  }

  async addEval(p: EvalPoint, best: boolean): Promise<void> {
    const tx = this.db.transaction(['evals', 'runs'], 'readwrite');
    await tx.objectStore('evals').put(p);
    const rec = await tx.objectStore('runs').get(p.runId);
    if (rec && best) await tx.objectStore('runs').put({ ...rec, bestStep: p.step, updatedAt: Date.now() });
    await tx.done;
  }

  /** The run's curve, in step order. */
  async metrics(id: string): Promise<{ steps: StepPoint[]; evals: EvalPoint[] }> {
    return { steps: await this.db.getAll('steps', ofRun(id)), evals: await this.db.getAll('evals', ofRun(id)) };
  }

  /** Replaces the run's checkpoint (only the latest is kept, so storage stays one state per run). When it does
   * not fit, the earlier checkpoint stays and CheckpointQuotaError says which run needs how much, what to delete. */
  async saveCheckpoint(id: string, step: number, files: Record<string, Uint8Array>): Promise<void> {
    try {
      await this.checkpoints.save(id, step, files);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      const [runs, sizes, storage] = await Promise.all([this.list(), this.checkpointBytes(), this.estimate().catch(() => null)]);
      const rec = runs.find((r) => r.id === id);
      const others = runs.filter((r) => r.id !== id && sizes.has(r.id)).map((r) => ({ name: r.name, bytes: sizes.get(r.id)! }));
      const kept = sizes.has(id) ? ((await this.checkpoint(id))?.step ?? null) : null;
      throw new CheckpointQuotaError({ runName: rec?.name ?? id, step, needed: checkpointBytes(files), kept, storage, others });
    }
    await this.legacy?.delete(id);
    const tx = this.db.transaction('runs', 'readwrite');
    const rec = await tx.store.get(id);
    if (rec) await tx.store.put({ ...rec, checkpointStep: step, updatedAt: Date.now() });
    await tx.done;
  }

  async checkpoint(id: string): Promise<Checkpoint | undefined> {
    return (await this.checkpoints.load(id)) ?? this.legacy?.load(id);
  }

  /** Before resuming from the checkpoint: points after it are dropped (the resumed run reports them again). */
  async rewindTo(id: string, step: number): Promise<void> {
    const tx = this.db.transaction(['steps', 'evals', 'runs'], 'readwrite');
    const after = IDBKeyRange.bound([id, step], [id, Infinity], true);
    await tx.objectStore('steps').delete(after);
    await tx.objectStore('evals').delete(after);
    const rec = await tx.objectStore('runs').get(id);
    if (rec) await tx.objectStore('runs').put({ ...rec, step, status: 'running', updatedAt: Date.now() });
    await tx.done;
  }

  /** Removes the run, its points and its checkpoint files. */
  async delete(id: string): Promise<void> {
    await this.checkpoints.delete(id);
    await this.legacy?.delete(id);
    const tx = this.db.transaction(['runs', 'steps', 'evals'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('steps').delete(ofRun(id)), tx.objectStore('evals').delete(ofRun(id)), tx.done]);
  }

  /** Runs a closed tab left running or paused become 'interrupted' (nothing trains them now); returns them. `live`
   * holds the runs a tab is still recording (lib/runs/live-runs.ts), which keep their status. */
  async markInterrupted(live: ReadonlySet<string> | null = null): Promise<RunRecord[]> {
    const stale = (await this.list()).filter((r) => (r.status === 'running' || r.status === 'paused') && !live?.has(r.id));
    return Promise.all(stale.map((r) => this.update(r.id, { status: 'interrupted' })));
  }

  /** Bytes of checkpoints per run (what deleting a run frees, metrics aside). */
  async checkpointBytes(): Promise<Map<string, number>> {
    return new Map([...((await this.legacy?.sizes()) ?? []), ...(await this.checkpoints.sizes())]);
  }

  close(): void {
    this.db.close();
  }
}

export function newRunId(): string {
  const rand = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID().slice(0, 8) : Math.random().toString(16).slice(2, 10);
  return `run-${Date.now().toString(36)}-${rand}`;
}

/** What the browser reports for this origin's storage (StorageManager.estimate); null where it is missing. */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  const sm = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!sm?.estimate) return null;
  const e = await sm.estimate();
  return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
}
