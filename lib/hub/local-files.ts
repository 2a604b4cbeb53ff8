// Local model folders: the files a person picked (<input webkitdirectory>) or dropped, checked for what a
// model needs, and read as a FileSource. The page reads them into ArrayBuffers and transfers them to the worker.
import type { FileSource } from '../engine/loader';
import { SHARD_INDEX, shardNames } from './client';
import { HubPickleOnlyError, MissingFilesError } from './errors';

/** "my-model/config.json" -> "config.json": files are keyed by name inside the chosen folder. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

/** The folder name from the picked files' relative paths, or a fallback. */
export function folderName(paths: string[], fallback = 'local model'): string {
  const first = paths.find((p) => p.includes('/'));
  return first ? first.split('/')[0] : fallback;
}

/** Names the required files that are missing (weights: model.safetensors or the shard index). */
export function missingFiles(names: string[]): string[] {
  const have = new Set(names.map(baseName));
  const missing = ['config.json', 'tokenizer.json'].filter((f) => !have.has(f));
  if (!have.has('model.safetensors') && !have.has(SHARD_INDEX)) missing.push('model.safetensors');
  return missing;
}

/** Throws a clear error when the picked files cannot make a model. */
export function checkLocalFiles(names: string[], label = 'These files'): void {
  const have = new Set(names.map(baseName));
  const missing = missingFiles(names);
  if (missing.includes('model.safetensors') && (have.has('pytorch_model.bin') || have.has('pytorch_model.bin.index.json'))) {
    throw new HubPickleOnlyError(label);
  }
  if (missing.length) throw new MissingFilesError(missing);
}

/** Checks a sharded folder holds every shard its index lists. */
export function checkShards(files: Map<string, Uint8Array>): void {
  const index = files.get(SHARD_INDEX);
  if (!index || files.has('model.safetensors')) return;
  const missing = shardNames(index).filter((n) => !files.has(n));
  if (missing.length) throw new MissingFilesError(missing);
}

/** A FileSource over transferred buffers keyed by file name (folder prefixes dropped). */
export function localFilesSource(files: Record<string, ArrayBuffer>): { source: FileSource; files: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  for (const [name, buf] of Object.entries(files)) map.set(baseName(name), new Uint8Array(buf));
  checkLocalFiles([...map.keys()]);
  checkShards(map);
  return { files: map, source: async (name) => map.get(name) ?? null };
}
