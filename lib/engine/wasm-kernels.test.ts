// The wasm kernel overrides equal wasm's own kernels (speedups off) on awkward shapes, gradients included, and
// leak neither engine tensors nor backend buffers.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { setSpeedups } from './speedups';
import { MATMUL_LIMITS } from './wasm-kernels';
import { relErr } from './test-utils';

setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');

beforeAll(async () => {
  expect((await initBackend('wasm', { allowFallbackAdapter: false })).backend).toBe('wasm');
});
afterAll(() => setSpeedups(true));

const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

/** f's output and input gradients, with the overrides on or off. */
function run(on: boolean, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor, withGrads: boolean): Float32Array[] {
  setSpeedups(on);
  return tf.tidy(() => {
    const y = f(a, b);
    const gs = withGrads ? tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(f(x, w))))([a, b]) : [];
    return [y, ...gs].map((t) => t.dataSync() as Float32Array);
  });
}

/** f with the overrides on equals f with them off (output and gradients), and leaves no backend buffer behind. */
function expectSame(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor, withGrads: boolean): void {
  const plain = run(false, f, a, b, withGrads);
  const ids = dataIds();
  const fast = run(true, f, a, b, withGrads);
  expect(dataIds()).toBe(ids);
  fast.forEach((v, i) => expect(relErr(v, plain[i])).toBeLessThan(1e-5));
  tf.dispose([a, b]);
}

describe('wasm kernel overrides', () => {
  it.each([
    [[7, 13], [13, 5], false, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [13, 5], true, false],
    [[13, 7], [5, 13], true, true],
    [[3, 2, 9, 6], [3, 2, 6, 11], false, false], // batched: run per batch entry on heap views
    [[3, 2, 9, 6], [3, 2, 11, 6], false, true],
    // Broadcast batches: forward only (tfjs 4.22's matMul gradient rejects broadcast shapes on every backend).
    [[4, 9, 6], [6, 11], false, false, false], // b broadcast: one [36, 6] x [6, 11] product
    [[9, 6], [4, 6, 11], false, false, false], // a broadcast
    [[2, 1, 5, 7], [1, 3, 7, 4], false, false, false], // partial broadcast: wasm's own kernel
    // b larger than a and the output (a vocabulary head): (b a^T)^T, a transposed or not.
    [[3, 8], [101, 8], false, true],
    [[8, 3], [101, 8], true, true],
    [[1, 16], [67, 16], false, true],
  ])('matMul %j x %j (transpose %s, %s) matches', (sa, sb, ta, tb, withGrads = true) => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
    const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    expectSame((x, w) => tf.matMul(x, w, ta, tb), a, b, withGrads);
  });

  it('a b^T with b too large to copy runs a block of output rows at a time, and matches', () => {
    const saved = { ...MATMUL_LIMITS };
    Object.assign(MATMUL_LIMITS, { transposeBytes: 1024, blockFloats: 300 }); // b [301, 8] is "too large"; 1 row per block
    try {
      for (const [sa, ta] of [[[7, 8], false], [[8, 7], true], [[40, 8], false]] as const) {
        const a = tf.randomNormal([...sa], 0, 1, 'float32', 3);
        const b = tf.randomNormal([301, 8], 0, 1, 'float32', 4);
        expectSame((x, w) => tf.matMul(x, w, ta, true), a, b, true);
      }
    } finally {
      Object.assign(MATMUL_LIMITS, saved);
    }
  });

  it('Cast to the same dtype shares the buffer; to another dtype it converts', () => {
    setSpeedups(true);
    const x = tf.tensor([1.5, -2.5, 3]);
    const ids = dataIds();
    const same = tf.cast(x, 'float32');
    expect(dataIds()).toBe(ids);
    const int = tf.cast(x, 'int32');
    expect(Array.from(int.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([x, same, int]);
  });

  it('Identity shares the buffer and frees it with the last reference', () => {
    setSpeedups(true);
    const ids = dataIds();
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    expect(dataIds()).toBe(ids + 1); // one buffer, two tensors
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(dataIds()).toBe(ids);
  });
});

describe('wasm Slice override', () => {
  it.each([
    [[7, 13], [2, 3], [4, 9]],
    [[3, 5, 7], [1, 0, 2], [2, 5, 4]], // rows contiguous inside, strided outside
    [[2, 3, 4, 5], [1, 1, 0, 0], [1, 2, 4, 5]], // contiguous block
    [[2, 3, 4, 5, 2], [0, 1, 1, 2, 1], [2, 2, 3, 3, 1]], // rank 5
    [[6], [2], [3]],
  ])('slice of %j at %j size %j matches wasm own, float32 and int32', (shape, begin, size) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform(shape, -100, 100, 'float32', 3), 1), dtype));
      setSpeedups(false);
      const plain = tf.slice(x, begin, size);
      setSpeedups(true);
      const fast = tf.slice(x, begin, size);
      expect(fast.dtype).toBe(dtype);
      expect(Array.from(fast.dataSync())).toEqual(Array.from(plain.dataSync()));
      tf.dispose([x, plain, fast]);
    }
  });
});
