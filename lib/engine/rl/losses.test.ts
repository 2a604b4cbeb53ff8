// RL's losses on the tape against values worked by hand (TRL's k3, clipped surrogate, GRPO/RLOO/PPO losses), and
// the clipped surrogate's gradient against finite differences.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clippedSurrogate, detach, grpoLoss, k3, ppoLoss, rlooLoss } from './losses';

const v = (xs: number[]) => tf.tensor1d(xs);
const val = (t: tf.Tensor) => Array.from(t.dataSync());

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// logp 0 against old log-probabilities -ln 1.5 and ln 2: ratios 1.5 and 0.5.
const logp = [0, 0];
const old = [-Math.log(1.5), Math.log(2)];

describe('RL losses', () => {
  it('k3 = exp(ref - logp) - (ref - logp) - 1', () => {
    const got = val(k3(v([-1, -2, -1]), v([-2, -1, -1])));
    [Math.exp(-1), Math.E - 2, 0].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });
  it('the clipped surrogate takes the pessimistic side of the clip', () => {
    // ratio 1.5, A 2: min(3, 2.4); ratio 1.5, A -2: min(-3, -2.4); ratio 0.5, A 2: min(1, 1.6); ratio 0.5, A -2: min(-1, -1.6).
    const got = val(clippedSurrogate(v([0, 0, 0, 0]), v([old[0], old[0], old[1], old[1]]), v([2, -2, 2, -2]), 0.2));
    [-2.4, 3, -1, 1.6].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
  });
  it('GRPO adds beta * k3 per token and applies the normalisation weights', () => {
    const l = grpoLoss(v(logp), v(old), v([-1, 1]), v([2, -2]), v([0.5, 0.5]), 0.2, 0.1);
    expect(l.dataSync()[0]).toBeCloseTo(0.5 * (-2.4 + 0.1 * Math.exp(-1)) + 0.5 * (1.6 + 0.1 * (Math.E - 2)), 5);
    expect(grpoLoss(v(logp), v(old), null, v([2, -2]), v([0.5, 0.5]), 0.2, 0).dataSync()[0]).toBeCloseTo(-0.4, 5);
  });
  it('RLOO averages the per-completion clipped surrogate', () => expect(rlooLoss(v(logp), v(old), v([2, -2]), 0.2).dataSync()[0]).toBeCloseTo(-0.4, 5));
  it('PPO adds vf_coef * 0.5 * mean max((v - R)^2, (clipped v - R)^2)', () => {
    // Values [1, 0, 0.2] from [0.5, 0.1, 0.5] clipped by 0.2 -> [0.7, 0, 0.3]; returns [0.6, 0.5, 0]:
    // max([0.16, 0.25, 0.04], [0.01, 0.25, 0.09]) = [0.16, 0.25, 0.09]; pg = mean(-2.4, 1.6, -1) = -0.6.
    const p = ppoLoss(v([0, 0, 0]), v([...old, 0]), v([2, -2, 1]), v([1, 0, 0.2]), v([0.5, 0.1, 0.5]), v([0.6, 0.5, 0]), { cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1 });
    expect(p.pg.dataSync()[0]).toBeCloseTo(-0.6, 5);
    expect(p.vf.dataSync()[0]).toBeCloseTo(0.5 * (0.5 / 3), 5);
    expect(p.loss.dataSync()[0]).toBeCloseTo(-0.6 + 0.1 * (0.5 / 6), 5);
  });
  it('the surrogate gradient matches finite differences (inside and outside the clip)', () => {
    // Ratios e^0.05 and e^0.15 (inside the clip) and e^-0.3 = 0.74 (below 0.8 with A > 0: the unclipped side is the min).
    const oldL = [0, -0.05, 0.5];
    const A = [1.5, -0.7, 2];
    const f = (x: number[]) => tf.tidy(() => tf.sum(clippedSurrogate(v(x), v(oldL), v(A), 0.2)).dataSync()[0]);
    const x0 = [0.05, 0.1, 0.2];
    const g = val(tf.grad((x: tf.Tensor) => tf.sum(clippedSurrogate(x, v(oldL), v(A), 0.2)))(v(x0)));
    x0.forEach((_, i) => {
      const h = 1e-3;
      const up = [...x0]; up[i] += h;
      const dn = [...x0]; dn[i] -= h;
      expect(g[i]).toBeCloseTo((f(up) - f(dn)) / (2 * h), 2);
    });
  });
});

describe('detach', () => {
  it('passes the value and stops the gradient: GRPO with detached old log-probabilities has gradient A per token', () => {
    const x = v([0.3, -0.2]);
    expect(val(detach(x))).toEqual(val(x));
    // d/dlogp of -min(r A, clip(r) A) at r = 1 is -A; plus beta * dk3/dlogp = beta * (1 - exp(ref - logp)).
    const g = val(tf.grad((l: tf.Tensor) => grpoLoss(l as tf.Tensor1D, detach(l) as tf.Tensor1D, v([0.1, -0.5]), v([2, -1]), v([1, 1]), 0.2, 0.1))(x));
    expect(g[0]).toBeCloseTo(-2 + 0.1 * (1 - Math.exp(0.1 - 0.3)), 5);
    expect(g[1]).toBeCloseTo(1 + 0.1 * (1 - Math.exp(-0.5 + 0.2)), 5);
  });
});
