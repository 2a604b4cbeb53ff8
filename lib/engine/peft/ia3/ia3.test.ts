// IA3 against PEFT's rules: default targets per family, ones at init, output scaling (bias included) on targets and
// input scaling on feed-forward modules checked against hand-built weights, gradients vs finite differences, and
// the PEFT files' keys, shapes and config fields for GPT-2 small.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalLmLoss } from '../../loss';
import { disposeWeights, forward, initWeights } from '../../model';
import { parseModelConfig } from '../../model-config';
import { mulberry32, normalArray } from '../../random';
import { tinyRawConfig } from '../../test-checkpoints';
import { expectGradientMatchesFiniteDifferences, relErr, tinyConfig, useCpu, values } from '../../test-utils';
import type { Gpt2Config, LlamaConfig, ModelConfig, WeightMap } from '../../types';
import { createIa3, ia3DefaultsFor, ia3FromPeft, ia3ToPeft, type Ia3State } from '.';

beforeAll(useCpu);

const gpt2 = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 8 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2 })) as LlamaConfig;
const ids = () => tf.tensor2d([[1, 5, 3, 19, 0, 7], [2, 2, 2, 11, 4, 6]], [2, 6], 'int32');

/** Weights with every entry noticeably nonzero (biases too), so each scaling matters; norm gains near 1. */
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

function randomize(s: Ia3State, seed: number): void {
  const rng = mulberry32(seed);
  for (const m of s.modules.values()) m.l.assign(tf.tensor(normalArray(m.l.size, 0.3, rng).map((x) => 1 + x), m.l.shape));
}

describe('IA3 targets and init', () => {
  it("uses PEFT's default targets per model type; vectors start at ones, sized by output or (feed-forward) input", () => {
    expect(ia3DefaultsFor(gpt2)).toEqual({ targetModules: ['c_attn', 'mlp.c_proj'], feedforwardModules: ['mlp.c_proj'] });
    expect(ia3DefaultsFor(llama)).toEqual({ targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] });
    expect(ia3DefaultsFor({ ...llama, model_type: 'qwen2' }).targetModules).toEqual(['q_proj', 'v_proj', 'down_proj']);
    const w = initWeights(gpt2, 1);
    const s = createIa3(gpt2, w, ia3DefaultsFor(gpt2));
    expect([...s.modules.keys()]).toEqual(['h.0.attn.c_attn', 'h.0.mlp.c_proj', 'h.1.attn.c_attn', 'h.1.mlp.c_proj']);
    expect(s.modules.get('h.0.attn.c_attn')!.l.shape).toEqual([48]); // out of c_attn (3C)
    expect(s.modules.get('h.0.mlp.c_proj')!.l.shape).toEqual([64]); // in of mlp.c_proj (4C)
    expect(values(s.modules.get('h.0.mlp.c_proj')!.l).every((v) => v === 1)).toBe(true);
    expect(() => createIa3(gpt2, w, { targetModules: ['c_attn'], feedforwardModules: ['mlp.c_proj'] })).toThrow(/subset/);
    expect(() => createIa3(gpt2, w, { targetModules: ['q_proj'], feedforwardModules: [] })).toThrow(/match no module/);
    s.modules.forEach((m) => m.l.dispose());
    disposeWeights(w);
  });
});

describe('IA3 forward', () => {
  it.each([['gpt2', gpt2], ['llama', llama]] as const)('%s: equals the base model with l folded into the weights by hand', (_, model) => {
    const w = noisy(model, 2);
    const s = createIa3(model, w, ia3DefaultsFor(model));
    randomize(s, 3);
    const tuned = values(tf.tidy(() => forward(model, w, ids(), { adapter: s })));
    // Output scaling: W's output axis and the bias times l; input scaling: W's input axis times l.
    const byHand: WeightMap = new Map([...w].map(([k, t]) => [k, t.clone()]));
    const conv1d = model.model_type === 'gpt2';
    for (const [path, m] of s.modules) {
      const l = values(m.l);
      const W = byHand.get(path + '.weight')!;
      const [rows, cols] = W.shape;
      const d = values(W).slice();
      const outAxisIsRows = !conv1d;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        const scaleRows = m.feedforward ? !outAxisIsRows : outAxisIsRows;
        d[i * cols + j] *= l[scaleRows ? i : j];
      }
      byHand.set(path + '.weight', tf.tensor(d, W.shape));
      W.dispose();
      const b = byHand.get(path + '.bias');
      if (b && !m.feedforward) {
        byHand.set(path + '.bias', tf.tensor(values(b).map((v, i) => v * l[i]), b.shape));
        b.dispose();
      }
    }
    expect(relErr(values(tf.tidy(() => forward(model, byHand, ids()))), tuned)).toBeLessThan(1e-5);
    s.modules.forEach((m) => m.l.dispose());
    [w, byHand].forEach(disposeWeights);
  });

  it.each([['gpt2', gpt2], ['llama', llama]] as const)('%s: gradients of output- and input-scaling vectors match finite differences', (_, model) => {
    const w = noisy(model, 4);
    const s = createIa3(model, w, ia3DefaultsFor(model));
    randomize(s, 5);
    const x = ids();
    const mask = tf.ones([2, 6]) as tf.Tensor2D;
    for (const m of s.modules.values()) expectGradientMatchesFiniteDifferences(m.l, () => causalLmLoss(forward(model, w, x, { adapter: s }), x, mask));
    s.modules.forEach((m) => m.l.dispose());
    disposeWeights(w);
  });
});

