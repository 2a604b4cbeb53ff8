// The text layouts of a data file (JSON Lines, a JSON array or wrapping object, plain text) as located items, and the
// checks every reader shares (binary data, JSON syntax errors with their line). Record shapes are lib/data/normalize.ts.
import type { DataContainer } from './types';
import { listText } from './data-error';
import { describeJsonError, jsonErrorOffset, lineColumn } from './json-locate';

/** One record as found in the file: an object, or the reason it is not one. */
export interface Item {
  line: number;
  obj?: Record<string, unknown>;
  reason?: string;
}

// Array fields of a wrapping object that are taken as the records when there are several.
const WRAPPER_KEYS = ['data', 'train', 'examples', 'records', 'rows', 'instances', 'items'];
const BINARY_SAMPLE = 65536;
const BINARY_RATIO = 0.1; // share of suspicious characters above which the file is not text

/** Throws when NUL bytes, U+FFFD (invalid UTF-8) or other control characters dominate the start of the file. */
export function assertText(body: string): void {
  const sample = body.slice(0, BINARY_SAMPLE);
  let nul = 0;
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) nul++;
    if (c === 0 || c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13)) bad++;
  }
  if (bad / sample.length <= BINARY_RATIO) return;
  let hint = '';
  if (sample.startsWith('PAR1')) hint = '; it looks like a Parquet file: export it as JSON Lines';
  else if (nul / sample.length > 0.3) hint = '; if it is UTF-16 text, save it as UTF-8';
  throw new Error(`This does not look like a text file (found binary data)${hint}`);
}

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

export function readItems(
  fileName: string,
  body: string,
  txtMode: 'blocks' | 'lines',
): { container: DataContainer; items: Item[] } {
  const ext = extensionOf(fileName);
  const lead = body.trimStart()[0];
  if (ext === 'jsonl' || ext === 'ndjson') return { container: 'jsonl', items: readJsonLines(body) };
  if (ext === 'json' || (ext !== 'txt' && (lead === '[' || lead === '{'))) {
    const whole = tryParse(body);
    if (whole.ok) return { container: 'json', items: readJsonValue(whole.value) };
    // Many ".json" files are JSON Lines in fact.
    if (looksLikeJsonLines(body)) return { container: 'jsonl', items: readJsonLines(body) };
    throw new Error(`The file is not valid JSON: ${whole.message}`);
  }
  if (looksLikeJsonLines(body)) return { container: 'jsonl', items: readJsonLines(body) };
  return { container: 'txt', items: readText(body, txtMode) };
}

export function tryParse(s: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch (e) {
    return { ok: false, message: jsonErrorMessage(e, s) };
  }
}

/** Where and what the syntax error is ("unexpected "}" at line 3, column 11"), the same in every engine. */
function jsonErrorMessage(e: unknown, s: string): string {
  const offset = jsonErrorOffset(s);
  if (offset < 0) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    return msg.length > 160 ? `${msg.slice(0, 157)}...` : msg;
  }
  const { line, column } = lineColumn(s, offset);
  return `${describeJsonError(s, offset)} at ${s.includes('\n') ? `line ${line}, ` : ''}column ${column}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function itemOf(line: number, v: unknown): Item {
  return isObject(v) ? { line, obj: v } : { line, reason: `not a JSON object (found ${typeName(v)})` };
}

function splitLines(body: string): string[] {
  return body.split(/\r?\n/);
}

/** True when most of the first few non-empty lines are JSON objects on their own. */
function looksLikeJsonLines(body: string): boolean {
  const lines = splitLines(body.slice(0, 1 << 20)).filter((l) => l.trim() !== '').slice(0, 5);
  const ok = lines.filter((l) => {
    const r = tryParse(l);
    return r.ok && isObject(r.value);
  }).length;
  return ok > 0 && ok * 2 > lines.length;
}

function readJsonLines(body: string): Item[] {
  const items: Item[] = [];
  splitLines(body).forEach((text, i) => {
    if (text.trim() === '') return;
    const r = tryParse(text);
    items.push(r.ok ? itemOf(i + 1, r.value) : { line: i + 1, reason: `invalid JSON: ${r.message}` });
  });
  return items;
}

/** A top-level array, an object holding one array of records, or a single record object. */
function readJsonValue(value: unknown): Item[] {
  if (Array.isArray(value)) return value.map((v, i) => itemOf(i + 1, v));
  if (!isObject(value)) {
    throw new Error(`Expected a JSON array of records, found ${typeName(value)}`);
  }
  // Arrays of objects only: {"text": "...", "tags": ["a"]} is one record, not a wrapper.
  const arrays = Object.keys(value).filter((k) => {
    const a = value[k];
    return Array.isArray(a) && (a.length === 0 || isObject(a[0]));
  });
  if (arrays.length === 0) return [itemOf(1, value)];
  const key = arrays.length === 1 ? arrays[0] : WRAPPER_KEYS.find((k) => arrays.includes(k));
  if (!key) {
    throw new Error(`The JSON object holds several arrays (${listText(arrays)}); expected one array of records`);
  }
  return (value[key] as unknown[]).map((v, i) => itemOf(i + 1, v));
}

/** Plain text: blank-line-separated blocks or non-empty lines, each `{ text }`, located at its first line. */
function readText(body: string, mode: 'blocks' | 'lines'): Item[] {
  const items: Item[] = [];
  let block: string[] = [];
  let start = 0;
  const flush = () => {
    if (block.length) items.push({ line: start, obj: { text: block.join('\n') } });
    block = [];
  };
  splitLines(body).forEach((text, i) => {
    if (text.trim() === '') return flush();
    if (mode === 'lines') return items.push({ line: i + 1, obj: { text } });
    if (block.length === 0) start = i + 1;
    block.push(text);
  });
  flush();
  return items;
}
