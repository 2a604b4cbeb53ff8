// The run recorder on fake-indexeddb: a Start makes a running record; steps, validation passes, checkpoints and
// the done event land in the store in order; a resume rewinds the stored curve to the checkpoint.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import type { CheckpointStore } from '../runs/checkpoint-store';
import { RunDb } from '../runs/run-db';
import { RunRecorder } from './run-recorder';

const step = (n: number) => ({ type: 'step' as const, metrics: { step: n, totalSteps: 4, loss: 5 - n, lr: 1e-3, gradNorm: 1, tokensPerSec: 10, tokens: n * 8, elapsedMs: n } });
const enc = (o: object) => new TextEncoder().encode(JSON.stringify(o)).buffer as ArrayBuffer;

describe('RunRecorder', () => {
  it('stores a run as the worker reports it, and rewinds it on resume', async () => {
    const errors: string[] = [];
    const rec = new RunRecorder(() => RunDb.open('t-recorder'), (m) => errors.push(m));
    await rec.start({ name: 'demo on data.jsonl', model: 'demo', dataName: 'data.jsonl', config: defaultTrainConfig('lora') });
    const id = rec.activeRunId!;
    expect(id).toMatch(/^run-/);
    for (const n of [1, 2]) void rec.onEvent(step(n));
    void rec.onEvent({ type: 'eval', step: 2, valLoss: 3.5, perplexity: Math.exp(3.5), best: true });
    void rec.onEvent({ type: 'checkpoint', step: 2, files: { 'train-state.json': enc({ data: '5-abcdef01' }), 'train-state.safetensors': new ArrayBuffer(16) } });
    for (const n of [3, 4]) void rec.onEvent(step(n));
    void rec.onEvent({ type: 'done', steps: 4, firstLoss: 4, lastLoss: 1, stopped: false, earlyStopped: false, bestStep: 2, bestValLoss: 3.5 });
    await rec.flush();
    const db = await RunDb.open('t-recorder');
    expect(await db.get(id)).toMatchObject({ status: 'done', step: 4, checkpointStep: 2, bestStep: 2, dataFingerprint: '5-abcdef01' });
    expect((await db.metrics(id)).steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect((await db.checkpoint(id))!.bytes).toBe(enc({ data: '5-abcdef01' }).byteLength + 16);
    const stored = (await rec.storedResume(id))!;
    expect(stored).toMatchObject({ id, step: 2 });
    expect(new TextDecoder().decode(stored.files['train-state.json'])).toBe('{"data":"5-abcdef01"}');
    expect(await rec.storedResume('run-none')).toBeNull();

    await rec.start({ name: '', model: 'demo', dataName: 'data.jsonl', config: defaultTrainConfig('lora') }, { id, step: 2 });
    await rec.flush();
    expect(await db.get(id)).toMatchObject({ status: 'running', step: 2 });
    expect((await db.metrics(id)).steps.map((p) => p.step)).toEqual([1, 2]);
    void rec.onEvent({ type: 'error', during: 'train', message: 'boom' });
    await rec.flush();
    expect(await db.get(id)).toMatchObject({ status: 'failed', error: 'boom' });
    expect(errors).toEqual([]);
    db.close();
  });

  it('stores the end-of-run scores, and says in words when a checkpoint does not fit', async () => {
    const errors: string[] = [];
    const full: CheckpointStore = {
      kind: 'opfs',
      save: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
      load: async () => undefined,
      delete: async () => {},
      sizes: async () => new Map(),
    };
    const rec = new RunRecorder(() => RunDb.open('t-recorder-scores', { opfs: async () => full, estimate: async () => ({ usage: 5 << 20, quota: 5 << 20 }) }), (m) => errors.push(m));
    await rec.start({ name: 'demo on qa.jsonl', model: 'demo', dataName: 'qa.jsonl', config: defaultTrainConfig('lora') });
    const id = rec.activeRunId!;
    void rec.onEvent({ type: 'checkpoint', step: 3, files: { 'train-state.json': enc({ data: 'x' }), 'train-state.safetensors': new ArrayBuffer(2048) } });
    void rec.onEvent({ type: 'report', forgetting: { before: 10, after: 11, change: 0.1, level: 'noticeable', verdict: 'Noticeable forgetting', replayShare: 0.2 } });
    void rec.onEvent({ type: 'report', test: { loss: 1.5, perplexity: Math.exp(1.5), accuracy: 0.5, tokens: 40, examples: 4, exactMatch: 0.25 } });
    await rec.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Saving the run failed: The checkpoint of run "demo on qa\.jsonl" at step 3 did not fit in this browser's storage: it needs 2 KiB \(5 MiB of the 5 MiB it allows are used\)\. It has no earlier checkpoint\./);
    const db = await RunDb.open('t-recorder-scores', { opfs: async () => full });
    expect(await db.get(id)).toMatchObject({ checkpointStep: null, forgetting: { change: 0.1, replayShare: 0.2 }, test: { loss: 1.5, exactMatch: 0.25, examples: 4 } });
    db.close();
  });

  it('holds the run\'s live lock from its record until its final status is written', async () => {
    const log: string[] = [];
    let db: RunDb | null = null;
    const lock = (id: string) => {
      log.push(`hold ${id}`);
      return () => void db!.get(id).then((r) => log.push(`release ${id} (${r?.status})`));
    };
    const rec = new RunRecorder(() => RunDb.open('t-recorder-lock'), undefined, lock);
    db = await RunDb.open('t-recorder-lock');
    await rec.start({ name: 'a', model: 'demo', dataName: 'd.jsonl', config: defaultTrainConfig('lora') });
    const id = rec.activeRunId!;
    void rec.onEvent(step(1));
    void rec.onEvent({ type: 'state', state: 'paused' });
    expect(log).toEqual([`hold ${id}`]);
    await rec.onEvent({ type: 'done', steps: 1, firstLoss: 4, lastLoss: 4, stopped: false, earlyStopped: false, bestStep: null, bestValLoss: null });
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual([`hold ${id}`, `release ${id} (done)`]);
    // A resume holds the stored run again; a crash under it releases it once 'failed' is written.
    await rec.start({ name: '', model: 'demo', dataName: 'd.jsonl', config: defaultTrainConfig('lora') }, { id, step: 1 });
    expect(await rec.interrupted('worker closed')).toEqual({ id, step: null });
    await new Promise((r) => setTimeout(r, 20));
    expect(log.slice(2)).toEqual([`hold ${id}`, `release ${id} (failed)`]);
    db.close();
  });

  it('a Start right after the end still writes the finished run\'s final status under its own id', async () => {
    const rec = new RunRecorder(() => RunDb.open('t-recorder-restart'));
    await rec.start({ name: 'first', model: 'demo', dataName: 'd.jsonl', config: defaultTrainConfig('lora') });
    const first = rec.activeRunId!;
    void rec.onEvent(step(1));
    void rec.onEvent({ type: 'done', steps: 1, firstLoss: 4, lastLoss: 4, stopped: false, earlyStopped: false, bestStep: null, bestValLoss: null });
    void rec.start({ name: 'second', model: 'demo', dataName: 'd.jsonl', config: defaultTrainConfig('lora') }); // before the writes land
    await rec.flush();
    const db = await RunDb.open('t-recorder-restart');
    expect(await db.get(first)).toMatchObject({ status: 'done', step: 1 });
    expect(rec.activeRunId).not.toBe(first);
    expect(await db.get(rec.activeRunId!)).toMatchObject({ name: 'second', status: 'running' });
    db.close();
  });
});
