// What a finished run is scored on, shared by `cli train` and the studio's worker: the test split (loss,
// perplexity, token accuracy, and for instruction data the exact-match rate of greedy answers) and the
// forgetting meter (perplexity on the shipped general text, base model against tuned).
import type { TextTokenizer } from '../data/types';
import { evaluateExamples, exactMatch, type EvalModel, type ExactMatchOptions } from './evaluate';
import { forgettingReport, generalPerplexity, type ForgettingReport } from './forgetting';
import type { Example } from './types';

export interface TestMetrics {
  loss: number;
  perplexity: number;
  accuracy: number; // token accuracy over the counted (response) tokens
  tokens: number;
  examples: number;
  exactMatch: number | null; // null for plain text (no prompt to answer)
}

/** Test-split metrics of the kept weights; exact match for instruction data (examples with a prompt part). */
export async function testMetrics(m: EvalModel, test: Example[], tok: Pick<TextTokenizer, 'decode' | 'eosId'>, instruction: boolean, opts: ExactMatchOptions = {}): Promise<TestMetrics> {
  const r = await evaluateExamples(m, test);
  const em = instruction ? await exactMatch(m, test, (ids) => tok.decode(ids), tok.eosId, opts) : null;
  return { loss: r.loss, perplexity: r.perplexity, accuracy: r.accuracy, tokens: r.tokens, examples: test.length, exactMatch: em ? em.rate : null };
}

/** The forgetting meter for a finished run: base perplexity on the general rows against the tuned one.
 * `before` may be given when the base's perplexity is already known (the base weights never change). */
export async function forgetting(base: EvalModel, tuned: EvalModel, rows: Example[], before?: number): Promise<ForgettingReport> {
  const b = before ?? (await generalPerplexity(base, rows)).perplexity;
  const after = await generalPerplexity(tuned, rows);
  return forgettingReport(b, after.perplexity);
}
