// Tests for the worker client: lazy start, one job at a time, job settling, crash handling.
import { describe, expect, it } from 'vitest';
import type { WorkerEvent, WorkerRequest } from './protocol';
import { defaultTrainConfig } from '../engine/defaults';
import { FakeWorker } from '../stores/test-helpers';
import { CRASH_SUFFIX, SILENT_EXIT, WORKER_ALIVE, WorkerClient, crashMessage, type Job, type LockManagerLike } from './client';

const LOAD = { type: 'load', model: { kind: 'tiny-random', name: 't', tokenizerUrl: '/m/', seed: 0 }, backend: 'cpu', allowFallbackAdapter: false } as const;

function setup() {
  const workers: FakeWorker[] = [];
  const events: WorkerEvent[] = [];
  const crashes: { message: string; jobs: Job[] }[] = [];
  const client = new WorkerClient({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    onEvent: (e) => events.push(e),
    onCrash: (message, jobs) => crashes.push({ message, jobs }),
  });
  return { client, workers, events, crashes };
}

describe('WorkerClient', () => {
  it('starts the worker only when a request needs it', () => {
    const t = setup();
    t.client.send({ type: 'pause' }); // nothing to control yet
    expect(t.workers).toHaveLength(0);
    t.client.send(LOAD);
    expect(t.workers).toHaveLength(1);
    expect(t.client.alive).toBe(true);
    expect(t.client.activeJobs).toEqual(['load']);
  });

  it('refuses a second job until the first settles', () => {
    const t = setup();
    t.client.send(LOAD);
    expect(() => t.client.send(LOAD)).toThrow(/busy/);
    t.workers[0].emit({ type: 'ready', backend: 'cpu', adapter: 'none', model: { name: 't', params: 1, config: {} } });
    expect(t.client.activeJobs).toEqual([]);
    expect(t.events.map((e) => e.type)).toEqual(['ready']);
    t.client.send(LOAD);
    expect(t.workers[0].types()).toEqual(['load', 'load']);
  });

  it('settles a job on its error event', () => {
    const t = setup();
    t.client.send(LOAD);
    t.workers[0].emit({ type: 'error', during: 'load', message: 'x' });
    expect(t.client.activeJobs).toEqual([]);
  });

  it('turns an error event into a crash with a clear message and terminates', () => {
    const t = setup();
    t.client.send(LOAD);
    t.workers[0].crash('Uncaught TypeError: boom.');
    expect(t.workers[0].terminated).toBe(true);
    expect(t.client.alive).toBe(false);
    expect(t.crashes).toEqual([{ message: `The training worker crashed: Uncaught TypeError: boom. ${CRASH_SUFFIX}`, jobs: ['load'] }]);
    // Late messages from the dead worker are ignored; the next request starts a new worker.
    t.workers[0].emit({ type: 'progress', stage: 's', loaded: 0, total: 1 });
    expect(t.events).toHaveLength(0);
    t.client.send(LOAD);
    expect(t.workers).toHaveLength(2);
  });

  it('terminate ends the worker and forgets jobs', () => {
    const t = setup();
    t.client.send(LOAD);
    t.client.terminate();
    expect(t.workers[0].terminated).toBe(true);
    expect(t.client.activeJobs).toEqual([]);
    expect(t.crashes).toHaveLength(0);
  });
});

describe('WorkerClient job attribution', () => {
  const START: WorkerRequest = { type: 'start-examples', train: [{ ids: [1, 2], mask: [0, 1] }], validation: [], config: defaultTrainConfig('lora'), truncated: 0, droppedNoLoss: 0 };

  it('gives each event its job, and a malformed-request error the job of the request that caused it', () => {
    const jobs: (Job | null)[] = [];
    const workers: FakeWorker[] = [];
    const client = new WorkerClient({
      createWorker: () => {
        workers.push(new FakeWorker());
        return workers[0];
      },
      onEvent: (_e, job) => jobs.push(job),
      onCrash: () => {},
    });
    client.send(LOAD);
    workers[0].emit({ type: 'progress', stage: 's', loaded: 0, total: 1 });
    workers[0].emit({ type: 'ready', backend: 'cpu', adapter: 'none', model: { name: 't', params: 1, config: {} } });
    client.send(START);
    workers[0].emit({ type: 'state', state: 'paused' });
    workers[0].emit({ type: 'error', during: 'message', message: 'malformed' });
    expect(jobs).toEqual(['load', 'load', null, 'train']);
    expect(client.activeJobs).toEqual([]); // the training job settled on its error
    client.send({ type: 'generate', id: 1, prompt: '', chat: false, sampling: { maxNewTokens: 1, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0, stop: [] }, targets: [{ key: 'base', adapter: null }] });
    expect(() => client.send(LOAD)).toThrow(/busy \(play\)/);
    workers[0].emit({ type: 'error', during: 'message', message: 'malformed' });
    expect(jobs.at(-1)).toBe('play');
    expect(client.activeJobs).toEqual([]);
  });
});

/** Web Locks as the browser keeps them: one holder per name, waiting requests granted in turn, abortable. */
class Locks implements LockManagerLike {
  private held = new Set<string>();
  private waiting = new Map<string, (() => void)[]>();
  hold(name: string) {
    this.held.add(name);
  }
  release(name: string) {
    this.held.delete(name);
    const next = this.waiting.get(name)?.shift();
    next?.();
  }
  request(name: string, options: { signal: AbortSignal }, callback: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => resolve(callback());
      if (!this.held.has(name)) return grant();
      this.waiting.set(name, [...(this.waiting.get(name) ?? []), grant]);
      options.signal.addEventListener('abort', () => {
        this.waiting.set(name, (this.waiting.get(name) ?? []).filter((g) => g !== grant));
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  }
}

describe('WorkerClient: a worker that ends without a word', () => {
  const START: WorkerRequest = { type: 'start-examples', train: [{ ids: [1, 2], mask: [0, 1] }], validation: [], config: defaultTrainConfig('lora'), truncated: 0, droppedNoLoss: 0 };

  function withLocks() {
    const locks = new Locks();
    const workers: FakeWorker[] = [];
    const crashes: { message: string; jobs: Job[] }[] = [];
    const client = new WorkerClient({
      createWorker: () => {
        workers.push(new FakeWorker());
        return workers.at(-1)!;
      },
      onEvent: () => {},
      onCrash: (message, jobs) => crashes.push({ message, jobs }),
      locks,
    });
    return { locks, workers, crashes, client };
  }

  it('is found through its life lock, as a crash of the job in flight', async () => {
    const t = withLocks();
    t.client.send(START);
    t.locks.hold('life-1'); // the worker holds its lock, then says so
    t.workers[0].emitRaw({ type: WORKER_ALIVE, lock: 'life-1' });
    await Promise.resolve();
    expect(t.crashes).toEqual([]);
    t.locks.release('life-1'); // the browser closed it: its locks go with it
    await Promise.resolve();
    expect(t.crashes).toEqual([{ message: crashMessage(SILENT_EXIT), jobs: ['train'] }]);
    expect(t.workers[0].terminated).toBe(true);
    expect(t.client.alive).toBe(false);
  });

  it('a worker the page ends itself is no crash', async () => {
    const t = withLocks();
    t.client.send(START);
    t.locks.hold('life-2');
    t.workers[0].emitRaw({ type: WORKER_ALIVE, lock: 'life-2' });
    t.client.terminate();
    t.locks.release('life-2');
    await Promise.resolve();
    expect(t.crashes).toEqual([]);
  });
});
