// Record shapes: detect which format a set of JSON objects is in, and turn one object into a TrainRecord.
// Formats are recognised by field names; a format is chosen by majority over the first records.
import type { DataFormat, TrainRecord } from './types';
import { renderAlpacaPrompt } from './templates';

/** Field names of each format: required ones decide the vote, optional ones are read when present. */
export const FORMAT_FIELDS: Record<DataFormat, { required: string[]; optional: string[] }> = {
  alpaca: { required: ['instruction', 'output'], optional: ['input', 'system'] },
  'prompt-completion': { required: ['prompt', 'completion'], optional: [] },
  text: { required: ['text'], optional: [] },
};

// Order breaks ties: the more specific shape wins.
const FORMATS: DataFormat[] = ['alpaca', 'prompt-completion', 'text'];

/** How many of the first records vote on the format. */
export const DETECT_SAMPLE = 20;

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
}

/** The format a single object looks most like (share of required fields present), or null for none. */
function voteOf(obj: Record<string, unknown>): DataFormat | null {
  let best: DataFormat | null = null;
  let bestScore = 0;
  for (const f of FORMATS) {
    const req = FORMAT_FIELDS[f].required;
    const score = req.filter((k) => has(obj, k)).length / req.length;
    if (score > bestScore) [best, bestScore] = [f, score];
  }
  return best;
}

/** Majority vote over the first `DETECT_SAMPLE` objects; null when none resembles a known format. */
export function detectFormat(objects: Record<string, unknown>[]): DataFormat | null {
  const votes = new Map<DataFormat, number>();
  for (const obj of objects.slice(0, DETECT_SAMPLE)) {
    const v = voteOf(obj);
    if (v) votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  let best: DataFormat | null = null;
  for (const f of FORMATS) if ((votes.get(f) ?? 0) > (best ? votes.get(best)! : 0)) best = f;
  return best;
}

/** User-facing message for a file whose records match no known format. */
export function unknownFormatMessage(first: Record<string, unknown>): string {
  const keys = Object.keys(first);
  let msg =
    'No records in a format the studio knows: expected fields text, instruction/output, or prompt/completion; ' +
    `first record has fields ${keys.length ? keys.join(', ') : '(none)'}`;
  if (has(first, 'chosen') || has(first, 'rejected')) {
    msg += '. This looks like a preference (DPO) data set, which this version cannot train on yet';
  } else if (has(first, 'conversations') || has(first, 'messages')) {
    msg += '. This looks like a chat (conversations/messages) data set, which this version cannot train on yet';
  }
  return msg;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Reads one string field; pushes a problem and returns undefined when it is absent, not a string or blank. */
function readString(
  obj: Record<string, unknown>,
  key: string,
  problems: string[],
  { required, allowEmpty }: { required: boolean; allowEmpty: boolean },
): string | undefined {
  const v = obj[key];
  if (v === undefined || (v === null && !required)) {
    if (required) problems.push(`missing field ${key}`);
    return undefined;
  }
  if (typeof v !== 'string') {
    problems.push(`field ${key} must be a string (found ${typeName(v)})`);
    return undefined;
  }
  if (!allowEmpty && v.trim() === '') {
    problems.push(`empty ${key}`);
    return undefined;
  }
  return v;
}

/** Turns one object into a TrainRecord in the given format, or gives the reasons it cannot. */
export function toTrainRecord(
  obj: Record<string, unknown>,
  format: DataFormat,
): { record: TrainRecord } | { reason: string } {
  const problems: string[] = [];
  const req = { required: true, allowEmpty: false };
  const opt = { required: false, allowEmpty: true };
  let record: TrainRecord | undefined;
  if (format === 'text') {
    const text = readString(obj, 'text', problems, req);
    if (text !== undefined) record = { prompt: '', completion: text };
  } else if (format === 'prompt-completion') {
    // An empty prompt is allowed: the record is then learned like plain text.
    const prompt = readString(obj, 'prompt', problems, { required: true, allowEmpty: true });
    const completion = readString(obj, 'completion', problems, req);
    if (prompt !== undefined && completion !== undefined) record = { prompt, completion };
  } else {
    const instruction = readString(obj, 'instruction', problems, req);
    const input = readString(obj, 'input', problems, opt);
    const output = readString(obj, 'output', problems, req);
    const system = readString(obj, 'system', problems, opt);
    if (instruction !== undefined && output !== undefined && problems.length === 0) {
      record = { prompt: renderAlpacaPrompt({ instruction, input, system }), completion: output };
    }
  }
  if (problems.length > 0 || !record) return { reason: problems.join('; ') };
  return { record };
}
