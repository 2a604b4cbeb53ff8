// Checks the GPT-2 forward pass against a plain-JS float64 reference written with loops, its gradients
// against central finite differences, and the init statistics.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gpt2Forward, initGpt2Weights, disposeWeights } from './gpt2';
import { causalLmLoss } from './loss';
import { expectGradientMatchesFiniteDifferences, noisyWeights, relErr, tinyConfig, useCpu, values } from './test-utils';
import type { Gpt2Config } from './types';

beforeAll(useCpu);

type Host = Record<string, Float32Array>;
const mat = (w: Host, k: string) => w[k];

/** x[T][in] @ W[in][out] + b, with W row-major. */
function refLinear(x: number[][], W: Float32Array, b: Float32Array): number[][] {
  const out = b.length;
  return x.map((row) => Array.from({ length: out }, (_, j) => row.reduce((s, v, i) => s + v * W[i * out + j], b[j])));
}

function refLn(x: number[][], w: Float32Array, b: Float32Array, eps: number): number[][] {
  return x.map((row) => {
    const mu = row.reduce((a, v) => a + v, 0) / row.length;
    const v = row.reduce((a, x) => a + (x - mu) ** 2, 0) / row.length;
    return row.map((x, i) => ((x - mu) / Math.sqrt(v + eps)) * w[i] + b[i]);
  });
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function refAttention(c: Gpt2Config, w: Host, i: number, x: number[][]): number[][] {
  const C = c.n_embd, H = c.n_head, D = C / H, T = x.length;
  const qkv = refLinear(x, mat(w, `h.${i}.attn.c_attn.weight`), mat(w, `h.${i}.attn.c_attn.bias`));
  const y = x.map(() => new Array(C).fill(0));
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const q = qkv[t].slice(h * D, h * D + D);
      const s = Array.from({ length: t + 1 }, (_, u) => q.reduce((a, v, d) => a + v * qkv[u][C + h * D + d], 0) / Math.sqrt(D));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      for (let u = 0; u <= t; u++) for (let d = 0; d < D; d++) y[t][h * D + d] += (e[u] / z) * qkv[u][2 * C + h * D + d];
    }
  }
  return refLinear(y, mat(w, `h.${i}.attn.c_proj.weight`), mat(w, `h.${i}.attn.c_proj.bias`));
}

/** Logits [T][V] for one sequence, in float64 with loops. */
function refForward(c: Gpt2Config, w: Host, ids: number[]): number[][] {
  const C = c.n_embd, eps = c.layer_norm_epsilon;
  let x = ids.map((id, t) => Array.from({ length: C }, (_, k) => w['wte.weight'][id * C + k] + w['wpe.weight'][t * C + k]));
  const add = (a: number[][], b: number[][]) => a.map((r, t) => r.map((v, k) => v + b[t][k]));
  for (let i = 0; i < c.n_layer; i++) {
    x = add(x, refAttention(c, w, i, refLn(x, w[`h.${i}.ln_1.weight`], w[`h.${i}.ln_1.bias`], eps)));
    const h = refLinear(refLn(x, w[`h.${i}.ln_2.weight`], w[`h.${i}.ln_2.bias`], eps), w[`h.${i}.mlp.c_fc.weight`], w[`h.${i}.mlp.c_fc.bias`]);
    x = add(x, refLinear(h.map((r) => r.map(gelu)), w[`h.${i}.mlp.c_proj.weight`], w[`h.${i}.mlp.c_proj.bias`]));
  }
  x = refLn(x, w['ln_f.weight'], w['ln_f.bias'], eps);
  const V = c.vocab_size;
  return x.map((r) => Array.from({ length: V }, (_, v) => r.reduce((a, h, k) => a + h * w['wte.weight'][v * C + k], 0)));
}

