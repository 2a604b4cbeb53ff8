// Where a run's checkpoint (the train state files of lib/engine/train-state.ts) is kept: the origin private file
// system (OPFS, navigator.storage.getDirectory) where the browser has it, else IndexedDB (run-db.ts), behind one
// small interface. A save replaces the run's checkpoint only once the new one is complete: a save that fails (the
// storage is full) leaves the earlier checkpoint readable.

export interface StoredCheckpoint {
  runId: string;
  step: number;
  files: Record<string, Uint8Array>; // train-state.json and train-state.safetensors
  bytes: number;
}

export interface CheckpointStore {
  /** 'opfs' or 'indexeddb', shown in the Runs view. */
  readonly kind: 'opfs' | 'indexeddb';
  /** Replaces the run's checkpoint; on failure the earlier one stays. */
  save(runId: string, step: number, files: Record<string, Uint8Array>): Promise<void>;
  load(runId: string): Promise<StoredCheckpoint | undefined>;
  /** Frees the run's checkpoint files (nothing to do when it has none). */
  delete(runId: string): Promise<void>;
  /** Bytes of each run's checkpoint. */
  sizes(): Promise<Map<string, number>>;
}

export const checkpointBytes = (files: Record<string, Uint8Array>) => Object.values(files).reduce((a, f) => a + f.byteLength, 0);

/** Whether an error is the browser saying the storage quota is used up (DOMException QuotaExceededError). */
export function isQuotaError(e: unknown): boolean {
  const x = e as { name?: unknown; code?: unknown } | null;
  return x?.name === 'QuotaExceededError' || x?.code === 22;
}

// The parts of the File System Access API the OPFS store uses (FileSystemDirectoryHandle and its file handles).
export interface DirHandle {
  getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<DirHandle>;
  getFileHandle(name: string, o?: { create?: boolean }): Promise<FileHandle>;
  removeEntry(name: string, o?: { recursive?: boolean }): Promise<void>;
  keys(): AsyncIterableIterator<string>;
}
export interface FileHandle {
  getFile(): Promise<{ arrayBuffer(): Promise<ArrayBuffer> }>;
  createWritable(): Promise<{ write(data: Uint8Array): Promise<void>; close(): Promise<void>; abort?(): Promise<void> }>;
}

const COMPLETE = 'complete.json'; // written last: a step folder without it is an unfinished save
const stepDir = (step: number) => `step-${String(step).padStart(8, '0')}`;

/** Checkpoints as files: checkpoints/<runId>/step-<n>/{train-state files, complete.json}. */
export class OpfsCheckpoints implements CheckpointStore {
  readonly kind = 'opfs';

  constructor(private readonly root: DirHandle) {}

  private async runDir(runId: string, create: boolean): Promise<DirHandle | null> {
    try {
      return await (await this.root.getDirectoryHandle('checkpoints', { create })).getDirectoryHandle(runId, { create });
    } catch (e) {
      if (!create && (e as { name?: string }).name === 'NotFoundError') return null;
      throw e;
    }
  }

  async save(runId: string, step: number, files: Record<string, Uint8Array>): Promise<void> {
    const dir = (await this.runDir(runId, true))!;
    const name = stepDir(step);
    await dir.removeEntry(name, { recursive: true }).catch(() => {}); // a save of this step that did not finish
    try {
      const target = await dir.getDirectoryHandle(name, { create: true });
      const meta = { step, bytes: checkpointBytes(files), files: Object.keys(files) };
      for (const [file, bytes] of [...Object.entries(files), [COMPLETE, new TextEncoder().encode(JSON.stringify(meta))] as const]) {
        const w = await (await target.getFileHandle(file, { create: true })).createWritable();
        try {
          await w.write(bytes);
          await w.close();
        } catch (e) {
          await w.abort?.().catch(() => {});
          throw e;
        }
      }
    } catch (e) {
      await dir.removeEntry(name, { recursive: true }).catch(() => {});
      throw e;
    }
    const others: string[] = [];
    for await (const n of dir.keys()) if (n !== name) others.push(n);
    for (const n of others) await dir.removeEntry(n, { recursive: true });
  }

  /** The newest complete step folder's meta, or null. */
  private async latest(dir: DirHandle): Promise<{ name: string; step: number; bytes: number; files: string[] } | null> {
    const names: string[] = [];
    for await (const n of dir.keys()) if (n.startsWith('step-')) names.push(n);
    for (const name of names.sort().reverse()) {
      try {
        const f = await (await (await dir.getDirectoryHandle(name)).getFileHandle(COMPLETE)).getFile();
        return { name, ...(JSON.parse(new TextDecoder().decode(await f.arrayBuffer())) as { step: number; bytes: number; files: string[] }) };
      } catch {
        // unfinished: look at the one before
      }
    }
    return null;
  }

  async load(runId: string): Promise<StoredCheckpoint | undefined> {
    const dir = await this.runDir(runId, false);
    const meta = dir && (await this.latest(dir));
    if (!dir || !meta) return undefined;
    const target = await dir.getDirectoryHandle(meta.name);
    const files: Record<string, Uint8Array> = {};
    for (const f of meta.files) files[f] = new Uint8Array(await (await (await target.getFileHandle(f)).getFile()).arrayBuffer());
    return { runId, step: meta.step, files, bytes: meta.bytes };
  }

  async delete(runId: string): Promise<void> {
    const all = await this.root.getDirectoryHandle('checkpoints', { create: true });
    await all.removeEntry(runId, { recursive: true }).catch((e: { name?: string }) => {
      if (e.name !== 'NotFoundError') throw e;
    });
  }

  async sizes(): Promise<Map<string, number>> {
    const all = await this.root.getDirectoryHandle('checkpoints', { create: true });
    const out = new Map<string, number>();
    for await (const runId of all.keys()) {
      const meta = await this.latest(await all.getDirectoryHandle(runId));
      if (meta) out.set(runId, meta.bytes);
    }
    return out;
  }
}

/** OPFS when this browser has it with writable files (not Safari's main thread), else null (use IndexedDB). */
export async function openOpfs(): Promise<OpfsCheckpoints | null> {
  const sm = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!sm?.getDirectory || typeof FileSystemFileHandle === 'undefined' || !('createWritable' in FileSystemFileHandle.prototype)) return null;
  try {
    return new OpfsCheckpoints((await sm.getDirectory()) as unknown as DirHandle);
  } catch {
    return null; // e.g. private browsing windows that refuse OPFS
  }
}
