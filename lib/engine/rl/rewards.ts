// What scores a sampled completion: programmatic rewards for verifiable tasks, parsed from `--reward` specs
// (a regular expression, exact match with the prompt's reference answer, a target length), or a reward model
// (ours, or a loaded transformers *ForSequenceClassification folder) reading prompt + completion.
import * as tf from '@tensorflow/tfjs';
import type { ForwardOptions } from '../forward-ctx';
import { rewards as scoreRows, scoreBatch } from '../objectives/reward';
import type { ModelConfig, WeightMap } from '../types';

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

/** One term of a programmatic reward. */
type Term = { weight: number; label: string; needsAnswer: boolean; score(text: string, tokens: number, answer?: string): number };

const SPEC_HELP = 'a reward spec is regex:<pattern> (1 when the answer matches, /pattern/flags allowed), exact (1 when the answer equals ' +
  'the record\'s reference "answer", whitespace normalised), or length:<target tokens>[:<penalty per token>] (minus the penalty per token ' +
  'away from the target; default 1/target), each optionally weighted as <w>*<term>; several --reward flags add up';

/** Trimmed, with every run of whitespace one space. */
export function normaliseWhitespace(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

function regexOf(src: string, spec: string): RegExp {
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(src);
  try {
    return slashed ? new RegExp(slashed[1], slashed[2]) : new RegExp(src);
  } catch (e) {
    throw new Error(`--reward ${spec}: not a regular expression (${(e as Error).message})`);
  }
}

function positive(v: string, what: string, spec: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`--reward ${spec}: the ${what} must be a positive number, got "${v}"`);
  return x;
}

/** Parses one spec into a term; throws a clear error on anything else. */
export function parseRewardTerm(spec: string): Term {
  const m = /^\s*(?:([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*\*\s*)?(.*)$/is.exec(spec)!;
  const weight = m[1] === undefined ? 1 : Number(m[1]);
  const body = m[2];
  const colon = body.indexOf(':');
  const kind = (colon < 0 ? body : body.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : body.slice(colon + 1);
  if (kind === 'regex') {
    if (!arg) throw new Error(`--reward ${spec}: regex needs a pattern (regex:<pattern>)`);
    const re = regexOf(arg, spec);
    return { weight, label: `regex ${re}`, needsAnswer: false, score: (text) => (re.test(text) ? 1 : 0) };
  }
  if (kind === 'exact') {
    if (arg !== undefined) throw new Error(`--reward ${spec}: exact takes no argument (it compares with each record's "answer")`);
    return { weight, label: 'exact match', needsAnswer: true, score: (text, _n, answer) => (normaliseWhitespace(text) === normaliseWhitespace(answer ?? '') ? 1 : 0) };
  }
  if (kind === 'length') {
    const [t, p, ...rest] = (arg ?? '').split(':');
    if (!t || rest.length) throw new Error(`--reward ${spec}: length needs length:<target tokens>[:<penalty per token>]`);
    const target = positive(t, 'target length', spec);
    const penalty = p === undefined ? 1 / target : positive(p, 'penalty', spec);
    return { weight, label: `length ${target}`, needsAnswer: false, score: (_text, n) => -penalty * Math.abs(n - target) };
  }
  throw new Error(`--reward ${spec}: unknown reward "${kind}": ${SPEC_HELP}`);
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
