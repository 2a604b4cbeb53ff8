// Turns a Hub or local-files model source into a FileSource for the model loader, inside the worker:
// downloads (or reads the cache) with progress and cancel, or wraps the transferred files.
import type { FileSource } from '../engine/loader';
import { HubCache } from './cache';
import { downloadHubModel } from './client';
import { HubAbortError, HubError } from './errors';
import { localFilesSource } from './local-files';
import type { DownloadProgress } from './progress';

export type FolderSource =
  | { kind: 'hub'; id: string; baseUrl: string; revision?: string }
  | { kind: 'files'; name: string; files: Record<string, ArrayBuffer> };

export interface OpenedFolder {
  name: string;
  source: FileSource;
  /** Where the bytes came from, for the model facts ("huggingface.co", "browser cache", "local files"). */
  origin: string;
  /** A note for the person (e.g. the download could not be cached). */
  note?: string;
}

export interface OpenOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Defaults to the browser's IndexedDB cache; null turns caching off. */
  cache?: HubCache | null;
}

export async function openModelFolder(src: FolderSource, o: OpenOptions = {}): Promise<OpenedFolder> {
  if (src.kind === 'files') {
    const { source } = localFilesSource(src.files);
    return { name: src.name, source, origin: 'local files' };
  }
  const cache = o.cache === undefined ? await HubCache.open() : o.cache;
  try {
    const d = await downloadHubModel(src, { signal: o.signal, onProgress: o.onProgress, cache });
    if (o.signal?.aborted) throw new HubAbortError();
    const origin = d.fromCache ? 'browser cache' : new URL(d.ref.baseUrl).host;
    const files = d.files;
    return { name: src.id, source: async (name) => files.get(name) ?? null, origin, note: d.cacheError };
  } finally {
    cache?.close();
  }
}

/** True for a cancelled download: the worker answers with 'load-cancelled', not an error. */
export function isCancelled(e: unknown): boolean {
  return e instanceof HubError && e.kind === 'aborted';
}
