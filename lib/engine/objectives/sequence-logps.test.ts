// Per-sequence log-probabilities against the plain full-logits log-softmax, their gradient against finite
// differences (adapter and fully trained weights, the output embedding included), and the reference: the base
// with the adapter off reads exactly the base model's log-probabilities.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, gpt2Forward } from '../gpt2';
import { createLora } from '../peft/lora';
import { expectGradientMatchesFiniteDifferences, noisyWeights, tinyConfig, useCpu, values } from '../test-utils';
import type { WeightMap } from '../types';
import { answerRow, pairBatch } from './preference';
import { countsPerRow, sequenceLogps, type SequenceBatch } from './sequence-logps';

beforeAll(useCpu);

const config = tinyConfig({ vocab_size: 40, n_embd: 16 });
const rows = [
  { prompt: [3, 4, 5], chosen: [6, 7, 0], rejected: [8, 9, 10, 0] },
  { prompt: [11], chosen: [12, 0], rejected: [13, 14, 0] },
];

/** The same sums from full logits: log_softmax, gather each counted target, add per row. */
function plainLogps(weights: WeightMap, b: SequenceBatch): number[] {
  return tf.tidy(() => {
    const logits = gpt2Forward(config, weights, tf.tensor2d(b.ids, [b.N, b.T], 'int32'));
    const lsm = values(tf.logSoftmax(logits));
    const V = config.vocab_size;
    const out = new Array(b.N).fill(0);
    for (let n = 0; n < b.N; n++) for (let t = 1; t < b.T; t++) if (b.mask[n * b.T + t] > 0) out[n] += lsm[(n * b.T + t - 1) * V + b.ids[n * b.T + t]];
    return out;
  });
}

describe('sequenceLogps', () => {
  it('lays out chosen rows then rejected rows, counting answer tokens only', () => {
    expect(answerRow([1, 2], [3, 4])).toEqual({ ids: [1, 2, 3, 4], mask: [0, 0, 1, 1] });
    const b = pairBatch(rows, 16, 0);
    expect([b.N, b.T, b.pairs]).toEqual([4, 16, 2]);
    expect(Array.from(b.counts)).toEqual([3, 2, 4, 3]);
    expect(Array.from(countsPerRow(b.mask, b.N, b.T))).toEqual([3, 2, 4, 3]);
  });

  it('equals the summed log-softmax of the answer tokens from full logits', () => {
    const w = noisyWeights(config, 1, 0.05);
    const b = pairBatch(rows, 16, 0);
    const got = Array.from(values(sequenceLogps(config, w, b, {})));
    const want = plainLogps(w, b);
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
    expect(Math.min(...got)).toBeLessThan(-1); // not trivially zero
    disposeWeights(w);
  });

  it('its gradient matches finite differences: LoRA B, a block weight and the output embedding', () => {
    const w = noisyWeights(config, 2, 0.05);
    const b = pairBatch(rows, 16, 0);
    const coef = tf.tensor1d([1, -0.5, 0.7, -1.3]); // a scalar that weighs each sequence differently
    const lora = createLora(config, { r: 2, alpha: 4, dropout: 0, targetModules: ['c_attn'], useRslora: false }, 3);
    const mod = lora.modules.get('h.1.attn.c_attn')!;
    mod.B.assign(tf.randomNormal(mod.B.shape, 0, 0.1, 'float32', 4));
    expectGradientMatchesFiniteDifferences(mod.B, () => tf.sum(tf.mul(sequenceLogps(config, w, b, { adapter: lora }), coef)) as tf.Scalar);
    for (const key of ['h.0.mlp.c_fc.weight', 'wte.weight']) {
      const v = tf.variable(w.get(key)!, true);
      const wv: WeightMap = new Map(w);
      wv.set(key, v);
      expectGradientMatchesFiniteDifferences(v, () => tf.sum(tf.mul(sequenceLogps(config, wv, b, {}), coef)) as tf.Scalar);
      v.dispose();
    }
    disposeWeights(w);
  });

  it('the base with the adapter off gives the base model log-probabilities exactly', () => {
    const w = noisyWeights(config, 5, 0.05);
    const pristine: WeightMap = new Map([...w].map(([k, t]) => [k, tf.clone(t)]));
    const b = pairBatch(rows, 16, 0);
    const lora = createLora(config, { r: 2, alpha: 4, dropout: 0, targetModules: ['c_attn', 'c_proj'], useRslora: false }, 6);
    for (const m of lora.modules.values()) m.B.assign(tf.randomNormal(m.B.shape, 0, 0.2, 'float32', 7));
    const withAdapter = Array.from(values(sequenceLogps(config, w, b, { adapter: lora })));
    const off = Array.from(values(sequenceLogps(config, w, b, {})));
    const base = Array.from(values(sequenceLogps(config, pristine, b, {})));
    expect(off).toEqual(base);
    expect(withAdapter).not.toEqual(base);
    disposeWeights(w);
    disposeWeights(pristine);
  });
});
