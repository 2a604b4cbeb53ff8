// A training worker that dies mid-run, end to end below the browser: the store, the worker client and a real
// TrainSession (tiny GPT-2 on tfjs's cpu backend) behind a worker boundary that structured-clones every message,
// the run recorded in fake-indexeddb. The worker dies after step 5 (a script error, then a GPU device lost);
// the page says so and offers the checkpoint of step 3; resuming runs steps 4..8 in a fresh worker, with the same
// losses the dead worker reported for steps 4 and 5, and the stored run ends done.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RunDb } from '../runs/run-db';
import type { WorkerEvent, WorkerRequest } from '../train-worker/protocol';
import { TrainSession } from '../train-worker/session';
import type { WorkerLike } from '../train-worker/client';
import { RunRecorder } from './run-recorder';
import { settingsFromSearchParams } from './studio-settings';
import { createStudioStore } from './studio-store';
import { FakeDataClient, ManualScheduler, tick } from './test-helpers';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

/** A worker boundary around a real TrainSession; `dieAfter` ends it after that step as `how` says. */
class SessionWorker implements WorkerLike {
  private listeners = new Map<string, ((ev: Event) => void)[]>();
  private dead = false;
  readonly session: TrainSession;
  readonly steps: { step: number; loss: number }[] = [];

  constructor(private readonly dieAfter: number | null, private readonly how: 'crash' | 'device-lost') {
    this.session = new TrainSession((event) => this.deliver(event));
  }

  private deliver(event: WorkerEvent): void {
    if (this.dead) return;
    const data = structuredClone(event);
    setTimeout(() => this.fire('message', { data } as unknown as Event), 0); // sent before it died
    if (event.type !== 'step') return;
    this.steps.push({ step: event.metrics.step, loss: event.metrics.loss });
    if (event.metrics.step !== this.dieAfter) return;
    if (this.how === 'crash') {
      setTimeout(() => this.fire('error', { message: 'Uncaught RangeError: worker gone', preventDefault() {} } as unknown as Event), 0);
    } else {
      // What the session posts when its WebGPU device's `lost` promise settles.
      setTimeout(() => this.fire('message', { data: { type: 'error', during: 'train', message: 'The GPU device was lost during step 6 (destroyed). The run can resume from its last checkpoint, on WebGPU again or on WebAssembly.', cause: 'device-lost' } } as unknown as Event), 0);
    }
    this.dead = true;
    void this.session.handle({ type: 'stop' });
  }

  private fire(type: string, ev: Event): void {
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }

  postMessage(message: unknown): void {
    if (!this.dead) void this.session.handle(structuredClone(message) as WorkerRequest);
  }
  terminate(): void {
    this.dead = true;
    void this.session.handle({ type: 'stop' });
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await tick();
  if (!cond()) throw new Error(`never happened: ${what}`);
}

async function crashAndResume(how: 'crash' | 'device-lost', dbName: string) {
  vi.stubGlobal('fetch', async (url: string) => {
    try {
      return new Response(new Uint8Array(readFileSync(join(DEMO, url.replace(/^\/models\/webtune-demo\//, '')))));
    } catch {
      return new Response(null, { status: 404 });
    }
  });
  const workers: SessionWorker[] = [];
  const scheduler = new ManualScheduler();
  const store = createStudioStore({
    settings: settingsFromSearchParams({ test: '1', steps: '8', batch: '2', seqLen: '16', evalEvery: '0', autosave: '3' }),
    createWorker: () => {
      const w = new SessionWorker(workers.length === 0 ? 5 : null, how);
      workers.push(w);
      return w;
    },
    schedule: scheduler.schedule,
    dataClient: new FakeDataClient(),
    dataDebounceMs: 0,
    recorder: new RunRecorder(() => RunDb.open(dbName)),
  });
  const state = () => store.getState();
  const actions = () => store.getState().actions;
  await actions().loadFile(new File([Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, completion: ` A${i}.` })).join('\n')], 'qa.jsonl'));
  await until(() => state().data.report !== null, 'data report');
  actions().start();
  await until(() => state().run.recovery !== null, 'the recovery offer');
  scheduler.run();

  const run = state().run;
  expect(run.status).toBe('error');
  expect(run.recovery).toMatchObject({ step: 3, reached: 5, cause: how === 'crash' ? 'crash' : 'device-lost' });
  expect(run.error).toContain(how === 'crash' ? 'The training worker crashed: Uncaught RangeError: worker gone.' : 'The GPU device was lost during step 6');
  expect(run.error).toContain('the checkpoint of step 3 are kept: resume from it');
  expect(run.error).toContain('(the 2 steps after it will run again)');
  expect(state().workerAlive).toBe(false);
  const db = await RunDb.open(dbName);
  const storedId = run.recovery!.storedId;
  expect(await db.get(storedId)).toMatchObject({ status: 'failed', checkpointStep: 3 });

  if (how === 'device-lost') actions().setBackend('cpu'); // what "Resume on WebAssembly" does, with the backend Node has
  await actions().resumeStored(storedId);
  await until(() => state().run.status === 'done', 'the resumed run to finish');
  scheduler.run();
  expect(workers).toHaveLength(2);
  expect(workers[1].steps.map((s) => s.step)).toEqual([4, 5, 6, 7, 8]);
  // Resumed from the checkpoint exactly: the steps the dead worker had already run come out the same.
  for (const n of [4, 5]) {
    expect(workers[1].steps.find((s) => s.step === n)!.loss).toBeCloseTo(workers[0].steps.find((s) => s.step === n)!.loss, 5);
  }
  expect(state().run.points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(state().run.recovery).toBeNull();
  // 'saved' means the final status is in the store: nothing is left to wait for.
  await until(() => state().run.stored === 'saved', 'the run\'s final write');
  expect(await db.get(storedId)).toMatchObject({ status: 'done', step: 8 });
  await state().actions.dispose();
  expect((await db.metrics(storedId)).steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  db.close();
}

describe('a training worker that dies mid-run', () => {
  it('is reported, and the run resumes from its last autosaved checkpoint to the end', async () => {
    await crashAndResume('crash', 't-crash-resume');
  });

  it('a lost GPU device ends the worker and offers the same resume (here on another backend)', async () => {
    await crashAndResume('device-lost', 't-device-lost');
  });
});
