// Programmatic rewards (regular expression, exact match, length) from --reward specs, their errors, and the
// reward-model reward against the reward model's own scores.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, initGpt2Weights } from '../gpt2';
import { initScore, rewards, scoreBatch } from '../objectives/reward';
import { tinyConfig, useCpu } from '../test-utils';
import { normaliseWhitespace, parseRewardTerm } from './reward-spec';
import { programmaticReward, rewardModelReward } from './rewards';

beforeAll(useCpu);

const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(i)).join('');
const ids = (s: string) => [...s].map((c) => c.charCodeAt(0));
const EOS = 0;
const score = (specs: string[], items: { completion: string; answer?: string; eos?: boolean }[]) =>
  programmaticReward(specs, decode, EOS).score(items.map((it) => ({ prompt: ids('Q'), completion: [...ids(it.completion), ...(it.eos ? [EOS] : [])], answer: it.answer })));

describe('programmatic rewards', () => {
  it('regex pays 1 on a match, with /pattern/flags', async () => {
    expect(Array.from(await score(['regex:\\d+'], [{ completion: 'x = 42' }, { completion: 'none' }]))).toEqual([1, 0]);
    expect(Array.from(await score(['regex:/^yes$/i'], [{ completion: 'YES' }, { completion: 'yes!' }]))).toEqual([1, 0]);
  });
  it('exact compares with the reference answer, whitespace normalised, the closing eos left out', async () => {
    expect(normaliseWhitespace('  a \n\t b ')).toBe('a b');
    expect(Array.from(await score(['exact'], [{ completion: ' 4 2 ', answer: '4  2', eos: true }, { completion: '42', answer: '4 2' }]))).toEqual([1, 0]);
    await expect(score(['exact'], [{ completion: '4' }])).rejects.toThrow(/needs a reference "answer".*prompt 0/);
  });
  it('length: minus the penalty per token away from the target (default 1/target), weights and sums', async () => {
    expect(Array.from(await score(['length:4'], [{ completion: 'abcd' }, { completion: 'ab' }, { completion: 'abcdef', eos: true }]))).toEqual([0, -0.5, -0.5]);
    const r = await score(['length:4:0.1', '2*regex:a'], [{ completion: 'ab' }]);
    expect(r[0]).toBeCloseTo(2 - 0.2, 6);
    expect(programmaticReward(['length:4:0.1', '2*regex:a'], decode).label).toBe('length 4 + 2*regex /a/');
  });
  it.each([
    ['regex:', /regex needs a pattern/],
    ['regex:(', /not a regular expression/],
    ['exact:x', /exact takes no argument/],
    ['length:-3', /target length must be a positive number/],
    ['length:4:x', /penalty must be a positive number/],
    ['length', /length needs length:<target tokens>/],
    ['bleu:1', /unknown reward "bleu".*regex:<pattern>/],
  ])('refuses %s clearly', (spec, msg) => expect(() => parseRewardTerm(spec)).toThrow(msg));
  it('refuses an empty list', () => expect(() => programmaticReward([], decode)).toThrow(/No reward given/));
});

describe('reward-model reward', () => {
  it('scores prompt + completion (eos left out) as the reward model scores the same rows, in batches', async () => {
    const config = tinyConfig();
    const weights = initGpt2Weights(config, 2);
    const head = initScore(config, 3);
    const items = [{ prompt: [5, 6], completion: [7, 8, 0] }, { prompt: [5], completion: [9] }, { prompt: [1, 2, 3], completion: [4, 0] }];
    const got = await rewardModelReward({ config, weights, score: head }, { seqLen: 16, padId: 0, eosId: 0, batch: 2 }).score(items);
    const want = rewards(config, weights, head, scoreBatch([[5, 6, 7, 8], [5, 9], [1, 2, 3, 4]], 16, 0));
    Array.from(want.dataSync()).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
    // Re-encoding for a reward model with another tokenizer reaches the rows it scores.
    const shifted = await rewardModelReward({ config, weights, score: head, retokenize: (x) => x.map((t) => (t + 1) % 50) }, { seqLen: 16, padId: 0, eosId: 0 }).score(items.slice(0, 1));
    const wantShifted = rewards(config, weights, head, scoreBatch([[6, 7, 8, 9]], 16, 0));
    expect(shifted[0]).toBeCloseTo(wantShifted.dataSync()[0], 5);
    tf.dispose([head, want, wantShifted]);
    disposeWeights(weights);
  });
});
