// Shared helpers for the engine's unit tests: tiny configs, seeded example data and error measures.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { DEFAULT_LORA } from './peft/lora';
import { mulberry32, normalArray } from './random';
import type { Example, Gpt2Config, TrainConfig, WeightMap } from './types';

export function tinyConfig(over: Partial<Gpt2Config> = {}): Gpt2Config {
  return { model_type: 'gpt2', vocab_size: 50, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5, eos_token_id: 0, ...over };
}

export function tinyTrainConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    method: 'lora', steps: 10, batchSize: 2, gradAccum: 1, seqLen: 16, lr: 1e-2, weightDecay: 0, beta1: 0.9, beta2: 0.999,
    epsilon: 1e-8, warmupSteps: 0, schedule: 'constant', minLrRatio: 0.1, clipNorm: 1, seed: 1, evalEvery: 0,
    lora: { ...DEFAULT_LORA, dropout: 0 }, ...over,
  };
}

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** n examples of `len` random ids in [1, V), every target counted. */
export function randomExamples(n: number, len: number, V: number, seed: number): Example[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: len }, () => 1 + Math.floor(rng() * (V - 1)));
    return { ids, mask: ids.map(() => 1) };
  });
}

/** max |a - b| / max |b| over all entries. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den > 0 ? num / den : num; // all-zero reference: report the absolute error
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array; // tests run on cpu/wasm, where sync reads are fine
}

/** Checks the gradient of `loss` wrt variable `v` by central differences (float32, step eps): along the
 * claimed gradient's direction (catches wrong scale or direction) and at its three largest coordinates. */
export function expectGradientMatchesFiniteDifferences(v: tf.Variable, loss: () => tf.Scalar, eps = 1e-2, tol = 2e-2): void {
  const { grads, value } = tf.variableGrads(loss, [v]);
  const g = Float32Array.from(values(grads[v.name]));
  tf.dispose([value, grads[v.name]]);
  const original = tf.clone(v);
  const lossAt = (dir: Float32Array, s: number) =>
    tf.tidy(() => {
      v.assign(tf.add(original, tf.mul(tf.tensor(dir, v.shape), s)));
      return values(loss())[0];
    });
  const fd = (dir: Float32Array) => (lossAt(dir, eps) - lossAt(dir, -eps)) / (2 * eps);
  const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
  expect(norm).toBeGreaterThan(1e-3); // a zero gradient would pass trivially
  // d/ds L(w + s g/|g|) = |g| when g is the true gradient.
  expect(Math.abs(fd(g.map((x) => x / norm)) - norm) / norm).toBeLessThan(tol);
  const top = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 3);
  for (const j of top) {
    const e = new Float32Array(g.length);
    e[j] = 1;
    expect(Math.abs(fd(e) - g[j])).toBeLessThan(tol * Math.abs(g[j]) + 2e-4);
  }
  v.assign(original);
  original.dispose();
}

/** Random weights with every entry nonzero (LN and biases too), so each term of the reference matters. */
export function noisyWeights(c: Gpt2Config, seed: number, std: number): WeightMap {
  const rng = mulberry32(seed);
  const base = initGpt2Weights(c, seed);
  const out: WeightMap = new Map();
  for (const [k, t] of base) {
    const noise = normalArray(t.size, std, rng);
    const data = values(t).map((v, i) => v + noise[i]);
    out.set(k, tf.tensor(data, t.shape));
  }
  disposeWeights(base);
  return out;
}
