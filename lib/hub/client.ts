// Hugging Face Hub client: downloads a model folder (config, tokenizer, safetensors weights, single or
// sharded) from https://huggingface.co or a mirror, with progress, cancel and an IndexedDB cache.
// Pure TypeScript: runs in the training worker and in Node tests.
import type { FileSource } from '../engine/loader';
import { HubCache, type ModelRef } from './cache';
import { HubAbortError, HubAuthError, HubError, HubHttpError, HubNetworkError, HubNotFoundError, HubPickleOnlyError } from './errors';
import { ProgressTracker, type ProgressListener } from './progress';

export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';
export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const OPTIONAL_FILES = ['generation_config.json', 'special_tokens_map.json'] as const;
export const SHARD_INDEX = 'model.safetensors.index.json';

export interface HubModelRequest {
  id: string;
  baseUrl?: string;
  revision?: string;
}

export interface HubLoadOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Where finished downloads are kept; null or absent: no cache. */
  cache?: HubCache | null;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface HubDownload {
  ref: ModelRef;
  files: Map<string, Uint8Array>;
  /** True when every file came from the cache (no requests made). */
  fromCache: boolean;
  bytes: number;
  /** Set when the download could not be cached (e.g. the disk quota is full). */
  cacheError?: string;
}

interface Ctx {
  ref: ModelRef;
  fetch: typeof fetch;
  signal?: AbortSignal;
  tracker: ProgressTracker;
}

/** Why `id` is not a Hub model id ("owner/name" or "name"), or null when it is. */
export function checkModelId(id: string): string | null {
  const t = id.trim();
  if (t === '') return 'Enter a model id, e.g. openai-community/gpt2.';
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(t) || t.split('/').some((p) => p === '.' || p === '..')) {
    return `"${t}" is not a model id: use owner/name (letters, digits, "-", "_", ".").`;
  }
  return null;
}

/** Why `url` is not a usable Hub base URL, or null when it is. */
export function checkBaseUrl(url: string): string | null {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'The Hub URL must start with http:// or https://.';
  } catch {
    return `"${url}" is not a URL; the default is ${DEFAULT_HUB_URL}.`;
  }
}

export function toModelRef(req: HubModelRequest): ModelRef {
  const baseUrl = (req.baseUrl?.trim() || DEFAULT_HUB_URL).replace(/\/+$/, '');
  return { baseUrl, id: req.id.trim(), revision: req.revision?.trim() || DEFAULT_REVISION };
}

/** `<base>/<id>/resolve/<revision>/<file>`, the Hub's raw-file address. */
export function resolveUrl(ref: ModelRef, file: string): string {
  const id = ref.id.split('/').map(encodeURIComponent).join('/');
  return `${ref.baseUrl}/${id}/resolve/${encodeURIComponent(ref.revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

async function request(ctx: Ctx, file: string, method: 'GET' | 'HEAD'): Promise<Response> {
  if (ctx.signal?.aborted) throw new HubAbortError();
  try {
    return await ctx.fetch(resolveUrl(ctx.ref, file), { method, signal: ctx.signal });
  } catch (e) {
    if (ctx.signal?.aborted) throw new HubAbortError();
    throw new HubNetworkError(ctx.ref.baseUrl, e instanceof Error ? e.message : String(e));
  }
}

/** Throws the error a failed response stands for; returns false on a 404 of an optional file. */
function checkResponse(ctx: Ctx, res: Response, file: string, optional: boolean): boolean {
  if (res.ok) return true;
  // The Hub answers 401 "RepoNotFound" to anonymous requests for missing repos; mirrors send plain 404s.
  const code = res.headers.get('x-error-code');
  if (res.status === 404 || code === 'RepoNotFound' || code === 'EntryNotFound') {
    if (optional && code !== 'RepoNotFound') return false;
    throw new HubNotFoundError(ctx.ref.id, code === 'RepoNotFound' ? 'config.json' : file, ctx.ref.baseUrl);
  }
  if (res.status === 401 || res.status === 403) throw new HubAuthError(ctx.ref.id, res.status);
  throw new HubHttpError(ctx.ref.id, file, res.status);
}

/** Reads a response body, reporting bytes as they arrive. */
async function readBody(ctx: Ctx, res: Response, file: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
      ctx.tracker.add(file, value.byteLength);
    }
  } catch (e) {
    if (ctx.signal?.aborted) throw new HubAbortError();
    throw new HubNetworkError(ctx.ref.baseUrl, `the download of ${file} broke off: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = new Uint8Array(length);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/** GETs one file; null for a missing optional file. `sized`: its size was already counted (HEAD). */
async function getFile(ctx: Ctx, file: string, optional: boolean, sized = false): Promise<Uint8Array | null> {
  const res = await request(ctx, file, 'GET');
  if (!checkResponse(ctx, res, file, optional)) return null;
  const length = Number(res.headers.get('content-length') ?? 0);
  if (!sized && length > 0) ctx.tracker.addTotal(length);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    ctx.tracker.add(file, bytes.byteLength);
    return bytes;
  }
  return readBody(ctx, res, file);
}

