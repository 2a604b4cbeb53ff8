// AdamW against two steps worked by hand (torch.optim.AdamW's update), decay only on matrices, no tensor leaks,
// and the fused kernel (cpu, wasm) equal to the plain ops over several steps, skipped steps included.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw';
import { hasFusedAdamW } from './adamw-fused';
import { mulberry32, normalArray } from './random';
import { setSpeedups } from './speedups';
import { relErr, useCpu, values } from './test-utils';

setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
beforeAll(useCpu);
afterAll(() => setSpeedups(true));

/** Params after 5 steps (wd 0.1; step 3 skipped through the flag); a matrix, a bias and one without a gradient. */
function trainedParams(fused: boolean, fusedGroupFloats?: number): Float32Array[] {
  setSpeedups(fused ? ['adamw'] : []);
  const rng = mulberry32(3);
  const params = [[4, 6], [6], [2, 2]].map((s) => tf.tidy(() => tf.variable(tf.tensor(normalArray(s.reduce((a, b) => a * b), 1, rng), s))));
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1, fusedGroupFloats });
  for (let t = 0; t < 5; t++) {
    tf.tidy(() => {
      const grads = params.slice(0, 2).map((p) => tf.tensor(normalArray(p.size, 0.5, rng), p.shape));
      // A clipping scale on some steps, read by the optimizer as it reads each gradient.
      opt.step([...grads, undefined as unknown as tf.Tensor], 0.01 * (t + 1), tf.scalar(t !== 2, 'bool'), t % 2 ? tf.scalar(0.37) : undefined);
    });
  }
  const out = params.map((p) => p.dataSync() as Float32Array);
  opt.dispose();
  tf.dispose(params);
  return out;
}

describe('AdamW', () => {
  it.each(['cpu', 'wasm'])('the fused kernel on %s updates the moments in place, and never touches a buffer something else holds', async (backend) => {
    expect(await tf.setBackend(backend)).toBe(true);
    setSpeedups(['adamw']);
    const base = tf.tensor([1, 2, 3, 4], [2, 2]);
    const p = tf.variable(base, true); // shares the base's data, as full fine-tuning does
    const opt = new AdamW([p], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const bytes = () => tf.memory().numBytes;
    tf.tidy(() => opt.step([tf.ones([2, 2])], 0.1));
    expect(Array.from(base.dataSync())).toEqual([1, 2, 3, 4]); // the base is untouched
    const snapshot = tf.clone(p); // an export's snapshot shares p's data
    const before = p.dataSync().slice();
    tf.tidy(() => opt.step([tf.ones([2, 2])], 0.1));
    expect(Array.from(snapshot.dataSync())).toEqual(Array.from(before));
    snapshot.dispose();
    const settled = bytes();
    tf.tidy(() => opt.step([tf.ones([2, 2])], 0.1));
    expect(bytes()).toBe(settled); // the moments in place, the new parameter replacing the old
    expect(p.dataSync()[0]).toBeLessThan(before[0]);
    opt.dispose();
    tf.dispose([p, base]);
    setSpeedups(true);
    await useCpu();
  });

  it('matches two hand-computed steps (lr 0.1 then 0.05, wd 0.1 on the matrix only)', () => {
    const W = tf.variable(tf.tensor2d([[2, -1]])); // rank 2: decayed
    const b = tf.variable(tf.tensor1d([0.5])); // rank 1: not decayed
    const opt = new AdamW([W, b], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 });
    opt.step([tf.tensor2d([[0.5, 0.1]]), tf.tensor1d([0.2])], 0.1);
    // Step 1 (bc1 = 0.1, bc2 = 0.001; update = (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)):
    //  W0: 2 * (1 - 0.1*0.1) = 1.98; m = 0.05, v = 0.00025; sqrt(v/bc2) = 0.5; 1.98 - 1 * 0.05 / 0.5 = 1.88
    //  W1: -1 * 0.99 = -0.99; m = 0.01, v = 1e-5; sqrt(v/bc2) = 0.1; -0.99 - 0.01 / 0.1 = -1.09
    //  b:  no decay; m = 0.02, v = 4e-5; sqrt(v/bc2) = 0.2; 0.5 - 0.02 / 0.2 = 0.4
    expect(values(W)[0]).toBeCloseTo(1.88, 6);
    expect(values(W)[1]).toBeCloseTo(-1.09, 6);
    expect(values(b)[0]).toBeCloseTo(0.4, 6);
    opt.step([tf.tensor2d([[-0.25, 0.1]]), tf.tensor1d([-0.2])], 0.05);
    // Step 2 (bc1 = 0.19, bc2 = 1 - 0.999^2 = 0.001999; lr / bc1 = 0.05 / 0.19 = 0.263158):
    //  W0: 1.88 * (1 - 0.05*0.1) = 1.8706; m = 0.9*0.05 + 0.1*(-0.25) = 0.02;
    //      v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225; sqrt(v/bc2) = sqrt(0.156203) = 0.395225;
    //      1.8706 - 0.263158 * 0.02 / 0.395225 = 1.8706 - 0.0133169 = 1.857283
    //  W1: -1.09 * 0.995 = -1.08455; m = 0.009 + 0.01 = 0.019; v = 0.999e-5 + 1e-5 = 1.999e-5;
    //      sqrt(v/bc2) = sqrt(0.01) = 0.1; -1.08455 - 0.263158 * 0.019 / 0.1 = -1.08455 - 0.05 = -1.13455
    //  b:  m = 0.018 - 0.02 = -0.002; v = 0.999*4e-5 + 0.001*0.04 = 7.996e-5; sqrt(v/bc2) = 0.2;
    //      0.4 + 0.263158 * 0.002 / 0.2 = 0.402632
    expect(values(W)[0]).toBeCloseTo(1.857283, 5);
    expect(values(W)[1]).toBeCloseTo(-1.13455, 5);
    expect(values(b)[0]).toBeCloseTo(0.402632, 5);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
    tf.dispose([W, b]);
  });

  it('accepts gradients keyed by variable name and keeps the tensor count flat', () => {
    const W = tf.variable(tf.ones([3, 3]));
    const opt = new AdamW([W], { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.01 });
    const step = () => {
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(W)), [W]);
      opt.step(grads, 0.01);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(count);
    expect(values(W)[0]).toBeLessThan(1);
    opt.dispose();
    W.dispose();
  });

  it.each(['cpu', 'wasm'])('the fused kernel on %s equals the plain ops after several steps', async (backend) => {
    expect(await tf.setBackend(backend)).toBe(true);
    expect(hasFusedAdamW()).toBe(true);
    const plain = trainedParams(false);
    const count = tf.memory().numTensors;
    const fused = trainedParams(true);
    expect(tf.memory().numTensors).toBe(count);
    fused.forEach((f, i) => expect(relErr(f, plain[i])).toBeLessThan(1e-6));
    // In groups of at most 8 floats: the 24-float matrix alone, then the bias.
    trainedParams(true, 8).forEach((f, i) => expect(relErr(f, plain[i])).toBeLessThan(1e-6));
    await useCpu();
  });
});
