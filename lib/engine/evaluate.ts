// Scoring a model (base, or through an adapter) on held-out examples: mean next-token loss over the counted
// targets, its perplexity, token accuracy (argmax = target), and for instruction data the exact-match rate of
// greedy answers against the references. Each example is scored on its own (batch of one, no padding), with the
// loss mask training used, so a number does not depend on how examples were batched.
import * as tf from '@tensorflow/tfjs';
import { generate } from './generate';
import { forward } from './model';
import type { PackedWeight } from './packed-weights';
import type { Adapter } from './peft/types';
import type { Example, ModelConfig, WeightMap } from './types';

/** What a forward pass needs to score: the base weights (or a method's weight map) and the active adapter. */
export interface EvalModel {
  config: ModelConfig;
  weights: WeightMap;
  adapter?: Adapter;
  packed?: Map<string, PackedWeight>;
}

export interface EvalResult {
  loss: number; // mean negative log-likelihood per counted target; NaN when nothing is counted
  perplexity: number; // exp(loss)
  tokens: number; // counted targets
  accuracy: number; // share of counted targets whose most likely token is the target
}

/** Summed NLL and correct argmax over one example's counted targets (position t predicts ids[t] from ids[<t]). */
async function scoreOne(m: EvalModel, e: Example): Promise<{ nll: number; correct: number; counted: number }> {
  const T = e.ids.length;
  const targets: number[] = [];
  for (let t = 1; t < T; t++) if (e.mask[t] > 0) targets.push(t);
  if (targets.length === 0) return { nll: 0, correct: 0, counted: 0 };
  const out = tf.tidy(() => {
    const logits = forward(m.config, m.weights, tf.tensor2d(e.ids, [1, T], 'int32'), { adapter: m.adapter, packed: m.packed }); // [1, T, V]
    const rows = tf.gather(tf.reshape(logits, [T, -1]), targets.map((t) => t - 1)); // [N, V]: the positions predicting targets
    const logp = tf.logSoftmax(rows, -1);
    const tgt = tf.tensor1d(targets.map((t) => e.ids[t]), 'int32');
    // The target's log-probability without a one-hot: gather along the flattened [N * V] row.
    const V = rows.shape[1]!;
    const flat = tf.tensor1d(targets.map((t, k) => k * V + e.ids[t]), 'int32');
    const picked = tf.gather(tf.reshape(logp, [-1]), flat); // [N]
    const hit = tf.equal(tf.argMax(rows, -1), tgt);
    return tf.stack([tf.neg(tf.sum(picked)), tf.sum(tf.cast(hit, 'float32'))]);
  });
  const [nll, correct] = await out.data();
  out.dispose();
  return { nll, correct, counted: targets.length };
}

/** Loss, perplexity and token accuracy over every counted target of `examples`, each example scored alone. */
export async function evaluateExamples(m: EvalModel, examples: Example[]): Promise<EvalResult> {
  let nll = 0;
  let correct = 0;
  let tokens = 0;
  for (const e of examples) {
    const s = await scoreOne(m, e);
    nll += s.nll;
    correct += s.correct;
    tokens += s.counted;
  }
  const loss = tokens > 0 ? nll / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokens, accuracy: tokens > 0 ? correct / tokens : NaN };
}

/** An instruction example split at its first counted target: the prompt the model sees and the answer it should give. */
export function promptAndAnswer(e: Example, eosId: number | undefined): { prompt: number[]; answer: number[] } | null {
  const start = e.mask.findIndex((v, t) => t > 0 && v > 0);
  if (start <= 0) return null;
  let end = start;
  while (end < e.ids.length && e.mask[end] > 0) end++;
  const answer = e.ids.slice(start, end);
  if (answer.at(-1) === eosId) answer.pop();
  return { prompt: e.ids.slice(0, start), answer };
}

export interface ExactMatchResult {
  rate: number; // share of examples whose greedy answer equals the reference; NaN without examples
  matched: number;
  total: number;
  answers: { prompt: string; expected: string; got: string; match: boolean }[];
}

/** Answers are compared as text with surrounding whitespace trimmed and inner runs of whitespace made one space. */
export function sameAnswer(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ');
  return norm(a) === norm(b);
}

export interface ExactMatchOptions {
  /** Tokens allowed past the reference's length before an answer is cut (default 8). */
  slack?: number;
  /** Token ids put before every prompt (a few-shot context); not part of the prompt shown in the answers. */
  context?: number[];
  /** Called after each answer with how many are done of how many; may throw to stop the scoring. */
  onAnswer?(done: number, total: number): void;
}

/** Greedy answers to each example's prompt (stopping at eos, or a few tokens past the reference's length),
 * compared with the reference answer. Examples without a prompt part (plain text) are left out. */
export async function exactMatch(m: EvalModel, examples: Example[], decode: (ids: number[]) => string, eosId: number | undefined, opts: ExactMatchOptions = {}): Promise<ExactMatchResult> {
  const answers: ExactMatchResult['answers'] = [];
  const scored = examples.map((e) => promptAndAnswer(e, eosId)).filter((pa) => pa !== null);
  for (const pa of scored) {
    const prompt = opts.context ? [...opts.context, ...pa.prompt] : pa.prompt;
    const ids = await generate(m.config, m.weights, m.adapter, prompt, { maxNewTokens: pa.answer.length + (opts.slack ?? 8), temperature: 0, eosId, packed: m.packed });
    const expected = decode(pa.answer);
    const got = decode(ids);
    answers.push({ prompt: decode(pa.prompt), expected, got, match: sameAnswer(got, expected) });
    opts.onAnswer?.(answers.length, scored.length);
  }
  const matched = answers.filter((a) => a.match).length;
  return { rate: answers.length ? matched / answers.length : NaN, matched, total: answers.length, answers };
}
