// Reads what was dropped on the page into picked files: plain files, or whole folders walked through the
// File System entries API (webkitGetAsEntry), keeping each file's path inside the folder.
import type { PickedFile } from './model-source';

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const f = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ name: f.name, size: f.size, webkitRelativePath: entry.fullPath.replace(/^\//, ''), arrayBuffer: () => f.arrayBuffer() });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call: read until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    for (const e of batch) await walk(e, out);
  }
}

export async function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = [...dt.items].map((item) => item.webkitGetAsEntry?.() ?? null).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return [...dt.files];
  const out: PickedFile[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}
