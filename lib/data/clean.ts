// Cleaning with an account of every removal: Unicode NFC and trimming, empty records, exact duplicates,
// near duplicates (MinHash), and token-length limits (drop, or keep and let encoding truncate).
import type { CleanStep, Conversation, RemovedRecord, Turn } from './types';
import { nearDuplicateOf, type MinHashOptions } from './minhash';

export interface CleanOptions {
  /** NFC-normalise, turn CRLF inside fields into LF, and trim every turn (default true). */
  normalize?: boolean;
  /** Remove records whose every turn is empty after trimming (default true). */
  dropEmpty?: boolean;
  /** Remove exact duplicates, keeping the first (default true). */
  dedupe?: boolean;
  /** Remove near duplicates (MinHash over word shingles); false to skip (default). */
  nearDuplicates?: MinHashOptions | false;
  /** Token-length limit: 'drop' removes longer records, 'truncate' keeps them (encoding cuts them). */
  maxTokens?: { limit: number; action: 'drop' | 'truncate'; count: (c: Conversation) => number };
}

export interface CleanReport {
  records: Conversation[];
  removed: RemovedRecord[];
  /** Records each step removed. */
  removedCounts: Record<CleanStep, number>;
  /** Records whose text NFC/trim changed. */
  normalized: number;
  /** Records over the token limit kept for truncation. */
  truncated: number;
}

const turnsOf = (c: Conversation): Turn[] => (c.rejected ? [...c.turns, c.rejected] : c.turns);

/** All of a record's text, for duplicate detection. */
export function recordText(c: Conversation): string {
  return turnsOf(c).map((t) => (t.input ? `${t.content}\n${t.input}` : t.content)).join('\n');
}

/** NFC, CRLF/CR line ends inside a field (CSV from spreadsheets) to LF, and trimmed ends. */
function normalizeText(s: string): string {
  return s.normalize('NFC').replace(/\r\n?/g, '\n').trim();
}

function normalizeTurn(t: Turn): Turn {
  const out: Turn = { role: t.role, content: normalizeText(t.content) };
  if (t.input !== undefined) out.input = normalizeText(t.input);
  if (t.noLoss) out.noLoss = true;
  return out;
}

function normalizeRecord(c: Conversation): Conversation {
  const out: Conversation = { ...c, turns: c.turns.map(normalizeTurn) };
  if (c.rejected) out.rejected = normalizeTurn(c.rejected);
  return out;
}

/** Runs the steps in order; every removed record is kept with its step and reason. */
export function cleanRecords(input: Conversation[], opts: CleanOptions = {}): CleanReport {
  const removed: RemovedRecord[] = [];
  const removedCounts: Record<CleanStep, number> = { empty: 0, duplicate: 0, near_duplicate: 0, too_long: 0 };
  const drop = (step: CleanStep, record: Conversation, reason: string, keptLine?: number) => {
    removed.push(keptLine === undefined ? { step, record, reason } : { step, record, reason, keptLine });
    removedCounts[step]++;
  };
  let normalized = 0;
  let records = input;
  if (opts.normalize ?? true) {
    records = input.map((c) => {
      const n = normalizeRecord(c);
      if (recordText(n) !== recordText(c)) normalized++;
      return n;
    });
  }
  if (opts.dropEmpty ?? true) records = records.filter((c) => keepOr(recordText(c).trim() !== '', () => drop('empty', c, 'every turn is empty')));
  if (opts.dedupe ?? true) records = dropExact(records, drop);
  if (opts.nearDuplicates) records = dropNear(records, opts.nearDuplicates, drop);
  let truncated = 0;
  if (opts.maxTokens) {
    const { limit, action, count } = opts.maxTokens;
    records = records.filter((c) => {
      const n = count(c);
      if (n <= limit) return true;
      if (action === 'truncate') {
        truncated++;
        return true;
      }
      drop('too_long', c, `${n} tokens, over the limit of ${limit}`);
      return false;
    });
  }
  return { records, removed, removedCounts, normalized, truncated };
}

/** Returns `keep`; runs `onDrop` when it is false (filter callbacks that also account for the removal). */
function keepOr(keep: boolean, onDrop: () => unknown): boolean {
  if (!keep) onDrop();
  return keep;
}

type Drop = (step: CleanStep, record: Conversation, reason: string, keptLine?: number) => void;

function dropExact(records: Conversation[], drop: Drop): Conversation[] {
  const seen = new Map<string, number>();
  return records.filter((c) => {
    const key = JSON.stringify([c.kind, turnsOf(c)]);
    const first = seen.get(key);
    if (first === undefined) return seen.set(key, c.line), true;
    drop('duplicate', c, `same as the record at line ${first}`, first);
    return false;
  });
}

function dropNear(records: Conversation[], opts: MinHashOptions, drop: Drop): Conversation[] {
  const dupOf = nearDuplicateOf(records.map(recordText), opts);
  return records.filter((c, i) => {
    if (dupOf[i] < 0) return true;
    const kept = records[dupOf[i]].line;
    drop('near_duplicate', c, `nearly the same as the record at line ${kept} (threshold ${opts.threshold ?? 0.8})`, kept);
    return false;
  });
}