describe('gpt2Forward', () => {
  it('matches a float64 loop implementation (LN, gelu_new, causal attention, tied head)', () => {
    const c = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 20, n_positions: 8 });
    const w = noisyWeights(c, 7, 0.3);
    const host: Host = Object.fromEntries([...w].map(([k, t]) => [k, values(t)]));
    const seqs = [[1, 5, 3, 19, 0, 7], [2, 2, 2, 11, 4, 6]];
    const logits = gpt2Forward(c, w, tf.tensor2d(seqs, [2, 6], 'int32'));
    expect(logits.shape).toEqual([2, 6, 20]);
    const got = values(logits);
    const want = seqs.flatMap((s) => refForward(c, host, s).flat());
    expect(relErr(got, want)).toBeLessThan(1e-5);
    // Causality: changing the last token must not change earlier positions.
    const other = gpt2Forward(c, w, tf.tensor2d([[1, 5, 3, 19, 0, 8]], [1, 6], 'int32'));
    expect(relErr(values(other).slice(0, 5 * 20), got.slice(0, 5 * 20))).toBe(0);
    tf.dispose([logits, other]);
    disposeWeights(w);
  });

  it('initialises as GPT-2: LN 1/0, biases 0, std 0.02 and 0.02/sqrt(2 n_layer) for c_proj', () => {
    const c = tinyConfig({ n_embd: 64, n_layer: 8 });
    const w = initGpt2Weights(c, 3);
    const std = (k: string) => {
      const v = values(w.get(k)!);
      return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    };
    expect(std('h.0.mlp.c_fc.weight')).toBeCloseTo(0.02, 3);
    expect(std('h.1.mlp.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(std('h.1.attn.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(values(w.get('h.0.ln_1.weight')!).every((v) => v === 1)).toBe(true);
    expect(values(w.get('h.0.attn.c_attn.bias')!).every((v) => v === 0)).toBe(true);
    // Same seed, same weights; another seed differs.
    const again = initGpt2Weights(c, 3);
    const other = initGpt2Weights(c, 4);
    expect(values(again.get('wte.weight')!)).toEqual(values(w.get('wte.weight')!));
    expect(values(other.get('wte.weight')!)).not.toEqual(values(w.get('wte.weight')!));
    [w, again, other].forEach(disposeWeights);
  });

  it('applies dropout only in training, reproducibly for one seed', () => {
    const c = tinyConfig();
    const w = initGpt2Weights(c, 1);
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const run = (opts: object) => values(gpt2Forward(c, w, ids, opts));
    expect(run({ dropout: 0.5 })).toEqual(run({}));
    expect(run({ dropout: 0.5, training: true, seed: 3 })).toEqual(run({ dropout: 0.5, training: true, seed: 3 }));
    expect(run({ dropout: 0.5, training: true, seed: 3 })).not.toEqual(run({}));
    disposeWeights(w);
  });
});

describe('gpt2 gradients vs finite differences', () => {
  const c = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 8 });
  const keys = ['wte.weight', 'wpe.weight', 'h.0.ln_1.weight', 'h.1.ln_2.bias', 'h.0.attn.c_attn.weight', 'h.1.mlp.c_fc.bias', 'h.1.mlp.c_proj.weight', 'ln_f.weight'];
  it.each(keys)('%s', (key) => {
    const w = noisyWeights(c, 11, 0.2);
    // Repeated ids (3, 3, 5) exercise the embedding gradient's duplicate-row sum; mask drops one target.
    const ids = tf.tensor2d([[3, 3, 5, 1, 7, 3], [2, 9, 5, 5, 0, 23]], [2, 6], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1]], [2, 6]);
    const v = tf.variable(w.get(key)!.clone());
    const weights = new Map(w).set(key, v);
    expectGradientMatchesFiniteDifferences(v, () => causalLmLoss(gpt2Forward(c, weights, ids), ids, mask));
    v.dispose();
    tf.dispose([ids, mask]);
    disposeWeights(w);
  });
});
