// What scores a sampled completion: programmatic rewards for verifiable tasks, parsed from `--reward` specs
// (a regular expression, exact match with the prompt's reference answer, a target length), or a reward model
// (ours, or a loaded transformers *ForSequenceClassification folder) reading prompt + completion.
import * as tf from '@tensorflow/tfjs';
import type { ForwardOptions } from '../forward-ctx';
import { rewards as scoreRows, scoreBatch } from '../objectives/reward';
import type { ModelConfig, WeightMap } from '../types';
import { parseRewardTerm, SPEC_HELP } from './reward-spec';

/** One sampled completion to score: ids of the prompt and the completion (its closing eos included when the
 * sampler drew it), and the prompt's reference answer when the data gave one. */
export interface Completion {
  prompt: number[];
  completion: number[];
  answer?: string;
}

export interface RewardFunction {
  readonly label: string;
  score(items: Completion[]): Promise<Float32Array>;
}

/** The sum of the specs' terms over each completion's decoded text (its closing eos left out). */
export function programmaticReward(specs: string[], decode: (ids: number[]) => string, eosId?: number): RewardFunction {
  if (specs.length === 0) throw new Error(`No reward given: ${SPEC_HELP}`);
  const terms = specs.map(parseRewardTerm);
  return {
    label: terms.map((t) => (t.weight === 1 ? t.label : `${t.weight}*${t.label}`)).join(' + '),
    async score(items) {
      return Float32Array.from(items, (it, i) => {
        const ids = it.completion.length > 0 && it.completion[it.completion.length - 1] === eosId ? it.completion.slice(0, -1) : it.completion;
        const text = decode(ids);
        return terms.reduce((sum, t) => {
          if (t.needsAnswer && it.answer === undefined) throw new Error(`The exact-match reward needs a reference "answer" for every prompt; prompt ${i} of the batch has none`);
          return sum + t.weight * t.score(text, ids.length, it.answer);
        }, 0);
      });
    },
  };
}

/** A reward model: its backbone, the score head [1, C] and, when its tokenizer is not the policy's, how to re-encode. */
export interface RewardModelParts {
  config: ModelConfig;
  weights: WeightMap;
  score: tf.Tensor;
  options?: ForwardOptions; // e.g. its packed weights
  /** Policy ids -> the reward model's ids (decode with the policy's tokenizer, encode with the reward model's). */
  retokenize?: (ids: number[]) => number[];
}

/** Scores prompt + completion (the closing eos left out, as the reward model trained: objectives/reward.ts) with a
 * reward model, `batch` rows per pass. */
export function rewardModelReward(rm: RewardModelParts, o: { seqLen: number; padId: number; eosId?: number; batch?: number; label?: string }): RewardFunction {
  const step = o.batch ?? 8;
  return {
    label: o.label ?? 'reward model',
    async score(items) {
      const out = new Float32Array(items.length);
      for (let s = 0; s < items.length; s += step) {
        const rows = items.slice(s, s + step).map((it) => {
          const c = it.completion.length > 0 && it.completion[it.completion.length - 1] === o.eosId ? it.completion.slice(0, -1) : it.completion;
          const ids = [...it.prompt, ...c];
          return rm.retokenize ? rm.retokenize(ids) : ids;
        });
        const r = scoreRows(rm.config, rm.weights, rm.score, scoreBatch(rows, o.seqLen, o.padId), rm.options ?? {});
        out.set(await r.data(), s);
        r.dispose();
      }
      return out;
    },
  };
}
