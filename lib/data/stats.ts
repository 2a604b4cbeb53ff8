// Data-set statistics for the data step: record and token counts, a length histogram, tokens per role,
// the share cut at the chosen sequence length, and a training-time estimate from a measured speed.
import type { Conversation, RecordIssue, Role, TextTokenizer } from './types';
import { encodeConversation, withoutRejected, type EncodeOptions } from './encode-chat';

export interface HistogramBin {
  /** Inclusive lower and exclusive upper token count. */
  from: number;
  to: number;
  count: number;
}

export interface DatasetStats {
  records: number;
  tokens: { total: number; min: number; max: number; mean: number };
  histogram: HistogramBin[];
  /** Content tokens written by each role (text records count as assistant); `template` is the rest. */
  perRole: Record<Role | 'template', number>;
  /** Tokens that carry loss (what training learns from). */
  lossTokens: number;
  seqLen: number;
  /** Records longer than seqLen, and their share. */
  truncated: number;
  truncatedShare: number;
  /** The too-long records as located issues, in file order (the first `maxListed` of them). */
  tooLong: RecordIssue[];
  /** Only when tokensPerSec is given: seconds for `epochs` passes over the (cut) tokens. */
  estimate?: { tokensPerSec: number; epochs: number; seconds: number };
}

export interface StatsOptions extends EncodeOptions {
  seqLen: number;
  bins?: number;
  /** Measured training speed; gives a time estimate. */
  tokensPerSec?: number;
  epochs?: number;
  /** How many too-long records to list as issues (all by default; the count is `truncated`). */
  maxListed?: number;
}

/** Largest value (0 for none), without spreading a long array into arguments. */
function maxOf(xs: number[]): number {
  return xs.reduce((a, b) => Math.max(a, b), 0);
}

/** Equal-width bins from 0 to the longest record. */
export function histogram(lengths: number[], bins: number): HistogramBin[] {
  const max = Math.max(1, maxOf(lengths));
  const width = Math.max(1, Math.ceil((max + 1) / bins));
  const out: HistogramBin[] = Array.from({ length: Math.ceil((max + 1) / width) }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const n of lengths) out[Math.floor(n / width)].count++;
  return out;
}

export function datasetStats(tok: TextTokenizer, records: Conversation[], opts: StatsOptions): DatasetStats {
  const perRole: DatasetStats['perRole'] = { system: 0, user: 0, assistant: 0, function_call: 0, observation: 0, template: 0 };
  const lengths: number[] = [];
  const tooLong: RecordIssue[] = [];
  let lossTokens = 0;
  let kept = 0;
  for (const rec of records) {
    const conv = withoutRejected(rec);
    const enc = encodeConversation(tok, conv, { ...opts, seqLen: undefined });
    lengths.push(enc.length);
    if (enc.length > opts.seqLen && tooLong.length < (opts.maxListed ?? Infinity)) tooLong.push(tooLongIssue(rec.line, enc.length, opts.seqLen));
    kept += Math.min(enc.length, opts.seqLen);
    lossTokens += enc.example.mask.slice(0, opts.seqLen).reduce((a, b) => a + b, 0);
    let content = 0;
    for (const t of conv.turns) {
      const n = tok.encode(t.content).length + (t.input ? tok.encode(t.input).length : 0);
      perRole[t.role] += n;
      content += n;
    }
    perRole.template += Math.max(0, enc.length - content);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  const truncated = lengths.filter((n) => n > opts.seqLen).length;
  const stats: DatasetStats = {
    records: records.length,
    tokens: { total, min: lengths.length ? lengths.reduce((a, b) => Math.min(a, b)) : 0, max: maxOf(lengths), mean: records.length ? total / records.length : 0 },
    histogram: histogram(lengths, opts.bins ?? 20),
    perRole,
    lossTokens,
    seqLen: opts.seqLen,
    truncated,
    truncatedShare: records.length ? truncated / records.length : 0,
    tooLong,
  };
  if (opts.tokensPerSec && opts.tokensPerSec > 0) {
    const epochs = opts.epochs ?? 1;
    stats.estimate = { tokensPerSec: opts.tokensPerSec, epochs, seconds: (kept * epochs) / opts.tokensPerSec };
  }
  return stats;
}

/** Validation after tokenization: one `too_long` issue per record longer than seqLen (it would be cut). */
export function tooLongIssues(tok: TextTokenizer, records: Conversation[], opts: EncodeOptions & { seqLen: number }): RecordIssue[] {
  const issues: RecordIssue[] = [];
  for (const rec of records) {
    const { length } = encodeConversation(tok, withoutRejected(rec), { ...opts, seqLen: undefined });
    if (length > opts.seqLen) issues.push(tooLongIssue(rec.line, length, opts.seqLen));
  }
  return issues;
}

function tooLongIssue(line: number, length: number, seqLen: number): RecordIssue {
  return {
    line,
    class: 'too_long',
    reason: `${length} tokens, longer than the sequence length ${seqLen}: it will be cut (raise the sequence length, or drop or truncate long records)`,
  };
}
