// The chunked loss against the plain one (full [B, T, V] logits, log-softmax, one-hot): same value and gradients
// for the hidden states and the output embedding, at several vocabulary and chunk sizes, with the softmax kept or
// recomputed, masks with gaps, repeated targets, and nothing counted; no leaked tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkedCausalLmLoss, chunkTokensFor, lossTargets, type ChunkOptions } from './chunked-loss';
import { lmHead } from './forward-ctx';
import { causalLmLoss } from './loss';
import { mulberry32, normalArray } from './random';
import { relErr, useCpu, values } from './test-utils';

beforeAll(useCpu);

function setup(B: number, T: number, C: number, V: number, seed: number) {
  const rng = mulberry32(seed);
  const hidden = tf.tensor3d(normalArray(B * T * C, 1, rng), [B, T, C]);
  const W = tf.variable(tf.tensor2d(normalArray(V * C, 0.5, rng), [V, C]), true);
  // Repeated targets (ids mod 5 for half the row) so the scattered part of dW sums duplicates.
  const ids = Array.from({ length: B * T }, (_, i) => (i % 2 ? Math.floor(rng() * V) : i % 5));
  const mask = Array.from({ length: B * T }, (_, i) => (i % 7 === 3 ? 0 : 1)); // gaps
  return { hidden, W, ids, mask };
}

/** Value and gradients (d hidden, d W) of a loss function of (hidden, W). */
function lossAndGrads(f: (h: tf.Tensor3D, W: tf.Tensor) => tf.Scalar, hidden: tf.Tensor3D, W: tf.Variable) {
  return tf.tidy(() => {
    const hv = tf.variable(hidden, true);
    const { value, grads } = tf.variableGrads(() => f(hv, W), [hv, W]);
    // W has no gradient when the loss does not reach it (nothing counted).
    const dW = grads[W.name] ? Float32Array.from(values(grads[W.name])) : new Float32Array(W.size);
    const out = { loss: values(value)[0], dh: Float32Array.from(values(grads[hv.name])), dW };
    hv.dispose();
    return out;
  });
}

describe('chunkedCausalLmLoss', () => {
  const cases: [string, number, number, number, number, ChunkOptions][] = [
    ['V 50, one chunk, softmax kept', 2, 9, 8, 50, {}],
    ['V 50, chunks of 4, recomputed', 2, 9, 8, 50, { chunkTokens: 4, keepBytes: 0 }],
    ['V 301, chunks of 5, kept', 3, 7, 16, 301, { chunkTokens: 5 }],
    ['V 1000, chunks of 1, recomputed', 1, 12, 12, 1000, { chunkTokens: 1, keepBytes: 0 }],
    ['V 4096, chunks of 7 (not a divisor), recomputed', 2, 16, 24, 4096, { chunkTokens: 7, keepBytes: 0 }],
  ];
  for (const [name, B, T, C, V, opts] of cases) {
    it(`${name}: loss and both gradients equal the plain loss (relative < 1e-6)`, () => {
      const { hidden, W, ids, mask } = setup(B, T, C, V, V + B);
      const idsT = tf.tensor2d(ids, [B, T], 'int32');
      const maskT = tf.tensor2d(mask, [B, T]);
      const before = tf.memory().numTensors;
      const plain = lossAndGrads((h, w) => causalLmLoss(lmHead(h, w), idsT, maskT), hidden, W);
      const lt = lossTargets(ids, mask, B, T);
      const chunked = lossAndGrads((h, w) => chunkedCausalLmLoss(h, w, lt, opts), hidden, W);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(chunked.loss - plain.loss) / plain.loss).toBeLessThan(1e-6);
      expect(relErr(chunked.dh, plain.dh)).toBeLessThan(1e-6);
      expect(relErr(chunked.dW, plain.dW)).toBeLessThan(1e-6);
      tf.dispose([hidden, W, idsT, maskT]);
    });
  }

  it('a frozen output embedding gets no gradient and the hidden gradient is unchanged', () => {
    const { hidden, W, ids, mask } = setup(2, 8, 8, 40, 3);
    const frozen = tf.clone(W);
    const lt = lossTargets(ids, mask, 2, 8);
    const hv = tf.variable(hidden, true);
    const g1 = tf.variableGrads(() => chunkedCausalLmLoss(hv, frozen, lt, { chunkTokens: 3, keepBytes: 0 }), [hv]);
    const g2 = lossAndGrads((h, w) => chunkedCausalLmLoss(h, w, lt), hidden, W);
    expect(relErr(values(g1.grads[hv.name]), g2.dh)).toBeLessThan(1e-6);
    tf.dispose([hidden, W, frozen, hv, g1.value, ...Object.values(g1.grads)]);
  });

  it('nothing counted gives 0 (not NaN) with a zero gradient', () => {
    const { hidden, W, ids } = setup(1, 4, 8, 20, 5);
    const lt = lossTargets(ids, [1, 0, 0, 0], 1, 4);
    expect(lt.rows.length).toBe(0);
    const r = lossAndGrads((h, w) => chunkedCausalLmLoss(h, w, lt), hidden, W);
    expect(r.loss).toBe(0);
    expect(r.dh.every((x) => x === 0)).toBe(true);
    tf.dispose([hidden, W]);
  });

  it('lossTargets pairs hidden row b*T+t-1 with ids[b*T+t] where the mask counts', () => {
    const lt = lossTargets([7, 8, 9, 4, 5, 6], [1, 1, 0, 0, 1, 1], 2, 3);
    // Row 0: t=1 counts (8 from row 0), t=2 does not. Row 1: t=1 (5 from row 3) and t=2 (6 from row 4).
    expect([...lt.rows]).toEqual([0, 3, 4]);
    expect([...lt.targets]).toEqual([8, 5, 6]);
  });

  it('chunk size follows the vocabulary: at most 2^22 logits per chunk', () => {
    expect(chunkTokensFor(49152)).toBe(85);
    expect(chunkTokensFor(151936)).toBe(27);
    expect(chunkTokensFor(1 << 23)).toBe(1);
  });
});
