// Streaming reader for large JSON Lines and line-based text files: decodes a ReadableStream (Blob.stream()
// in the page or worker, fs in Node) chunk by chunk, splits lines across chunk boundaries, reports progress,
// and normalises records as they come, so the whole file is never held as one string.
import type { Dataset, RecordIssue, Conversation } from './types';
import type { RawRow } from './read';
import { assertText, tryParse } from './parse';
import { parseDataset, resolveShape, type DatasetOptions } from './dataset';
import { DETECT_SAMPLE } from './detect';
import { toConversation } from './normalize';

const BINARY_SAMPLE = 65536;

export type ProgressCallback = (bytesDone: number, bytesTotal: number) => void;

export interface StreamOptions extends DatasetOptions {
  /** File size in bytes, for progress (0 when unknown). */
  totalBytes?: number;
  onProgress?: ProgressCallback;
  /** 'jsonl' (default) or 'txt' (one record per non-empty line). */
  container?: 'jsonl' | 'txt';
}

/** Yields every line (1-based number, text without the line end); UTF-8 sequences split across chunks decode whole. */
export async function* streamLines(
  stream: ReadableStream<Uint8Array>,
  onProgress?: ProgressCallback,
  totalBytes = 0,
): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder('utf-8'); // drops a leading BOM
  const reader = stream.getReader();
  let carry = '';
  let line = 0;
  let done = 0;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    done += value.byteLength;
    const text = carry + decoder.decode(value, { stream: true });
    const parts = text.split('\n');
    carry = parts.pop()!;
    for (const p of parts) yield { line: ++line, text: p.endsWith('\r') ? p.slice(0, -1) : p };
    onProgress?.(done, totalBytes || done);
  }
  carry += decoder.decode();
  if (carry !== '') yield { line: ++line, text: carry.endsWith('\r') ? carry.slice(0, -1) : carry };
}

function rowOf(line: number, text: string, container: 'jsonl' | 'txt'): RawRow | null {
  if (text.trim() === '') return null;
  if (container === 'txt') return { line, obj: { text } };
  const r = tryParse(text);
  if (!r.ok) return { line, class: 'invalid_json', reason: `invalid JSON: ${r.message}` };
  if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) {
    return { line, class: 'not_object', reason: `not a JSON object (found ${Array.isArray(r.value) ? 'an array' : typeof r.value})` };
  }
  return { line, obj: r.value as Record<string, unknown> };
}

/** Parses a JSON Lines (or line-per-record text) stream into a Dataset; the shape is decided on the first records. */
export async function streamDataset(fileName: string, stream: ReadableStream<Uint8Array>, opts: StreamOptions = {}): Promise<Dataset> {
  const container = opts.container ?? 'jsonl';
  const records: Conversation[] = [];
  const issues: RecordIssue[] = [];
  const pending: RawRow[] = [];
  let resolved: ReturnType<typeof resolveShape> | null = null;
  let total = 0;
  const take = (row: RawRow) => {
    if (!row.obj) return void issues.push({ line: row.line, class: row.class!, reason: row.reason! });
    const r = toConversation(row.obj, row.line, resolved!.shape, { mapping: opts.mapping, tags: resolved!.tags });
    if ('record' in r) records.push(r.record);
    else issues.push(r.issue);
  };
  const resolveNow = () => {
    resolved = resolveShape(pending.filter((r) => r.obj).map((r) => r.obj!), opts);
    pending.splice(0).forEach(take);
  };
  let sample = ''; // the first 64 KB, checked once for binary data as the in-memory reader does
  for await (const { line, text } of streamLines(stream, opts.onProgress, opts.totalBytes)) {
    if (sample.length < BINARY_SAMPLE && (sample += text + '\n').length >= BINARY_SAMPLE) assertText(sample);
    const row = rowOf(line, text, container);
    if (!row) continue;
    total++;
    if (resolved) take(row);
    else if (pending.push(row) && pending.filter((r) => r.obj).length >= DETECT_SAMPLE) resolveNow();
  }
  if (sample.length < BINARY_SAMPLE && sample.trim() !== '') assertText(sample);
  if (total === 0) throw new Error('The file is empty: choose a file with at least one record');
  if (!resolved) {
    if (!pending.some((r) => r.obj)) throw new Error(`No usable records in the file: line ${pending[0].line}: ${pending[0].reason}`);
    resolveNow();
  }
  return { fileName, container, shape: resolved!.shape, records, issues, total };
}

/** Files at least this big, in JSON Lines, are streamed rather than read whole. */
export const STREAM_THRESHOLD = 16 << 20;

/**
 * The one call for a dropped file (File or Blob with a name), in the page or a worker: large JSON Lines stream
 * with progress; everything else (CSV, Parquet, JSON arrays, small files) is read whole.
 */
export async function parseBlob(fileName: string, blob: Blob, opts: StreamOptions = {}): Promise<Dataset> {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (blob.size >= STREAM_THRESHOLD && (ext === 'jsonl' || ext === 'ndjson')) {
    return streamDataset(fileName, blob.stream(), { ...opts, totalBytes: blob.size, container: 'jsonl' });
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  opts.onProgress?.(blob.size, blob.size);
  return parseDataset(fileName, bytes, opts);
}
