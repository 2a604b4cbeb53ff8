// The forgetting meter: perplexity on general text (lib/data/general-text.ts) before and after fine-tuning, as a
// relative change with a plain-words verdict. A model that learned its task but got much worse at ordinary
// English has forgotten some of what it knew (catastrophic forgetting); replay (replay.ts) limits that.
import { GENERAL_TEXT } from '../data/general-text';
import type { TextTokenizer } from '../data/types';
import { evaluateExamples, type EvalModel, type EvalResult } from './evaluate';
import { textWindows } from './replay';
import type { Example } from './types';

export interface ForgettingReport {
  before: number; // perplexity of the base model on the general text
  after: number; // perplexity of the tuned model on it
  change: number; // relative change of perplexity: after / before - 1 (0.1 = 10% worse)
  level: 'none' | 'slight' | 'noticeable' | 'strong' | 'better';
  verdict: string;
}

/** Thresholds on the relative perplexity change, from the least to the most forgetting. */
const LEVELS: { below: number; level: ForgettingReport['level']; verdict: string }[] = [
  { below: -0.02, level: 'better', verdict: 'General text got easier for the model: no sign of forgetting.' },
  { below: 0.02, level: 'none', verdict: 'No measurable forgetting: general text is as predictable as before.' },
  { below: 0.1, level: 'slight', verdict: 'Slight forgetting: general text is a little harder for the model than before.' },
  { below: 0.3, level: 'noticeable', verdict: 'Noticeable forgetting: the model is clearly worse at general text. Replay, fewer steps or a lower learning rate would limit it.' },
  { below: Infinity, level: 'strong', verdict: 'Strong forgetting: the model lost much of its general ability. Mix in general text (replay), train fewer steps, or lower the learning rate.' },
];

export function forgettingReport(before: number, after: number): ForgettingReport {
  if (!(before > 0 && after > 0)) throw new Error(`Perplexities must be positive numbers, got ${before} and ${after}`);
  const change = after / before - 1;
  const l = LEVELS.find((x) => change < x.below)!;
  return { before, after, change, level: l.level, verdict: l.verdict };
}

/** The shipped general text as rows of seqLen tokens, for the meter and for replay. */
export function generalRows(tok: Pick<TextTokenizer, 'encode'>, seqLen: number): Example[] {
  return textWindows(tok.encode(GENERAL_TEXT), seqLen);
}

/** Perplexity of one model on the general text's rows (textWindows of the tokenized text). */
export function generalPerplexity(m: EvalModel, rows: Example[]): Promise<EvalResult> {
  if (rows.length === 0) throw new Error('The general text has no tokens to score');
  return evaluateExamples(m, rows);
}
