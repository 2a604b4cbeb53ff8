// DoRA against PEFT's rules: m = ||W|| at init (the base model exactly), the forward equal to a model whose weights
// are m * (W + s·BA) / ||W + s·BA|| built by hand on the host, gradients vs finite differences of the detached-norm
// loss, the dropout path, and the PEFT files (lora_magnitude_vector keys and shapes, use_dora routing).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalLmLoss } from '../../loss';
import { disposeWeights, forward, initWeights } from '../../model';
import { parseModelConfig } from '../../model-config';
import { mulberry32, normalArray } from '../../random';
import { tinyRawConfig } from '../../test-checkpoints';
import { relErr, tinyConfig, useCpu, values } from '../../test-utils';
import type { Gpt2Config, LlamaConfig, LoraConfig, ModelConfig, WeightMap } from '../../types';
import { methodForPeftType } from '../methods';
import { createDora, disposeDora, doraFromPeft, doraToPeft, weightNorm, type DoraState } from '.';

beforeAll(useCpu);

const gpt2 = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 8 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2 })) as LlamaConfig;
const FAMILIES = [['gpt2', gpt2], ['llama', llama]] as const;
const ids = () => tf.tensor2d([[1, 5, 3, 19, 0, 7], [2, 2, 2, 11, 4, 6]], [2, 6], 'int32');
const lcfg = (model: ModelConfig, over: Partial<LoraConfig> = {}): LoraConfig => ({
  r: 3, alpha: 6, dropout: 0, useRslora: false, targetModules: model.model_type === 'gpt2' ? ['c_attn', 'c_proj'] : ['q_proj', 'v_proj', 'down_proj'], ...over,
});

function noisy(model: ModelConfig, seed: number): WeightMap {
  const rng = mulberry32(seed);
  const w = initWeights(model, seed);
  for (const [k, t] of w) {
    const gain = /(ln_|norm)[^.]*\.weight$/.test(k) ? 1 : 0;
    w.set(k, tf.tensor(normalArray(t.size, 0.3, rng).map((x) => gain + x), t.shape));
    t.dispose();
  }
  return w;
}

/** Nonzero B and a magnitude away from ||W||, so every term of DoRA's forward matters. */
function randomize(s: DoraState, seed: number): void {
  const rng = mulberry32(seed);
  for (const m of s.modules.values()) {
    m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
    m.m.assign(tf.tensor(values(m.m).map((v) => v * (1 + 0.3 * (rng() - 0.5))), m.m.shape));
  }
}

/** W' = m * (W + s·BA) / ||W + s·BA|| per output feature, on the host, in float64. */
function doraWeightByHand(W: Float32Array, shape: number[], A: Float32Array, B: Float32Array, r: number, m: Float32Array, s: number, conv1d: boolean): Float32Array {
  const [rows, cols] = shape;
  const [nIn, nOut] = conv1d ? [rows, cols] : [cols, rows];
  const at = (o: number, i: number) => (conv1d ? i * cols + o : o * cols + i);
  const out = new Float32Array(W.length);
  for (let o = 0; o < nOut; o++) {
    const row = new Float64Array(nIn);
    for (let i = 0; i < nIn; i++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += B[o * r + k] * A[k * nIn + i];
      row[i] = W[at(o, i)] + s * d;
    }
    const norm = Math.sqrt(row.reduce((a, x) => a + x * x, 0));
    for (let i = 0; i < nIn; i++) out[at(o, i)] = (m[o] * row[i]) / norm;
  }
  return out;
}

