// A FileSource over a local model folder, for the command line and tests. A folder that does not exist (or is a
// file) is refused by its path on the first read, not reported as a folder missing config.json.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelLoadError, type FileSource } from '../engine/loader';

export function fsSource(dir: string): FileSource {
  let checked = false;
  return async (name) => {
    if (!checked) {
      const d = await stat(dir).catch(() => null);
      if (!d) throw new ModelLoadError(`The model folder ${resolve(dir)} does not exist: check the path`);
      if (!d.isDirectory()) throw new ModelLoadError(`${resolve(dir)} is a file, not a model folder: give the folder that holds config.json`);
      checked = true;
    }
    const file = join(dir, name);
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) return null;
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  };
}
