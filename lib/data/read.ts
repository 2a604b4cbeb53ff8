// Reads a data file's bytes into rows (JSON objects with their line or row number), whatever the layout:
// JSON Lines, JSON arrays, CSV/TSV (papaparse), Parquet (hyparquet) or plain text.
import Papa from 'papaparse';
import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import type { FileContainer, IssueClass } from './types';
import { assertText, extensionOf, readItems } from './parse';

/** One record as found: an object, or the reason it is not one. `line` is 1-based (row for CSV/Parquet). */
export interface RawRow {
  line: number;
  obj?: Record<string, unknown>;
  reason?: string;
  class?: IssueClass;
}

export interface ReadOptions {
  /** Force a layout instead of detecting it from the name and the first bytes. */
  container?: FileContainer;
  /** Plain text: one record per blank-line-separated block (default) or per non-empty line. */
  txtMode?: 'blocks' | 'lines';
}

export interface ReadResult {
  container: FileContainer;
  rows: RawRow[];
}

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

export function isParquet(bytes: Uint8Array): boolean {
  return PARQUET_MAGIC.every((b, i) => bytes[i] === b);
}

/** Reads any supported file. Parquet needs the bytes (its index is at the end); the rest is decoded as UTF-8. */
export async function readRows(fileName: string, bytes: Uint8Array, opts: ReadOptions = {}): Promise<ReadResult> {
  const ext = extensionOf(fileName);
  if (bytes.length === 0) throw new Error('The file is empty: choose a file with at least one record');
  if (opts.container === 'parquet' || (!opts.container && (ext === 'parquet' || isParquet(bytes)))) {
    return { container: 'parquet', rows: await readParquet(bytes) };
  }
  return readTextRows(fileName, new TextDecoder('utf-8').decode(bytes), opts);
}

/** Reads a text file (everything but Parquet). Throws for an empty or binary file, with what to do. */
export function readTextRows(fileName: string, text: string, opts: ReadOptions = {}): ReadResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new Error('The file is empty: choose a file with at least one record');
  assertText(body);
  const ext = extensionOf(fileName);
  const container = opts.container ?? (ext === 'csv' || ext === 'tsv' ? ext : undefined);
  if (container === 'csv' || container === 'tsv') return { container, rows: readDelimited(body, container) };
  const { container: found, items } = readItems(fileName, body, opts.txtMode ?? 'blocks');
  const rows: RawRow[] = items.map((it) => ({
    line: it.line,
    obj: it.obj,
    reason: it.reason,
    class: it.obj ? undefined : it.reason?.startsWith('invalid JSON') ? 'invalid_json' : 'not_object',
  }));
  if (found === 'json') relocateArrayRows(body, rows);
  return { container: found, rows };
}

/** CSV or TSV with a header row; each row is located at the line it starts on (quoted fields may span lines). */
function readDelimited(body: string, kind: 'csv' | 'tsv'): RawRow[] {
  const rows: RawRow[] = [];
  let header: string[] | null = null;
  let cursor = 0;
  let line = 1;
  Papa.parse<string[]>(body, {
    delimiter: kind === 'tsv' ? '\t' : '',
    skipEmptyLines: false,
    step: (res) => {
      const start = line + countNewlines(body, cursor, skipBlank(body, cursor));
      line += countNewlines(body, cursor, res.meta.cursor);
      cursor = res.meta.cursor;
      const fields = res.data;
      if (fields.length === 1 && fields[0].trim() === '') return;
      if (!header) return void (header = fields.map((h) => h.trim()));
      rows.push(delimitedRow(header, fields, start, res.errors));
    },
  });
  if (!header) throw new Error('The CSV file has no header row: the first row must name the columns');
  return rows;
}

function skipBlank(s: string, from: number): number {
  let i = from;
  while (s[i] === '\r' || s[i] === '\n') i++;
  return i;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

function delimitedRow(header: string[], fields: string[], line: number, errors: Papa.ParseError[]): RawRow {
  if (errors.length > 0) return { line, class: 'wrong_type', reason: `malformed row: ${errors[0].message}` };
  if (fields.length !== header.length) {
    return {
      line,
      class: 'missing_field',
      reason: `row has ${fields.length} fields but the header names ${header.length}: quote fields that contain the delimiter`,
    };
  }
  const obj: Record<string, unknown> = {};
  header.forEach((h, i) => (obj[h] = fields[i]));
  return { line, obj };
}

async function readParquet(bytes: Uint8Array): Promise<RawRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    const metadata = parquetMetadata(file);
    checkColumnChunks(metadata);
    objects = await parquetReadObjects({ file, metadata });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot read this Parquet file (${msg}). Files compressed with snappy or none are supported; re-save it with one of those, or export JSON Lines`);
  }
  return objects.map((o, i) => ({ line: i + 1, obj: plainValue(o) as Record<string, unknown> }));
}

/**
 * Refuses a footer whose column chunks do not match its schema: one chunk per top-level leaf column per row group,
 * every chunk under a column the schema has. hyparquet 1.33 reads every chunk but only awaits those it can place, so
 * the failure of a misplaced chunk would escape as an unhandled rejection instead of reaching our message.
 */
function checkColumnChunks(metadata: FileMetaData): void {
  const top = parquetSchema(metadata).children;
  const names = new Set(top.map((c) => c.element.name));
  const leaves = new Set(top.filter((c) => !c.children.length).map((c) => c.element.name));
  metadata.row_groups.forEach((group, g) => {
    const seen = new Set<string>();
    for (const chunk of group.columns) {
      const column = chunk.meta_data?.path_in_schema?.[0];
      if (column === undefined) continue;
      if (!names.has(column)) throw new Error(`row group ${g + 1} has data for a column "${column}" that the schema does not list; the file is damaged`);
      if (leaves.has(column)) {
        if (seen.has(column)) throw new Error(`row group ${g + 1} has two chunks for column "${column}"; the file is damaged`);
        seen.add(column);
      }
    }
  });
}

/** Parquet values as JSON-like values: BigInt to number, typed arrays and Dates to plain values. */
function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v)) return v.map(plainValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

/** For a top-level JSON array, replaces each row's index with the line its element starts on. */
function relocateArrayRows(body: string, rows: RawRow[]): void {
  const starts = arrayElementLines(body);
  if (starts.length !== rows.length) return; // a wrapped array: keep the 1-based index
  rows.forEach((r, i) => (r.line = starts[i]));
}

/** 1-based start line of every element of a top-level JSON array (empty when the text is not one). */
export function arrayElementLines(s: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < s.length && /\s/.test(s[i])) i++;
  if (s[i] !== '[') return out;
  let depth = 0;
  let line = 1;
  let expect = false; // at depth 1, the next non-space character starts an element
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\n') line++;
    if (c === '"') {
      if (expect) [out[out.length], expect] = [line, false];
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (expect && c !== ']') [out[out.length], expect] = [line, false];
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    if (depth === 1 && (c === '[' || c === ',')) expect = true;
  }
  return out;
}
