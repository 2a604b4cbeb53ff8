// The studio's Parquet read under a time budget: the real data worker (workers/data.worker.ts, DataSession,
// hyparquet) runs on a Node worker_thread behind the DataClient. alpaca.parquet reads; the same file with byte 459
// set to 214 makes hyparquet 1.33 loop, so the client ends that worker when the budget runs out, rejects with a
// message naming the file, and the next file reads in a fresh worker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { WorkerLike } from '../train-worker/client';
import { DataClient } from './client';

const FIXTURE = join(import.meta.dirname, '../data/fixtures/studio/alpaca.parquet');
const OPTIONS = { shape: 'auto', txtMode: 'blocks' } as const;
const ENTRY = new URL('../../workers/data.worker.ts', import.meta.url).href;

/** The browser worker file on a worker_thread: `self`, `postMessage` and `onmessage` as a worker has them. */
class ThreadWorker implements WorkerLike {
  readonly thread = new Worker(
    `const { parentPort } = require('node:worker_threads');
     globalThis.self = globalThis;
     globalThis.postMessage = (m, t) => parentPort.postMessage(m, t);
     const early = []; // as a browser does, messages wait until the worker's module has run
     parentPort.on('message', (data) => (globalThis.onmessage ? globalThis.onmessage({ data }) : early.push(data)));
     import('tsx/esm/api')
       .then((m) => { m.register(); return import(${JSON.stringify(ENTRY)}); })
       .then(() => early.splice(0).forEach((data) => globalThis.onmessage({ data })));`,
    { eval: true },
  );
  terminated = false;
  postMessage(message: unknown): void {
    this.thread.postMessage(message);
  }
  terminate(): void {
    this.terminated = true;
    void this.thread.terminate();
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    if (type === 'message') this.thread.on('message', (data) => listener({ data } as MessageEvent));
    if (type === 'error') this.thread.on('error', (e) => listener({ message: e.message } as ErrorEvent));
  }
}

describe('the data worker under a read budget', () => {
  it('stops a Parquet file the reader loops on, then reads the next file in a fresh worker', async () => {
    const workers: ThreadWorker[] = [];
    const budgets = [2_000, 30_000]; // short for the broken file; the intact one never needs it
    const client = new DataClient(() => {
      workers.push(new ThreadWorker());
      return workers.at(-1)!;
    }, () => budgets.shift()!);
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const broken = bytes.slice();
    broken[459] = 214;
    await expect(client.parse('main', new Blob([broken]), 'alpaca.parquet', OPTIONS)).rejects.toThrow(
      /^Reading alpaca\.parquet was stopped after 2\.0 s \(the time its size allows\): the file is probably damaged \(a Parquet page header/,
    );
    expect(workers[0].terminated).toBe(true);
    const summary = await client.parse('main', new Blob([bytes]), 'alpaca.parquet', OPTIONS);
    expect(workers).toHaveLength(2);
    expect(summary).toMatchObject({ container: 'parquet', shape: 'alpaca' });
    expect(summary.valid).toBeGreaterThan(0);
    client.terminate();
  });
});
