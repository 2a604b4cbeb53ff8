// Hub client against a local server with the Hub's layout: single and sharded downloads, errors by
// status, network failure, cancel, progress totals, and the IndexedDB cache (fake-indexeddb in Node).
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGpt2Folder } from '../engine/loader';
import { HubCache } from './cache';
import { downloadHubModel, mapFileSource, resolveUrl, toModelRef } from './client';
import { HubError } from './errors';
import type { DownloadProgress } from './progress';
import { startHubServer, type HubServer } from './test-server';
import { pickleOnlyModel, tinyHubModel, tinyShardedModel } from './test-models';

const single = tinyHubModel();
const sharded = tinyShardedModel();
const size = (m: Map<string, Uint8Array>) => [...m.values()].reduce((n, b) => n + b.byteLength, 0);
let server: HubServer;
let dbCount = 0;
const freshCache = async () => (await HubCache.open(`hub-test-${++dbCount}`))!;

beforeAll(async () => {
  server = await startHubServer({ models: { 'acme/tiny': single, 'acme/tiny-sharded': sharded, 'acme/pickle': pickleOnlyModel() }, gated: ['acme/gated'] });
});
afterAll(() => server.close());

async function kindOf(p: Promise<unknown>): Promise<[string, string]> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(HubError);
  return [(e as HubError).kind, (e as HubError).message];
}

describe('downloadHubModel', () => {
  it('downloads a single-file model that the GPT-2 loader then loads', async () => {
    const seen: DownloadProgress[] = [];
    const d = await downloadHubModel({ id: 'acme/tiny', baseUrl: server.url }, { onProgress: (p) => seen.push(p) });
    expect([...d.files.keys()].sort()).toEqual([...single.keys()].sort());
    expect(d.files.get('model.safetensors')).toEqual(single.get('model.safetensors'));
    const last = seen[seen.length - 1];
    expect(last.loaded).toBe(size(single));
    expect(last.total).toBe(size(single));
    const model = await loadGpt2Folder('acme/tiny', mapFileSource(d.files));
    expect(model.weights.get('h.1.attn.c_attn.weight')!.shape).toEqual([8, 24]);
    model.weights.forEach((t) => t.dispose());
  });

  it('downloads every shard, with the total known before the first shard byte', async () => {
    const seen: DownloadProgress[] = [];
    const d = await downloadHubModel({ id: 'acme/tiny-sharded', baseUrl: server.url }, { onProgress: (p) => seen.push(p), now: () => seen.length });
    expect(d.files.get('model-00002-of-00002.safetensors')).toEqual(sharded.get('model-00002-of-00002.safetensors'));
    expect(d.bytes).toBe(size(sharded));
    const inShards = seen.filter((p) => p.file.endsWith('-of-00002.safetensors'));
    expect(inShards.length).toBeGreaterThan(0);
    expect(inShards.every((p) => p.total === size(sharded))).toBe(true);
  });

  it.each([
    ['acme/missing', 'not-found', /No model "acme\/missing".*config\.json/],
    ['acme/gated', 'auth', /gated or private \(HTTP 401\).*accept its licence/],
    ['acme/pickle', 'pickle-only', /safetensors only/],
  ])('%s fails as %s', async (id, kind, msg) => {
    const [k, m] = await kindOf(downloadHubModel({ id, baseUrl: server.url }));
    expect(k).toBe(kind);
    expect(m).toMatch(msg);
  });

  it('names a missing required file', async () => {
    const files = new Map(single);
    files.delete('tokenizer.json');
    const s = await startHubServer({ models: { 'acme/no-tok': files } });
    const [k, m] = await kindOf(downloadHubModel({ id: 'acme/no-tok', baseUrl: s.url }));
    await s.close();
    expect([k, m]).toEqual(['not-found', expect.stringMatching(/has no tokenizer\.json/)]);
  });

  it('reports a closed server as a network failure that mentions the Hub URL setting', async () => {
    const s = await startHubServer({ models: {} });
    await s.close();
    const [k, m] = await kindOf(downloadHubModel({ id: 'acme/tiny', baseUrl: s.url }));
    expect(k).toBe('network');
    expect(m).toContain(s.url);
    expect(m).toMatch(/offline.*Hub URL setting/);
  });

  it('stops on cancel during a slow download, and caches nothing of it', async () => {
    const s = await startHubServer({ models: { 'acme/tiny': single }, slowMs: 5 });
    const cache = await freshCache();
    const abort = new AbortController();
    const seen: DownloadProgress[] = [];
    const onProgress = (p: DownloadProgress) => {
      seen.push(p);
      if (p.file === 'model.safetensors') abort.abort();
    };
    const [k] = await kindOf(downloadHubModel({ id: 'acme/tiny', baseUrl: s.url }, { signal: abort.signal, onProgress, cache, now: () => seen.length * 1000 }));
    await s.close();
    expect(k).toBe('aborted');
    expect(await cache.list()).toEqual([]);
    expect(seen[seen.length - 1].loaded).toBeLessThan(size(single));
  });

  it('serves a second load from the cache with zero requests, and lists and clears it', async () => {
    const cache = await freshCache();
    const before = server.requests.length;
    const first = await downloadHubModel({ id: 'acme/tiny-sharded', baseUrl: server.url }, { cache });
    const firstRequests = server.requests.length - before;
    expect(first.fromCache).toBe(false);
    const second = await downloadHubModel({ id: 'acme/tiny-sharded', baseUrl: server.url + '/' }, { cache });
    expect(server.requests.length - before).toBe(firstRequests);
    expect(second.fromCache).toBe(true);
    expect(second.files).toEqual(first.files);
    const listed = await cache.list();
    expect(listed).toEqual([expect.objectContaining({ id: 'acme/tiny-sharded', revision: 'main', size: size(sharded) })]);
    await cache.clear(toModelRef({ id: 'acme/tiny-sharded', baseUrl: server.url }));
    expect(await cache.list()).toEqual([]);
    console.info(`hub cache: first load ${firstRequests} requests, second load 0`);
  });
});

describe('resolveUrl', () => {
  it('builds the Hub raw-file address and keeps the owner/name slash', () => {
    expect(resolveUrl(toModelRef({ id: 'Qwen/Qwen2.5-0.5B' }), 'config.json')).toBe('https://huggingface.co/Qwen/Qwen2.5-0.5B/resolve/main/config.json');
    expect(resolveUrl(toModelRef({ id: 'gpt2', baseUrl: 'https://hf-mirror.com/', revision: 'v1.0' }), 'a b.json')).toBe('https://hf-mirror.com/gpt2/resolve/v1.0/a%20b.json');
  });

  it('refuses ids that are not owner/name before any request', async () => {
    const [k, m] = await kindOf(downloadHubModel({ id: '../etc', baseUrl: server.url }));
    expect(k).toBe('invalid');
    expect(m).toMatch(/owner\/name/);
  });
});
