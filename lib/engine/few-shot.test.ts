// The few-shot prompt builder and exact-match scoring, worked by hand: which shots fit, the context they make,
// and exact-match rates over answers a tiny model is known to give.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exactMatch, sameAnswer } from './evaluate';
import { fewShotContext, pickShots, queryRoom } from './few-shot';
import { generate } from './generate';
import { initWeights } from './model';
import type { Example, Gpt2Config } from './types';

const EOS = 9;
// Prompt tokens carry mask 0, the answer and eos mask 1.
const ex = (prompt: number[], answer: number[], eos = true): Example => {
  const a = eos ? [...answer, EOS] : answer;
  return { ids: [...prompt, ...a], mask: [...prompt.map(() => 0), ...a.map(() => 1)] };
};

describe('few-shot prompt builder', () => {
  const train = [ex([1, 2], [3]), { ids: [4, 4], mask: [0, 0] } /* nothing to answer: skipped */, ex([5], [6, 7]), ex([1], [2], false), ex([8, 8, 8], [8])];

  it('concatenates whole shots, adding the end-of-text token where one is missing', () => {
    expect(fewShotContext([train[0], train[3]], EOS)).toEqual([1, 2, 3, 9, 1, 2, 9]);
    expect(fewShotContext([train[3]], undefined)).toEqual([1, 2]);
  });

  it('leaves room for the longest query: prompt + answer + slack', () => {
    // The answer is counted without its end-of-text token (generation stops on it):
    // [1, 2 | 3]: 2 + 1 + slack 8 = 11; [5 | 6, 7]: 1 + 2 + 8 = 11; [0, 0, 0 | 1]: 3 + 1 + 8 = 12.
    expect(queryRoom([train[0], train[2], ex([0, 0, 0], [1])], EOS, 8)).toBe(12);
    expect(queryRoom([{ ids: [1, 2], mask: [0, 0] }], EOS, 8)).toBe(0);
  });

  it('takes the first k shots with an answer, in order, while they fit', () => {
    // Lengths: train[0] 4, train[2] 4, train[3] 2 + 1 eos = 3, train[4] 5.
    expect(pickShots(train, 2, 100, 10, EOS)).toEqual([train[0], train[2]]);
    expect(pickShots(train, 4, 100, 10, EOS)).toEqual([train[0], train[2], train[3], train[4]]);
    // Window 20, room 10: 4 + 4 fits (18 <= 20), adding 3 would make 21.
    expect(pickShots(train, 4, 20, 10, EOS)).toEqual([train[0], train[2]]);
    expect(pickShots(train, 3, 13, 10, EOS)).toEqual([]);
    expect(pickShots(train, 0, 100, 10, EOS)).toEqual([]);
  });
});

describe('exact-match scoring', () => {
  const config: Gpt2Config = { model_type: 'gpt2', vocab_size: 12, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, layer_norm_epsilon: 1e-5 };
  let weights: ReturnType<typeof initWeights>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    weights = initWeights(config, 3);
  });
  const decode = (ids: number[]) => ids.map((i) => `t${i}`).join(' ');

  it('compares trimmed, space-normalised text', () => {
    expect(sameAnswer('  a \n b ', 'a b')).toBe(true);
    expect(sameAnswer('a b', 'ab')).toBe(false);
  });

  it('counts the examples whose greedy answer is the reference, with and without a context', async () => {
    // What this model answers greedily (no eos: vocabulary token 11 stands in for it and is never drawn first here).
    const greedy = async (prompt: number[], n: number) => generate(config, weights, undefined, prompt, { maxNewTokens: n, temperature: 0 });
    const g1 = await greedy([1, 2], 1);
    const g2 = await greedy([3], 1);
    const wrong = (g: number[]) => [(g[0] + 1) % 11];
    // References: the model's own answer for the first, a different token for the second and third.
    const examples = [ex([1, 2], g1, false), ex([3], wrong(g2), false), ex([4, 5], wrong(await greedy([4, 5], 1)), false)];
    const r = await exactMatch({ config, weights }, examples, decode, undefined, { slack: 0 });
    expect([r.matched, r.total]).toEqual([1, 3]);
    expect(r.rate).toBeCloseTo(1 / 3, 12);
    expect(r.answers[0]).toEqual({ prompt: 't1 t2', expected: decode(g1), got: decode(g1), match: true });
    // With a context, the answers are those of context + prompt (and the shown prompt stays the example's own).
    const context = [7, 8, 7];
    const withCtx = await exactMatch({ config, weights }, examples, decode, undefined, { slack: 0, context });
    expect(withCtx.answers.map((a) => a.got)).toEqual([decode(await greedy([...context, 1, 2], 1)), decode(await greedy([...context, 3], 1)), decode(await greedy([...context, 4, 5], 1))]);
    expect(withCtx.answers[1].prompt).toBe('t3');
  });

  it('reports progress after each answer and stops when the callback throws', async () => {
    const examples = [ex([1], [2], false), ex([3], [4], false), ex([5], [6], false)];
    const seen: string[] = [];
    await expect(exactMatch({ config, weights }, examples, decode, undefined, {
      onAnswer: (done, total) => {
        seen.push(`${done}/${total}`);
        if (done === 2) throw new Error('cancelled');
      },
    })).rejects.toThrow('cancelled');
    expect(seen).toEqual(['1/3', '2/3']);
  });
});
