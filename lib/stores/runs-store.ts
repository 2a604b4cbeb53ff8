// The Runs view's state: every stored run (lib/runs/run-db.ts) with its curve, the runs chosen for comparison,
// storage used and quota, and the actions the view offers (rename, delete, download metrics). Opening it marks
// runs a closed tab left running as interrupted; a run some tab is still recording (lib/runs/live-runs.ts) stays.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { metricsCsv, metricsJson, settingsDiff, type SettingDiff } from '../runs/compare';
import { checkpointZip } from '../runs/checkpoint-zip';
import { liveRunIds } from '../runs/live-runs';
import { RunDb, storageEstimate, type EvalPoint, type RunRecord, type StepPoint } from '../runs/run-db';

export interface RunView extends RunRecord {
  steps: StepPoint[];
  evals: EvalPoint[];
  checkpointBytes: number;
  /** A tab of this browser is training (or has paused) this run now. */
  live: boolean;
}

export interface RunsState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  runs: RunView[];
  compare: string[]; // run ids, in the order chosen
  storage: { usage: number; quota: number } | null;
  /** Where checkpoints are kept in this browser: 'opfs' or 'indexeddb' (null before the first refresh). */
  checkpointKind: 'opfs' | 'indexeddb' | null;
  actions: {
    refresh(): Promise<void>;
    rename(id: string, name: string): Promise<void>;
    remove(id: string): Promise<void>;
    toggleCompare(id: string): void;
    metricsFile(id: string, kind: 'csv' | 'json'): { fileName: string; text: string } | null;
    /** The run's stored checkpoint as a zip (train state files), null when it has none. */
    checkpointFile(id: string): Promise<{ fileName: string; bytes: ArrayBuffer } | null>;
  };
}

export type RunsStore = StoreApi<RunsState>;

/** The settings the compared runs differ in. */
export function compareDiff(s: Pick<RunsState, 'runs' | 'compare'>): { runs: RunView[]; diff: SettingDiff[] } {
  const runs = s.compare.map((id) => s.runs.find((r) => r.id === id)).filter((r): r is RunView => r !== undefined);
  return { runs, diff: settingsDiff(runs.map((r) => r.config)) };
}

export function createRunsStore(open: () => Promise<RunDb> = () => RunDb.open(), live: () => Promise<ReadonlySet<string> | null> = liveRunIds): RunsStore {
  let db: Promise<RunDb> | null = null;
  const conn = () => (db ??= open());
  let interruptedChecked = false;
  return createStore<RunsState>()((set, get) => {
    const guard = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (e) {
        set({ status: 'error', error: e instanceof Error ? e.message : String(e) });
      }
    };
    const actions: RunsState['actions'] = {
      refresh: () =>
        guard(async () => {
          const d = await conn();
          const liveIds = await live().catch(() => null);
          if (!interruptedChecked) {
            interruptedChecked = true;
            await d.markInterrupted(liveIds);
          }
          const [records, bytes, storage] = await Promise.all([d.list(), d.checkpointBytes(), storageEstimate()]);
          const runs = await Promise.all(records.map(async (r) => ({ ...r, ...(await d.metrics(r.id)), checkpointBytes: bytes.get(r.id) ?? 0, live: liveIds?.has(r.id) ?? false })));
          set({ status: 'ready', error: null, runs, storage, checkpointKind: d.checkpoints.kind, compare: get().compare.filter((id) => runs.some((r) => r.id === id)) });
        }),
      rename: (id, name) =>
        guard(async () => {
          await (await conn()).rename(id, name);
          await actions.refresh();
        }),
      remove: (id) =>
        guard(async () => {
          await (await conn()).delete(id);
          await actions.refresh();
        }),
      async checkpointFile(id) {
        const r = get().runs.find((x) => x.id === id);
        const ck = r ? await (await conn()).checkpoint(id) : undefined;
        return r && ck ? checkpointZip(r.name, ck) : null;
      },
      toggleCompare(id) {
        const c = get().compare;
        set({ compare: c.includes(id) ? c.filter((x) => x !== id) : [...c, id] });
      },
      metricsFile(id, kind) {
        const r = get().runs.find((x) => x.id === id);
        if (!r) return null;
        const base = r.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || r.id;
        return { fileName: `${base}-metrics.${kind}`, text: kind === 'csv' ? metricsCsv(r.steps, r.evals) : metricsJson(r.steps, r.evals) };
      },
    };
    return { status: 'loading', error: null, runs: [], compare: [], storage: null, checkpointKind: null, actions };
  });
}
