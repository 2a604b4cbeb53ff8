// Checkpoint storage: the OPFS store over an in-memory stand-in for the browser's directory handles (with a byte
// quota that throws QuotaExceededError as browsers do) and the IndexedDB store (fake-indexeddb), through RunDb:
// save, replace, load, sizes, delete frees the files; a save that does not fit leaves the earlier checkpoint
// readable and says in words which run needs how much and what to delete.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { OpfsCheckpoints, type DirHandle, type FileHandle } from './checkpoint-store';
import { CheckpointQuotaError } from './quota-message';
import { RunDb } from './run-db';
import { defaultTrainConfig } from '../engine/defaults';

/** An in-memory FileSystemDirectoryHandle tree; writes past `quota` bytes in all throw QuotaExceededError. */
class FakeDir implements DirHandle {
  readonly dirs = new Map<string, FakeDir>();
  readonly files = new Map<string, Uint8Array>();
  constructor(private readonly disk: { used: () => number; quota: number }) {}

  async getDirectoryHandle(name: string, o: { create?: boolean } = {}): Promise<DirHandle> {
    if (!this.dirs.has(name)) {
      if (!o.create) throw new DOMException(`${name} not found`, 'NotFoundError');
      this.dirs.set(name, new FakeDir(this.disk));
    }
    return this.dirs.get(name)!;
  }

