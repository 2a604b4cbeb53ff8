// The worker's session loading Hub and local-files sources end to end in Node (cpu backend): the
// 'ready' facts, progress with rate, and a cancelled download answering 'load-cancelled'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainSession } from '../train-worker/session';
import type { WorkerEvent } from '../train-worker/protocol';
import { startHubServer, type HubServer } from './test-server';
import { tinyHubModel } from './test-models';

let server: HubServer;
let slow: HubServer;
const model = tinyHubModel();

beforeAll(async () => {
  server = await startHubServer({ models: { 'acme/tiny': model } });
  slow = await startHubServer({ models: { 'acme/tiny': model }, slowMs: 20 });
});
afterAll(async () => {
  await server.close();
  await slow.close();
});

function session() {
  const events: WorkerEvent[] = [];
  return { events, s: new TrainSession((e) => events.push(e)) };
}

describe('TrainSession with Hub and local sources', () => {
  it('loads a Hub model and reports where it came from', async () => {
    const { events, s } = session();
    await s.handle({ type: 'load', model: { kind: 'hub', id: 'acme/tiny', baseUrl: server.url }, backend: 'cpu', allowFallbackAdapter: false });
    const ready = events.find((e) => e.type === 'ready');
    expect(ready).toMatchObject({ model: { name: 'acme/tiny', origin: '127.0.0.1:' + new URL(server.url).port, config: { model_type: 'gpt2', n_layer: 2 } } });
    // The download's progress ends at every byte of the folder; the backend starts after it (it needs config.json).
    const progress = events.filter((e) => e.type === 'progress');
    const download = progress.filter((e) => e.stage === 'Downloading acme/tiny').pop();
    expect(download).toMatchObject({ loaded: [...model.values()].reduce((n, b) => n + b.byteLength, 0) });
    expect(progress.at(-1)).toMatchObject({ stage: 'Starting the compute backend' });
  });

  it('loads transferred local files', async () => {
    const { events, s } = session();
    const files = Object.fromEntries([...model].map(([k, v]) => [`tiny/${k}`, v.slice().buffer as ArrayBuffer]));
    await s.handle({ type: 'load', model: { kind: 'files', name: 'tiny', files }, backend: 'cpu', allowFallbackAdapter: false });
    expect(events.find((e) => e.type === 'ready')).toMatchObject({ model: { name: 'tiny', origin: 'local files' } });
  });

  it('answers a cancel during the download with load-cancelled, not an error', async () => {
    const { events, s } = session();
    const loading = s.handle({ type: 'load', model: { kind: 'hub', id: 'acme/tiny', baseUrl: slow.url }, backend: 'cpu', allowFallbackAdapter: false });
    while (!events.some((e) => e.type === 'progress' && e.file === 'config.json')) await new Promise((r) => setTimeout(r, 10));
    await s.handle({ type: 'cancel-load' });
    await loading;
    expect(events.map((e) => e.type)).toContain('load-cancelled');
    expect(events.some((e) => e.type === 'error' || e.type === 'ready')).toBe(false);
  });

  it('shows a 404 as a load error naming the model', async () => {
    const { events, s } = session();
    await s.handle({ type: 'load', model: { kind: 'hub', id: 'acme/nope', baseUrl: server.url }, backend: 'cpu', allowFallbackAdapter: false });
    expect(events.pop()).toEqual({ type: 'error', during: 'load', message: expect.stringMatching(/No model "acme\/nope"/) });
  });
});
