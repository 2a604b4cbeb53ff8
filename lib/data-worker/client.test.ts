// DataClient over a scripted worker: answers matched to requests by id, progress delivered, worker errors
// rejected with their message, and a crash rejecting everything in flight before a fresh worker starts.
import { describe, expect, it } from 'vitest';
import { DataClient } from './client';
import type { DataEvent, DataRequest, PrepareSettings } from './protocol';
import type { WorkerLike } from '../train-worker/client';

class ScriptedWorker implements WorkerLike {
  posted: DataRequest[] = [];
  terminated = false;
  private listeners = new Map<string, ((ev: Event) => void)[]>();
  postMessage(message: unknown): void {
    this.posted.push(message as DataRequest);
  }
  terminate(): void {
    this.terminated = true;
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(event: DataEvent): void {
    for (const l of this.listeners.get('message') ?? []) l({ data: event } as unknown as Event);
  }
  crash(message: string): void {
    for (const l of this.listeners.get('error') ?? []) l({ message, preventDefault() {} } as unknown as Event);
  }
}

const SETTINGS = { tokenizerUrl: '/m/' } as PrepareSettings;
const SUMMARY = { fileName: 'a.jsonl', container: 'jsonl' as const, shape: 'chat' as const, total: 1, valid: 1, issues: [], issueCounts: {} };

function setup() {
  const workers: ScriptedWorker[] = [];
  const client = new DataClient(() => {
    const w = new ScriptedWorker();
    workers.push(w);
    return w;
  });
  return { client, workers, w: () => workers[workers.length - 1] };
}

describe('DataClient', () => {
  it('starts the worker on the first request and resolves each request with its own answer', async () => {
    const t = setup();
    expect(t.workers).toHaveLength(0);
    const progress: number[] = [];
    const parsed = t.client.parse('main', new Blob(['x']), 'a.jsonl', { shape: 'auto', txtMode: 'blocks' }, (loaded) => progress.push(loaded));
    const preview = t.client.preview(3, SETTINGS);
    const [p1, p2] = t.w().posted;
    expect(p1).toMatchObject({ type: 'parse', slot: 'main', fileName: 'a.jsonl' });
    expect(p2).toMatchObject({ type: 'preview', index: 3 });
    t.w().emit({ type: 'preview', id: p2.id, preview: { index: 3, count: 5, line: 4, tokens: [] } });
    t.w().emit({ type: 'progress', id: p1.id, stage: 'Reading', loaded: 1, total: 1 });
    t.w().emit({ type: 'parsed', id: p1.id, slot: 'main', summary: SUMMARY });
    expect(await preview).toMatchObject({ index: 3, line: 4 });
    expect(await parsed).toEqual(SUMMARY);
    expect(progress).toEqual([1]);
    expect(t.workers).toHaveLength(1);
  });

  it("rejects with the worker's message", async () => {
    const t = setup();
    const p = t.client.prepare(SETTINGS);
    t.w().emit({ type: 'error', id: t.w().posted[0].id, during: 'prepare', message: 'Load a data file first' });
    await expect(p).rejects.toThrow('Load a data file first');
  });

  it('a crash rejects what is in flight; the next request starts a new worker', async () => {
    const t = setup();
    const p = t.client.encode(SETTINGS);
    t.w().crash('Uncaught TypeError: boom');
    await expect(p).rejects.toThrow(/data worker crashed: Uncaught TypeError: boom/);
    expect(t.workers[0].terminated).toBe(true);
    void t.client.prepare(SETTINGS).catch(() => {});
    expect(t.workers).toHaveLength(2);
  });
});