  async getFileHandle(name: string, o: { create?: boolean } = {}): Promise<FileHandle> {
    if (!this.files.has(name)) {
      if (!o.create) throw new DOMException(`${name} not found`, 'NotFoundError');
      this.files.set(name, new Uint8Array());
    }
    return {
      getFile: async () => ({ arrayBuffer: async () => this.files.get(name)!.slice().buffer as ArrayBuffer }),
      createWritable: async () => {
        let pending = new Uint8Array();
        return {
          write: async (d: Uint8Array) => {
            if (this.disk.used() + pending.byteLength + d.byteLength > this.disk.quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
            pending = new Uint8Array([...pending, ...d]);
          },
          close: async () => void this.files.set(name, pending), // a file's new bytes appear on close, as in OPFS
        };
      },
    };
  }

  async removeEntry(name: string, o: { recursive?: boolean } = {}): Promise<void> {
    if (this.dirs.get(name)?.size() && !o.recursive) throw new DOMException('not empty', 'InvalidModificationError');
    if (!this.dirs.delete(name) && !this.files.delete(name)) throw new DOMException(`${name} not found`, 'NotFoundError');
  }

  async *keys(): AsyncIterableIterator<string> {
    yield* [...this.dirs.keys(), ...this.files.keys()];
  }

  size(): number {
    return [...this.files.values()].reduce((a, f) => a + f.byteLength, 0) + [...this.dirs.values()].reduce((a, d) => a + d.size(), 0);
  }
}

function fakeOpfs(quota: number): FakeDir {
  const disk = { quota, used: () => root.size() };
  const root: FakeDir = new FakeDir(disk);
  return root;
}

const files = (n: number, fill: number) => ({ 'train-state.json': new TextEncoder().encode(`{"step":${fill}}`), 'train-state.safetensors': new Uint8Array(n).fill(fill) });
const config = defaultTrainConfig('lora');

describe.each([
  ['opfs', (root: FakeDir) => async () => new OpfsCheckpoints(root)],
  ['indexeddb', () => async () => null],
] as const)('checkpoints in %s', (kind, store) => {
  it('save, replace, load, sizes; deleting a run frees its files', async () => {
    const root = fakeOpfs(1 << 20);
    const db = await RunDb.open(`ck-${kind}`, { opfs: store(root), estimate: async () => null });
    expect(db.checkpoints.kind).toBe(kind);
    const a = await db.create({ name: 'a', model: 'm', dataName: 'd', dataFingerprint: '', config });
    const b = await db.create({ name: 'b', model: 'm', dataName: 'd', dataFingerprint: '', config });
    await db.saveCheckpoint(a.id, 2, files(100, 2));
    await db.saveCheckpoint(a.id, 4, files(120, 4));
    await db.saveCheckpoint(b.id, 3, files(50, 3));
    const ck = (await db.checkpoint(a.id))!;
    expect(ck.step).toBe(4);
    expect([...ck.files['train-state.safetensors']]).toEqual(Array(120).fill(4));
    expect(new TextDecoder().decode(ck.files['train-state.json'])).toBe('{"step":4}');
    const bytes = (n: number) => n + '{"step":4}'.length;
    expect(await db.checkpointBytes()).toEqual(new Map([[a.id, bytes(120)], [b.id, bytes(50)]]));
    expect((await db.get(a.id))?.checkpointStep).toBe(4);
    if (kind === 'opfs') expect([...root.dirs.get('checkpoints')!.dirs.get(a.id)!.dirs.keys()]).toEqual(['step-00000004']); // step 2 is gone
    await db.delete(a.id);
    expect(await db.checkpoint(a.id)).toBeUndefined();
    expect([...(await db.checkpointBytes()).keys()]).toEqual([b.id]);
    if (kind === 'opfs') expect([...root.dirs.get('checkpoints')!.dirs.keys()]).toEqual([b.id]);
    db.close();
  });
});

describe('checkpoints saved in IndexedDB before OPFS was used', () => {
  it('stay readable under OPFS until the run saves a new one there', async () => {
    let db = await RunDb.open('ck-legacy', { opfs: async () => null });
    const run = await db.create({ name: 'older', model: 'm', dataName: 'd', dataFingerprint: '', config });
    await db.saveCheckpoint(run.id, 7, files(30, 7));
    db.close();
    const root = fakeOpfs(1 << 20);
    db = await RunDb.open('ck-legacy', { opfs: async () => new OpfsCheckpoints(root) });
    expect((await db.checkpoint(run.id))?.step).toBe(7);
    expect([...(await db.checkpointBytes()).keys()]).toEqual([run.id]);
    await db.saveCheckpoint(run.id, 8, files(30, 8));
    db.close();
    db = await RunDb.open('ck-legacy', { opfs: async () => null });
    expect(await db.checkpoint(run.id)).toBeUndefined(); // moved: the IndexedDB copy is gone
    db.close();
  });
});

describe('a checkpoint that does not fit', () => {
  it('leaves the earlier one readable and says which run, how much, and what to delete', async () => {
    const root = fakeOpfs(2_000);
    const db = await RunDb.open('ck-quota', { opfs: async () => new OpfsCheckpoints(root), estimate: async () => ({ usage: 1_900, quota: 2_000 }) });
    const old = await db.create({ name: 'old experiment', model: 'm', dataName: 'd', dataFingerprint: '', config });
    const run = await db.create({ name: 'my run', model: 'm', dataName: 'd', dataFingerprint: '', config });
    await db.saveCheckpoint(old.id, 10, files(700, 1));
    await db.saveCheckpoint(run.id, 5, files(600, 5));
    const err = await db.saveCheckpoint(run.id, 10, files(900, 9)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointQuotaError);
    const message = (err as Error).message;
    expect(message).toContain('"my run" at step 10');
    expect(message).toContain('needs 910 B'); // 900 + the JSON
    expect(message).toContain('Its checkpoint at step 5 is still stored');
    expect(message).toMatch(/Delete runs you no longer need in Runs \(largest: "old experiment", 710 B\)/);
    expect(message).toContain('(1.9 KiB of the 2 KiB it allows are used)');
    // The earlier checkpoint is whole; the failed one left no files behind.
    const kept = (await db.checkpoint(run.id))!;
    expect(kept.step).toBe(5);
    expect([...kept.files['train-state.safetensors']]).toEqual(Array(600).fill(5));
    expect((await db.get(run.id))?.checkpointStep).toBe(5);
    expect([...root.dirs.get('checkpoints')!.dirs.get(run.id)!.dirs.keys()]).toEqual(['step-00000005']);
    // After deleting the other run, the same save fits.
    await db.delete(old.id);
    await db.saveCheckpoint(run.id, 10, files(900, 9));
    expect((await db.checkpoint(run.id))?.step).toBe(10);
    db.close();
  });
});
