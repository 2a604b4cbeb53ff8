// Detects the record shape of a data set (text, Alpaca, prompt/completion, chat, preference) and the names
// its fields and message keys use, so normalize.ts can read every record the same way.
import type { ColumnMapping, MessageTags, RecordShape } from './types';
import { listText } from './data-error';

/** How many of the first records vote on the shape. */
export const DETECT_SAMPLE = 20;

/** Role names recognised in chat data: OpenAI (role/content) and ShareGPT (from/value) spellings. */
export const DEFAULT_TAGS: MessageTags = {
  roleTag: 'role',
  contentTag: 'content',
  user: ['user', 'human'],
  assistant: ['assistant', 'gpt', 'bot', 'model'],
  system: ['system'],
  functionCall: ['function_call'],
  observation: ['observation', 'tool', 'function', 'ipython'],
};

/** ShareGPT's keys; the role names are the same list as DEFAULT_TAGS. */
export const SHAREGPT_TAGS: MessageTags = { ...DEFAULT_TAGS, roleTag: 'from', contentTag: 'value' };

/** Standard field names of each shape (a ColumnMapping renames them). */
export const SHAPE_FIELDS: Record<RecordShape, (keyof ColumnMapping)[]> = {
  preference: ['chosen', 'rejected'],
  chat: ['messages'],
  alpaca: ['instruction', 'output'],
  'prompt-completion': ['prompt', 'completion'],
  text: ['text'],
};

// Order breaks ties: the more specific shape wins.
const SHAPES: RecordShape[] = ['preference', 'chat', 'alpaca', 'prompt-completion', 'text'];

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined && obj[key] !== null;
}

/** Other spellings of a standard field, tried when the record lacks the standard name: ShareGPT's conversations,
 * LLaMA-Factory v1's pairs as two whole conversations. */
const ALIASES: Partial<Record<keyof ColumnMapping, string>> = { messages: 'conversations', chosen: 'chosen_messages', rejected: 'rejected_messages' };

/** The file's name for a standard field: the mapping's, else the standard name, else its alias when present. */
export function fieldName(obj: Record<string, unknown> | null, field: keyof ColumnMapping, mapping: ColumnMapping = {}): string {
  const mapped = mapping[field];
  if (mapped) return mapped;
  const alias = ALIASES[field];
  if (alias && obj && !has(obj, field) && has(obj, alias)) return alias;
  return field;
}

function voteOf(obj: Record<string, unknown>, mapping: ColumnMapping): RecordShape | null {
  let best: RecordShape | null = null;
  let bestScore = 0;
  for (const s of SHAPES) {
    const req = SHAPE_FIELDS[s];
    const score = req.filter((f) => has(obj, fieldName(obj, f, mapping))).length / req.length;
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  return best;
}

/** Majority vote over the first DETECT_SAMPLE objects; null when none resembles a known shape. */
export function detectShape(objects: Record<string, unknown>[], mapping: ColumnMapping = {}): RecordShape | null {
  const votes = new Map<RecordShape, number>();
  for (const obj of objects.slice(0, DETECT_SAMPLE)) {
    const v = voteOf(obj, mapping);
    if (v) votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  let best: RecordShape | null = null;
  for (const s of SHAPES) if ((votes.get(s) ?? 0) > (best ? votes.get(best)! : 0)) best = s;
  return best;
}

/** Role/content keys of the first message object found (ShareGPT from/value or OpenAI role/content). */
export function detectTags(objects: Record<string, unknown>[], mapping: ColumnMapping = {}): MessageTags {
  for (const obj of objects.slice(0, DETECT_SAMPLE)) {
    for (const field of ['messages', 'chosen', 'prompt'] as const) {
      const list = obj[fieldName(obj, field, mapping)];
      const first = Array.isArray(list) ? list[0] : list;
      if (first && typeof first === 'object') {
        if ('from' in first || 'value' in first) return SHAREGPT_TAGS;
        if ('role' in first || 'content' in first) return DEFAULT_TAGS;
      }
    }
  }
  return DEFAULT_TAGS;
}

/** User-facing message for a file whose records match no known shape. */
export function unknownShapeMessage(first: Record<string, unknown>): string {
  const keys = Object.keys(first);
  return (
    'No records in a shape the studio knows: expected fields text; instruction/output (Alpaca); prompt/completion; ' +
    'messages or conversations (chat); or chosen/rejected (preference). ' +
    `The first record has fields ${keys.length ? listText(keys) : '(none)'}: map them to these names with a column mapping`
  );
}