describe('IA3 PEFT files', () => {
  const gpt2Small: Gpt2Config = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };

  it('writes GPT-2 small keys, shapes and IA3Config fields as PEFT does', async () => {
    // No base weights are needed to create output-scaled modules; feed-forward ones check their weight exists.
    const c = { targetModules: ['c_attn', 'mlp.c_proj'], feedforwardModules: ['mlp.c_proj'] };
    const fake: WeightMap = new Map(Array.from({ length: 12 }, (_, i) => [`h.${i}.mlp.c_proj.weight`, tf.zeros([1, 1])] as [string, tf.Tensor]));
    const s = createIa3(gpt2Small, fake, c);
    const { config, tensors } = await ia3ToPeft(s, { baseModel: 'openai-community/gpt2' });
    const expected = Array.from({ length: 12 }, (_, i) => [`base_model.model.transformer.h.${i}.attn.c_attn.ia3_l`, `base_model.model.transformer.h.${i}.mlp.c_proj.ia3_l`]).flat();
    expect(Object.keys(tensors).sort()).toEqual(expected.sort());
    expect(tensors['base_model.model.transformer.h.0.attn.c_attn.ia3_l'].shape).toEqual([2304, 1]); // (out_features, 1)
    expect(tensors['base_model.model.transformer.h.0.mlp.c_proj.ia3_l'].shape).toEqual([1, 3072]); // (1, in_features)
    expect(config).toEqual({
      peft_type: 'IA3', task_type: 'CAUSAL_LM', base_model_name_or_path: 'openai-community/gpt2', revision: null, inference_mode: true,
      auto_mapping: null, target_modules: ['c_attn', 'mlp.c_proj'], exclude_modules: null, feedforward_modules: ['mlp.c_proj'],
      fan_in_fan_out: true, modules_to_save: null, init_ia3_weights: true,
    });
    s.modules.forEach((m) => m.l.dispose());
    disposeWeights(fake);
  });

  it('loads back what it saved; refuses shapes that do not fit and strange keys, leaking nothing', async () => {
    const w = noisy(llama, 6);
    const s = createIa3(llama, w, ia3DefaultsFor(llama));
    randomize(s, 7);
    const files = await ia3ToPeft(s, { baseModel: 'x' });
    expect(files.config.fan_in_fan_out).toBe(false);
    expect(files.tensors['base_model.model.model.layers.0.mlp.down_proj.ia3_l'].shape).toEqual([1, 24]);
    const back = ia3FromPeft(files.config, files.tensors, llama, w);
    for (const [p, m] of s.modules) expect(values(back.modules.get(p)!.l)).toEqual(values(m.l));
    expect(back.modules.get('model.layers.1.mlp.down_proj')!.feedforward).toBe(true);
    const count = tf.memory().numTensors;
    const bad = { ...files.tensors, 'base_model.model.model.layers.0.self_attn.k_proj.ia3_l': { shape: [1, 8], data: new Float32Array(8) } };
    expect(() => ia3FromPeft(files.config, bad, llama, w)).toThrow(/k_proj.*needs \[8,1\]/);
    expect(() => ia3FromPeft(files.config, { ...files.tensors, 'base_model.model.x.lora_A.weight': { shape: [1], data: new Float32Array(1) } }, llama, w)).toThrow(/Unexpected tensor/);
    expect(tf.memory().numTensors).toBe(count);
    [s, back].forEach((st) => st.modules.forEach((m) => m.l.dispose()));
    disposeWeights(w);
  });
});
