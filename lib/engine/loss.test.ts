// The causal LM loss against values worked by hand: shift, mask, mean over counted targets, zero guard,
// stability for large logits, and its gradient.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalLmLoss, countedTargets, tokenLogProbs } from './loss';
import { useCpu, values } from './test-utils';

beforeAll(useCpu);

// Position 0's logits [0, ln 2, 0] give softmax [1/4, 1/2, 1/4]; position 1's [0, 0, 0] give 1/3 each.
// Position 2 predicts nothing (there is no token 3). ids = [2, 1, 0]:
//   target ids[1] = 1 from position 0: p = 1/2, nll = ln 2
//   target ids[2] = 0 from position 1: p = 1/3, nll = ln 3
const L2 = Math.log(2);
const logitsData = [0, L2, 0, 0, 0, 0, 5, -5, 9];
const logits = (shift = 0) => tf.tensor3d(logitsData.map((v) => v + shift), [1, 3, 3]);
const ids = tf.tensor2d([[2, 1, 0]], [1, 3], 'int32');
const loss = (mask: number[], shift = 0) => values(causalLmLoss(logits(shift), ids, tf.tensor2d([mask], [1, 3])))[0];

describe('causalLmLoss', () => {
  it.each([
    [[1, 1, 1], (Math.log(2) + Math.log(3)) / 2],
    [[0, 1, 1], (Math.log(2) + Math.log(3)) / 2], // mask[0] never counts: nothing predicts token 0
    [[1, 1, 0], Math.log(2)],
    [[1, 0, 1], Math.log(3)],
    [[1, 0, 0], 0], // nothing counted: 0, not NaN
  ])('mask %j gives %f', (mask, want) => {
    expect(loss(mask)).toBeCloseTo(want, 6);
  });

  it('is shift-invariant and finite for huge logits (stable log-softmax)', () => {
    // A naive exp() overflows to Inf at 1e4; float32 spacing near 1e4 (~1e-3) limits the agreement.
    expect(loss([1, 1, 1], 1e4)).toBeCloseTo((Math.log(2) + Math.log(3)) / 2, 3);
  });

  it('has gradient (softmax - onehot) / count on counted positions only', () => {
    const mask = tf.tensor2d([[1, 1, 0]], [1, 3]);
    const g = values(tf.grad((l: tf.Tensor) => causalLmLoss(l as tf.Tensor3D, ids, mask))(logits()));
    // One counted target (ids[1] = 1 from position 0): d/dlogits[0] = [1/4, 1/2 - 1, 1/4]; others 0.
    const want = [0.25, -0.5, 0.25, 0, 0, 0, 0, 0, 0];
    want.forEach((w, i) => expect(g[i]).toBeCloseTo(w, 6));
  });

  it('tokenLogProbs gives log p of each next token, [B, T-1]', () => {
    const lp = tokenLogProbs(logits(), ids);
    expect(lp.shape).toEqual([1, 2]);
    expect(values(lp)[0]).toBeCloseTo(-Math.log(2), 6);
    expect(values(lp)[1]).toBeCloseTo(-Math.log(3), 6);
  });

  it('countedTargets skips position 0', () => {
    expect(countedTargets([1, 1, 0, 1])).toBe(2);
  });
});
