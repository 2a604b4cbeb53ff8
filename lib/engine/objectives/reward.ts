// A reward model as TRL's RewardTrainer trains one: transformers' *ForSequenceClassification head (`score.weight`
// [1, C], no bias) reads the final hidden state at the last token of prompt + answer, and the Bradley-Terry loss
// -logsigmoid(r_chosen - r_rejected) ranks the chosen answer above the rejected one. The answer's closing eos is
// left out: transformers reads the score at the last token that is not the pad id, and GPT-2 and Llama pad with
// eos, so a trailing eos would never be scored by the exported model.
import * as tf from '@tensorflow/tfjs';
import type { PreferenceExample } from '../../data/types';
import { makeBatch } from '../batch';
import { embeddingLookup } from '../embedding';
import { hiddenStates, type ForwardOptions } from '../model';
import { deriveSeed, mulberry32, normalArray } from '../random';
import { hiddenSize, type Example, type ModelConfig, type WeightMap } from '../types';
import { isPreferenceExample } from './preference';
import type { Objective, ObjectiveBatch } from './types';

/** transformers' key for the head. */
export const SCORE_KEY = 'score.weight';

/** Rows to score: ids [N, T] and the index of each row's last real token. */
export interface ScoreBatch {
  ids: Int32Array;
  last: Int32Array; // [N]
  N: number;
  T: number;
}

export interface RewardBatch extends ScoreBatch, ObjectiveBatch {
  pairs: number; // N = 2B: chosen rows, then rejected rows
}

/** prompt + answer without a closing eos. */
function scoredRow(prompt: number[], answer: number[], eos: number): Example {
  const a = answer.length > 0 && answer[answer.length - 1] === eos ? answer.slice(0, -1) : answer;
  const ids = [...prompt, ...a];
  return { ids, mask: ids.map(() => 1) };
}

/** Padded rows (makeBatch's length bucket and cap) and each row's last real position. */
export function scoreBatch(rows: number[][], seqLen: number, padId: number): ScoreBatch {
  const b = makeBatch(rows.map((ids) => ({ ids, mask: ids.map(() => 1) })), seqLen, padId);
  return { ids: b.ids, last: Int32Array.from(rows.map((r) => Math.max(0, Math.min(r.length, b.T) - 1))), N: rows.length, T: b.T };
}

/** Rewards [N]: score · h at each row's last token. */
export function rewards(config: ModelConfig, weights: WeightMap, score: tf.Tensor, b: ScoreBatch, opts: ForwardOptions = {}): tf.Tensor1D {
  return tf.tidy(() => {
    const hidden = hiddenStates(config, weights, tf.tensor2d(b.ids, [b.N, b.T], 'int32'), opts); // [N, T, C]
    const C = hidden.shape[2];
    const rows = Int32Array.from(b.last, (t, n) => n * b.T + t);
    const h = embeddingLookup(tf.reshape(hidden, [b.N * b.T, C]), tf.tensor1d(rows, 'int32')) as tf.Tensor2D; // [N, C]
    return tf.reshape(tf.matMul(h, score as tf.Tensor2D, false, true), [b.N]) as tf.Tensor1D;
  });
}

/** The head as transformers initialises it: normal(0, 0.02), seeded. */
export function initScore(config: ModelConfig, seed: number): tf.Variable {
  const C = hiddenSize(config);
  return tf.variable(tf.tensor2d(normalArray(C, 0.02, mulberry32(seed)), [1, C]), true);
}

export function rewardObjective(config: ModelConfig, seed: number): Objective<RewardBatch> {
  const score = initScore(config, deriveSeed(seed, 0x5c0e));
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id ?? -1;
  return {
    label: 'reward model',
    packs: false,
    statsLength: 4,
    heads: new Map([[SCORE_KEY, score]]),
    checkRows(rows, what) {
      const bad = rows.findIndex((r) => !isPreferenceExample(r));
      if (bad >= 0) throw new Error(`${what} row ${bad} is not a preference pair ({prompt, chosen, rejected} ids): a reward model trains on pairs`);
    },
    batch(rows, seqLen, padId) {
      const pairs = rows as PreferenceExample[];
      const seqs = [...pairs.map((p) => scoredRow(p.prompt, p.chosen, eos).ids), ...pairs.map((p) => scoredRow(p.prompt, p.rejected, eos).ids)];
      const b = scoreBatch(seqs, seqLen, padId);
      return { ...b, pairs: pairs.length, counted: pairs.length, tokens: seqs.reduce((a, s) => a + Math.min(s.length, b.T), 0) };
    },
    loss(run, b, training, seed) {
      return tf.tidy(() => {
        const r = rewards(run.config, run.policy, score, b, run.policyOptions(training, seed));
        const B = b.pairs;
        const margin = tf.sub(tf.slice(r, [0], [B]), tf.slice(r, [B], [B]));
        const loss = tf.mean(tf.softplus(tf.neg(margin))) as tf.Scalar; // -logsigmoid(margin)
        const stats = tf.stack([tf.sum(tf.slice(r, [0], [B])), tf.sum(tf.slice(r, [B], [B])), tf.sum(tf.cast(tf.greater(margin, 0), 'float32')), tf.scalar(B)]) as tf.Tensor1D;
        return { loss, stats };
      });
    },
    metrics(s) {
      const n = s[3];
      if (!(n > 0)) return {} as Record<string, number>;
      return { 'rewards/chosen': s[0] / n, 'rewards/rejected': s[1] / n, 'rewards/margins': (s[0] - s[1]) / n, 'rewards/accuracies': s[2] / n };
    },
    dispose: () => score.dispose(),
  };
}
