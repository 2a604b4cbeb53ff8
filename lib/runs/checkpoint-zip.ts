// A stored checkpoint as a download: the train state files in one folder of a zip, the folder `cli train
// --resume <dir>` reads and the studio resumes from (Runs, Resume), so a run stopped and saved can continue anywhere.
import { zipSync } from 'fflate';
import type { StoredCheckpoint } from './checkpoint-store';

export function checkpointZip(runName: string, ck: Pick<StoredCheckpoint, 'step' | 'files'>): { fileName: string; bytes: ArrayBuffer } {
  const base = `${runName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}-checkpoint-step-${ck.step}`;
  const tree: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(ck.files)) tree[`${base}/${name}`] = bytes;
  const zip = zipSync(tree, { level: 1 });
  return { fileName: `${base}.zip`, bytes: zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer };
}