describe('DoRA init and forward', () => {
  it.each(FAMILIES)('%s: m starts at ||W|| per output row (exactly the base logits); the forward equals the hand-built W\'', (_, model) => {
    const w = noisy(model, 2);
    const s = createDora(model, w, lcfg(model), 3);
    const base = values(tf.tidy(() => forward(model, w, ids())));
    expect(values(tf.tidy(() => forward(model, w, ids(), { adapter: s })))).toEqual(base);
    const conv1d = model.model_type === 'gpt2';
    const first = [...s.modules.keys()][0];
    const W = values(w.get(first + '.weight')!);
    const [rows, cols] = w.get(first + '.weight')!.shape;
    const nOut = conv1d ? cols : rows;
    const norm0 = Array.from({ length: nOut }, (_, o) => Math.sqrt(Array.from({ length: conv1d ? rows : cols }, (_, i) => W[conv1d ? i * cols + o : o * cols + i] ** 2).reduce((a, b) => a + b)));
    expect(relErr(values(s.modules.get(first)!.m), norm0)).toBeLessThan(1e-6);

    randomize(s, 4);
    const byHand: WeightMap = new Map([...w].map(([k, t]) => [k, t.clone()]));
    for (const [path, mod] of s.modules) {
      const Wt = byHand.get(path + '.weight')!;
      byHand.set(path + '.weight', tf.tensor(doraWeightByHand(values(Wt), Wt.shape, values(mod.A), values(mod.B), 3, values(mod.m), s.scaling, conv1d), Wt.shape));
      Wt.dispose();
    }
    const tuned = values(tf.tidy(() => forward(model, w, ids(), { adapter: s })));
    expect(relErr(tuned, base)).toBeGreaterThan(1e-2);
    expect(relErr(values(tf.tidy(() => forward(model, byHand, ids()))), tuned)).toBeLessThan(1e-5);
    disposeDora(s);
    [w, byHand].forEach(disposeWeights);
  });

  it('with dropout while training: y + (m/n - 1)·(dropout(x) W) + (m/n)·s·B(A(dropout(x))), as PEFT recomputes it', () => {
    const w = noisy(gpt2, 5);
    const s = createDora(gpt2, w, lcfg(gpt2, { dropout: 0.5 }), 3);
    randomize(s, 6);
    const path = 'h.0.attn.c_attn';
    const mod = s.modules.get(path)!;
    const x = tf.tensor2d(normalArray(4 * 16, 1, mulberry32(7)), [4, 16]);
    const W = w.get(path + '.weight') as tf.Tensor2D;
    const y = tf.add(tf.matMul(x, W), w.get(path + '.bias')!) as tf.Tensor2D;
    const seed = 99;
    const got = values(s.linear(path, x, y, { training: true, nextSeed: () => seed }));
    const want = values(tf.tidy(() => {
      const xd = tf.dropout(x, 0.5, undefined, seed) as tf.Tensor2D;
      const scale = tf.div(mod.m, weightNorm(W, mod.A, mod.B, s.scaling, true));
      const lora = tf.matMul(tf.matMul(xd, mod.A, false, true), mod.B, false, true);
      return tf.add(y, tf.add(tf.mul(tf.sub(scale, 1), tf.matMul(xd, W)), tf.mul(tf.mul(scale, lora), s.scaling)));
    }));
    expect(relErr(got, want)).toBeLessThan(1e-6);
    // In eval mode the dropout path is not taken: same as dropout 0.
    const evalOut = values(s.linear(path, x, y, { training: false, nextSeed: () => { throw new Error('no dropout seed in eval'); } }));
    expect(relErr(evalOut, values(tf.tidy(() => tf.matMul(x, doraW(W, mod, s))).add(w.get(path + '.bias')!)))).toBeLessThan(1e-5);
    disposeDora(s);
    disposeWeights(w);
  });
});

function doraW(W: tf.Tensor2D, mod: { A: tf.Tensor; B: tf.Tensor; m: tf.Tensor }, s: DoraState): tf.Tensor2D {
  return tf.tensor(doraWeightByHand(values(W), W.shape, values(mod.A), values(mod.B), s.config.r, values(mod.m), s.scaling, true), W.shape) as tf.Tensor2D;
}