async function exists(ctx: Ctx, file: string): Promise<boolean> {
  const res = await request(ctx, file, 'HEAD');
  return res.ok;
}

/** The shard files a model.safetensors.index.json lists, in order. */
export function shardNames(index: Uint8Array): string[] {
  let parsed: { weight_map?: Record<string, string> };
  try {
    parsed = JSON.parse(new TextDecoder().decode(index));
  } catch (e) {
    throw new HubError('bad-file', `${SHARD_INDEX} is not valid JSON: ${(e as Error).message}`);
  }
  const names = [...new Set(Object.values(parsed.weight_map ?? {}))].sort();
  if (names.length === 0) throw new HubError('bad-file', `${SHARD_INDEX} lists no weight files in its weight_map.`);
  return names;
}

/** Downloads every shard, counting their sizes first (HEAD) so the total is right from the start. */
async function getShards(ctx: Ctx, names: string[], files: Map<string, Uint8Array>): Promise<void> {
  const heads = await Promise.all(names.map((n) => request(ctx, n, 'HEAD')));
  heads.forEach((res, i) => {
    checkResponse(ctx, res, names[i], false);
    ctx.tracker.addTotal(Number(res.headers.get('content-length') ?? 0));
  });
  for (const name of names) files.set(name, (await getFile(ctx, name, false, true))!);
}

/** model.safetensors, or the index and every shard; refuses pickle-only repositories. */
async function getWeights(ctx: Ctx, files: Map<string, Uint8Array>): Promise<void> {
  const single = await getFile(ctx, 'model.safetensors', true);
  if (single) {
    files.set('model.safetensors', single);
    return;
  }
  const index = await getFile(ctx, SHARD_INDEX, true);
  if (index) {
    files.set(SHARD_INDEX, index);
    return getShards(ctx, shardNames(index), files);
  }
  const pickle = (await exists(ctx, 'pytorch_model.bin')) || (await exists(ctx, 'pytorch_model.bin.index.json'));
  if (pickle) throw new HubPickleOnlyError(ctx.ref.id);
  throw new HubNotFoundError(ctx.ref.id, 'model.safetensors', ctx.ref.baseUrl);
}

async function downloadAll(ctx: Ctx): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const file of REQUIRED_FILES) files.set(file, (await getFile(ctx, file, false))!);
  for (const file of OPTIONAL_FILES) {
    const bytes = await getFile(ctx, file, true);
    if (bytes) files.set(file, bytes);
  }
  await getWeights(ctx, files);
  return files;
}

const totalBytes = (files: Map<string, Uint8Array>) => [...files.values()].reduce((n, b) => n + b.byteLength, 0);

/** Downloads (or reads from the cache) a Hub model folder. Throws HubError subclasses. */
export async function downloadHubModel(req: HubModelRequest, opts: HubLoadOptions = {}): Promise<HubDownload> {
  const ref = toModelRef(req);
  const bad = checkModelId(ref.id) ?? checkBaseUrl(ref.baseUrl);
  if (bad) throw new HubError('invalid', bad);
  const tracker = new ProgressTracker(opts.onProgress, opts.now);
  const cached = await opts.cache?.getModel(ref).catch(() => null);
  if (cached) {
    const bytes = totalBytes(cached);
    tracker.addTotal(bytes);
    tracker.add('cache', bytes);
    tracker.emit();
    return { ref, files: cached, fromCache: true, bytes };
  }
  const files = await downloadAll({ ref, fetch: opts.fetch ?? ((url, init) => fetch(url, init)), signal: opts.signal, tracker });
  tracker.emit();
  const result: HubDownload = { ref, files, fromCache: false, bytes: totalBytes(files) };
  try {
    await opts.cache?.putModel(ref, files);
  } catch (e) {
    result.cacheError = `The model was not saved for next time: ${e instanceof Error ? e.message : String(e)}`;
  }
  return result;
}

/** The downloaded folder as a FileSource for the model loaders. */
export function mapFileSource(files: Map<string, Uint8Array>): FileSource {
  return async (name, onProgress) => {
    const bytes = files.get(name) ?? null;
    if (bytes) onProgress?.(bytes.byteLength, bytes.byteLength);
    return bytes;
  };
}
