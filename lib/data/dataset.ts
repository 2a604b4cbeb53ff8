// The data studio's entry point: bytes in, a Dataset out (every record normalised to a Conversation or
// listed as a located, classified issue). Works the same in Node, in the page and in a worker. A file that cannot
// be read at all is refused with a DataFileError naming it.
import type { ColumnMapping, Conversation, Dataset, MessageTags, RecordIssue, RecordShape } from './types';
import { readRows, readTextRows, type RawRow, type ReadOptions } from './read';
import { detectShape, detectTags, unknownShapeMessage } from './detect';
import { toConversation } from './normalize';
import { namedDataError } from './data-error';

export interface DatasetOptions extends ReadOptions {
  /** Record shape; 'auto' (default) detects it by majority over the first records. */
  shape?: RecordShape | 'auto';
  /** File column names for the standard fields (e.g. { instruction: 'question', output: 'answer' }). */
  mapping?: ColumnMapping;
  /** Message keys and role names; detected (ShareGPT from/value or OpenAI role/content) when absent. */
  tags?: MessageTags;
}

/** Reads and normalises a data file of any supported layout (Parquet included). */
export async function parseDataset(fileName: string, bytes: Uint8Array, opts: DatasetOptions = {}): Promise<Dataset> {
  try {
    const { container, rows } = await readRows(fileName, bytes, opts);
    return { fileName, container, ...normalizeRows(rows, opts) };
  } catch (e) {
    throw namedDataError(fileName, e);
  }
}

/** The same for text already in memory (every layout but Parquet). */
export function parseDatasetText(fileName: string, text: string, opts: DatasetOptions = {}): Dataset {
  try {
    const { container, rows } = readTextRows(fileName, text, opts);
    return { fileName, container, ...normalizeRows(rows, opts) };
  } catch (e) {
    throw namedDataError(fileName, e);
  }
}

/** Chooses the shape (given or detected) and the message tags once, from the first objects. */
export function resolveShape(objects: Record<string, unknown>[], opts: DatasetOptions): { shape: RecordShape; tags: MessageTags } {
  const shape = opts.shape && opts.shape !== 'auto' ? opts.shape : detectShape(objects, opts.mapping);
  if (!shape) throw new Error(unknownShapeMessage(objects[0] ?? {}));
  return { shape, tags: opts.tags ?? detectTags(objects, opts.mapping) };
}

/** Detects the shape, converts every row, and keeps every failure with its line and class. */
export function normalizeRows(rows: RawRow[], opts: DatasetOptions = {}): Omit<Dataset, 'fileName' | 'container'> {
  if (rows.length === 0) throw new Error('The file holds no records');
  const objects = rows.filter((r) => r.obj).map((r) => r.obj!);
  if (objects.length === 0) throw new Error(`No usable records in the file: ${firstProblems(rowIssues(rows))}`);
  const { shape, tags } = resolveShape(objects, opts);
  const records: Conversation[] = [];
  const issues: RecordIssue[] = [];
  for (const row of rows) {
    if (!row.obj) {
      issues.push({ line: row.line, class: row.class ?? 'not_object', reason: row.reason ?? 'not a record' });
      continue;
    }
    const r = toConversation(row.obj, row.line, shape, { mapping: opts.mapping, tags });
    if ('record' in r) records.push(r.record);
    else issues.push(r.issue);
  }
  if (records.length === 0) {
    throw new Error(`No valid records for shape ${shape} (${rows.length} seen): ${firstProblems(issues)}`);
  }
  return { shape, records, issues, total: rows.length };
}

function rowIssues(rows: RawRow[]): RecordIssue[] {
  return rows.map((r) => ({ line: r.line, class: r.class ?? 'not_object', reason: r.reason ?? '' }));
}

function firstProblems(issues: RecordIssue[], n = 3): string {
  const shown = issues.slice(0, n).map((i) => `line ${i.line}: ${i.reason}`);
  return shown.join('; ') + (issues.length > n ? `; and ${issues.length - n} more` : '');
}
