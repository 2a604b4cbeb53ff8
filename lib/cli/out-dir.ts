// The output folder of `cli train` (and of exports), checked and created before any work: a file in the way, a
// folder that cannot be created or written is refused with its path, not found after hours of training.
import { access, constants, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

async function kindOf(path: string): Promise<'dir' | 'file' | 'none'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'none'; // ENOTDIR: a file above it, found on the way up
    throw new Error(`--${FLAG} ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

const FLAG = 'out';

/** Makes sure `dir` is a folder we can write: creates the missing levels one at a time (Node's recursive mkdir
 * never returns under /proc) and writes and removes a probe file. Returns the absolute path. */
export async function prepareOutDir(dir: string, flag = FLAG): Promise<string> {
  const out = resolve(dir);
  const missing: string[] = [];
  let at = out;
  for (;;) {
    const kind = await kindOf(at);
    if (kind === 'dir') break;
    if (kind === 'file') {
      throw new Error(at === out ? `--${flag} ${out} is a file, not a folder: choose another path or remove the file`
        : `--${flag} ${out} cannot be created: ${at} is a file, not a folder`);
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const level of missing) {
    await mkdir(level).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') return;
      throw new Error(`--${flag} ${out} cannot be created: mkdir ${level} failed (${e.code ?? e.message}). Choose a folder you can write`);
    });
  }
  const probe = join(out, `.webtune-write-check-${process.pid}`);
  try {
    await access(out, constants.W_OK);
    await writeFile(probe, '');
    await rm(probe);
  } catch (e) {
    throw new Error(`--${flag} ${out} is not writable (${(e as NodeJS.ErrnoException).code ?? String(e)}): choose a folder you can write`);
  }
  return out;
}
