// A FileSource over a local model folder, for the command line and tests.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSource } from '../engine/loader';

export function fsSource(dir: string): FileSource {
  return async (name) => {
    const file = join(dir, name);
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) return null;
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  };
}