describe('DoRA gradients', () => {
  /** Finite differences of the loss PEFT differentiates: the norm held at its value for the unperturbed factors.
   * Perturbing A or B changes ||W + s·BA||; scaling m by the same ratio keeps m / ||.|| where it was. */
  function detachedFd(s: DoraState, path: string, which: 'A' | 'B' | 'm', loss: () => tf.Scalar, w: WeightMap): { fd: number[]; g: number[] } {
    const mod = s.modules.get(path)!;
    const v = mod[which];
    const { grads, value } = tf.variableGrads(loss, [v]);
    const g = Array.from(values(grads[v.name]));
    tf.dispose([value, grads[v.name]]);
    const W = w.get(path + '.weight')!;
    const [A0, B0, m0] = [tf.clone(mod.A), tf.clone(mod.B), tf.clone(mod.m)];
    const n0 = weightNorm(W, A0, B0, s.scaling, s.fanInFanOut);
    const top = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 4);
    const eps = 1e-2;
    const at = (j: number, h: number) => tf.tidy(() => {
      const orig = { A: A0, B: B0, m: m0 }[which];
      const d = new Float32Array(orig.size);
      d[j] = h;
      v.assign(tf.add(orig, tf.tensor(d, orig.shape)));
      if (which !== 'm') mod.m.assign(tf.mul(m0, tf.div(weightNorm(W, mod.A, mod.B, s.scaling, s.fanInFanOut), n0)));
      return values(loss())[0];
    });
    const fd = top.map((j) => (at(j, eps) - at(j, -eps)) / (2 * eps));
    mod.A.assign(A0);
    mod.B.assign(B0);
    mod.m.assign(m0);
    tf.dispose([A0, B0, m0, n0]);
    return { fd, g: top.map((j) => g[j]) };
  }

  it.each(FAMILIES)('%s: the gradients of A, B and m match finite differences of the detached-norm loss', (_, model) => {
    const w = noisy(model, 8);
    const s = createDora(model, w, lcfg(model), 3);
    randomize(s, 9);
    const x = ids();
    const mask = tf.ones([2, 6]) as tf.Tensor2D;
    const loss = () => causalLmLoss(forward(model, w, x, { adapter: s }), x, mask);
    for (const path of [...s.modules.keys()].filter((_, i, a) => i === 0 || i === a.length - 1)) {
      for (const which of ['A', 'B', 'm'] as const) {
        const { fd, g } = detachedFd(s, path, which, loss, w);
        expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(1e-4);
        g.forEach((gj, i) => expect(Math.abs(fd[i] - gj), `${path} ${which}`).toBeLessThan(2e-2 * Math.abs(gj) + 2e-4));
      }
    }
    disposeDora(s);
    disposeWeights(w);
  });
});

describe('DoRA PEFT files', () => {
  const gpt2Small: Gpt2Config = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 2, n_head: 12, layer_norm_epsilon: 1e-5 };

  it('writes lora_A, lora_B and lora_magnitude_vector with GPT-2 small shapes, use_dora true', async () => {
    const w: WeightMap = new Map([0, 1].map((i) => [`h.${i}.attn.c_attn.weight`, tf.ones([768, 2304])] as [string, tf.Tensor]));
    const s = createDora(gpt2Small, w, { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false }, 1);
    const { config, tensors } = await doraToPeft(s, { baseModel: 'openai-community/gpt2' });
    expect(Object.keys(tensors).sort()).toEqual([0, 1].flatMap((i) => ['lora_A.weight', 'lora_B.weight', 'lora_magnitude_vector'].map((n) => `base_model.model.transformer.h.${i}.attn.c_attn.${n}`)).sort());
    expect(tensors['base_model.model.transformer.h.0.attn.c_attn.lora_magnitude_vector'].shape).toEqual([2304]);
    expect(Array.from(tensors['base_model.model.transformer.h.0.attn.c_attn.lora_magnitude_vector'].data.slice(0, 3))).toEqual([Math.fround(Math.sqrt(768)), Math.fround(Math.sqrt(768)), Math.fround(Math.sqrt(768))]);
    expect(config).toMatchObject({ peft_type: 'LORA', use_dora: true, r: 8, lora_alpha: 16, fan_in_fan_out: true, target_modules: ['c_attn'], task_type: 'CAUSAL_LM' });
    expect(methodForPeftType(config.peft_type, config).id).toBe('dora');
    expect(methodForPeftType(config.peft_type, { ...config, use_dora: false }).id).toBe('lora');
    disposeDora(s);
    disposeWeights(w);
  });

  it('loads back; refuses a missing or misshapen magnitude, leaking nothing', async () => {
    const w = noisy(llama, 10);
    const s = createDora(llama, w, lcfg(llama), 3);
    randomize(s, 11);
    const files = await doraToPeft(s, { baseModel: 'x' });
    const back = doraFromPeft(files.config, files.tensors, llama, w);
    for (const [p, m] of s.modules) expect(values(back.modules.get(p)!.m)).toEqual(values(m.m));
    const count = tf.memory().numTensors;
    const key = 'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector';
    const missing = { ...files.tensors };
    delete missing[key];
    expect(() => doraFromPeft(files.config, missing, llama, w)).toThrow(/no lora_magnitude_vector for model.layers.0.self_attn.q_proj/);
    expect(() => doraFromPeft(files.config, { ...files.tensors, [key]: { shape: [3], data: new Float32Array(3) } }, llama, w)).toThrow(/is \[3\] but the layer has 16 outputs/);
    expect(() => doraFromPeft({ ...files.config, use_dora: false }, files.tensors, llama, w)).toThrow(/load it as LoRA/);
    expect(tf.memory().numTensors).toBe(count);
    [s, back].forEach(disposeDora);
    disposeWeights(w);
  });
});
