// LoRA: init and targeting as PEFT, exact no-op at B = 0, gradients vs finite differences, merge/unmerge,
// and the PEFT adapter format for the real GPT-2 small shapes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, gpt2Forward } from '../../gpt2';
import { causalLmLoss } from '../../loss';
import { createLora, deltaWeight, disposeLora, loraConfig, loraFromPeft, loraToPeft, loraVariables, mergeLora, unmergeLora, type LoraState } from '.';
import { countLoraParams } from '../../params';
import { mulberry32, normalArray } from '../../random';
import { expectGradientMatchesFiniteDifferences, noisyWeights, relErr, tinyConfig, useCpu, values } from '../../test-utils';
import type { Gpt2Config, LoraConfig, WeightMap } from '../../types';

beforeAll(useCpu);

const c = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 8 });
const lcfg = (over: Partial<LoraConfig> = {}) => loraConfig({ r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'c_proj'], ...over });
const ids = () => tf.tensor2d([[3, 3, 5, 1, 7, 3], [2, 9, 5, 5, 0, 23]], [2, 6], 'int32');

/** Gives every B random values so the adapter changes the model. */
function randomizeB(state: LoraState, seed: number): void {
  const rng = mulberry32(seed);
  for (const m of state.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
}

const cloneWeights = (w: WeightMap): WeightMap => new Map([...w].map(([k, t]) => [k, t.clone()]));

describe('createLora', () => {
  it('wraps modules by suffix (c_proj matches attn and mlp), A ~ U(+-1/sqrt(in)), B = 0', () => {
    const big = tinyConfig({ n_embd: 64 });
    const s = createLora(big, lcfg(), 1);
    expect([...s.modules.keys()]).toEqual(['h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_proj', 'h.1.attn.c_attn', 'h.1.attn.c_proj', 'h.1.mlp.c_proj']);
    const mlpProj = s.modules.get('h.0.mlp.c_proj')!;
    expect(mlpProj.A.shape).toEqual([4, 256]); // [r, in]; mlp.c_proj is 4C -> C
    expect(mlpProj.B.shape).toEqual([64, 4]); // [out, r]
    const a = values(s.modules.get('h.0.attn.c_attn')!.A);
    const bound = 1 / Math.sqrt(64);
    const maxAbs = Math.max(...Array.from(a, Math.abs));
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.95 * bound); // 256 draws: the extremes come near the bound
    expect(values(mlpProj.B).every((v) => v === 0)).toBe(true);
    expect(s.scaling).toBe(2); // alpha / r
    expect(createLora(big, lcfg({ useRslora: true }), 1).scaling).toBe(4); // alpha / sqrt(r)
    disposeLora(s);
  });

  it('rejects bad configs and targets that match nothing', () => {
    expect(() => loraConfig({ r: 0 })).toThrow(/r must/);
    expect(() => loraConfig({ dropout: 1 })).toThrow(/dropout/);
    expect(() => createLora(c, lcfg({ targetModules: ['q_proj'] }), 1)).toThrow(/match no module/);
    expect(loraConfig()).toEqual({ r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false });
  });
});

describe('LoRA forward and gradients', () => {
  it('with B = 0 gives exactly the base logits, even with LoRA dropout in training mode', () => {
    const w = noisyWeights(c, 3, 0.2);
    const s = createLora(c, lcfg({ dropout: 0.3 }), 2);
    const x = ids();
    const base = values(gpt2Forward(c, w, x));
    expect(values(gpt2Forward(c, w, x, { adapter: s }))).toEqual(base);
    expect(values(gpt2Forward(c, w, x, { adapter: s, training: true, seed: 5 }))).toEqual(base);
    randomizeB(s, 4);
    expect(relErr(values(gpt2Forward(c, w, x, { adapter: s })), base)).toBeGreaterThan(1e-2);
    disposeLora(s);
    disposeWeights(w);
  });

  it.each(['A', 'B'] as const)('gradient wrt lora_%s (nonzero B) matches finite differences', (which) => {
    const w = noisyWeights(c, 3, 0.2);
    const s = createLora(c, lcfg(), 2);
    randomizeB(s, 4);
    const x = ids();
    const mask = tf.ones([2, 6]) as tf.Tensor2D;
    for (const path of ['h.0.attn.c_attn', 'h.1.mlp.c_proj']) {
      const v = s.modules.get(path)![which];
      expectGradientMatchesFiniteDifferences(v, () => causalLmLoss(gpt2Forward(c, w, x, { adapter: s }), x, mask));
    }
    disposeLora(s);
    disposeWeights(w);
  });
});

describe('merge and unmerge', () => {
  it('deltaWeight is (B @ A) * scaling, transposed to [in, out] for Conv1D', () => {
    const A = tf.tensor2d([[1, 2]]); // [r=1, in=2]
    const B = tf.tensor2d([[1], [0], [-1]]); // [out=3, r=1]
    // B @ A = [[1, 2], [0, 0], [-1, -2]]; times 2; Conv1D layout is its transpose.
    expect(Array.from(values(deltaWeight(A, B, 2)))).toEqual([2, 0, -2, 4, 0, -4]);
    expect(Array.from(values(deltaWeight(A, B, 2, false)))).toEqual([2, 4, 0, 0, -2, -4]);
  });

  it('merged model gives the adapter model logits; unmerge restores the base weights', async () => {
    const w = noisyWeights(c, 3, 0.2);
    const s = createLora(c, lcfg({ targetModules: ['c_attn', 'c_proj', 'c_fc'] }), 2);
    randomizeB(s, 4);
    const x = ids();
    const adapted = values(gpt2Forward(c, w, x, { adapter: s }));
    const merged = cloneWeights(w);
    await mergeLora(merged, s);
    expect(relErr(values(gpt2Forward(c, merged, x)), adapted)).toBeLessThan(1e-5);
    expect(relErr(values(merged.get('h.1.mlp.c_fc.weight')!), values(w.get('h.1.mlp.c_fc.weight')!))).toBeGreaterThan(1e-2);
    unmergeLora(merged, s);
    for (const [k, t] of w) expect(relErr(values(merged.get(k)!), values(t)), k).toBeLessThan(1e-6);
    [w, merged].forEach(disposeWeights);
    disposeLora(s);
  });

  it('refuses a merge that would give non-finite weights and leaves the model unchanged', async () => {
    const w = noisyWeights(c, 3, 0.2);
    const s = createLora(c, lcfg(), 2);
    const B = s.modules.get('h.1.attn.c_proj')!.B;
    B.assign(tf.fill(B.shape, Infinity));
    const before = values(w.get('h.1.attn.c_proj.weight')!).slice();
    const count = tf.memory().numTensors;
    await expect(mergeLora(w, s)).rejects.toThrow(/non-finite/);
    expect(values(w.get('h.1.attn.c_proj.weight')!)).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    disposeWeights(w);
    disposeLora(s);
  });
});

describe('PEFT format', () => {
  const gpt2Small: Gpt2Config = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };

  it('writes GPT-2 small adapter keys and shapes as PEFT does (r=8, c_attn)', async () => {
    const s = createLora(gpt2Small, loraConfig(), 0);
    const { config, tensors } = await loraToPeft(s, { baseModel: 'openai-community/gpt2' });
    const expected = Array.from({ length: 12 }, (_, i) => [
      `base_model.model.transformer.h.${i}.attn.c_attn.lora_A.weight`,
      `base_model.model.transformer.h.${i}.attn.c_attn.lora_B.weight`,
    ]).flat();
    expect(Object.keys(tensors).sort()).toEqual(expected.sort());
    expect(tensors['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight'].shape).toEqual([8, 768]);
    expect(tensors['base_model.model.transformer.h.11.attn.c_attn.lora_B.weight'].shape).toEqual([2304, 8]);
    expect(tensors['base_model.model.transformer.h.11.attn.c_attn.lora_B.weight'].data.length).toBe(2304 * 8);
    expect(config).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, lora_alpha: 16, lora_dropout: 0.05, target_modules: ['c_attn'],
      fan_in_fan_out: true, bias: 'none', base_model_name_or_path: 'openai-community/gpt2', use_rslora: false,
      inference_mode: true, init_lora_weights: true, modules_to_save: null, layers_to_transform: null, revision: null, use_dora: false,
    });
    disposeLora(s);
  });

  it('loads back what it saved, and rejects adapters that do not fit', async () => {
    const s = createLora(c, lcfg({ useRslora: true }), 2);
    randomizeB(s, 4);
    const { config, tensors } = await loraToPeft(s, { baseModel: 'x' });
    const back = loraFromPeft(config, tensors, c);
    expect(back.config).toEqual(s.config);
    expect(back.scaling).toBe(s.scaling);
    for (const [p, m] of s.modules) expect(values(back.modules.get(p)!.B)).toEqual(values(m.B));
    const count = tf.memory().numTensors;
    expect(() => loraFromPeft(config, tensors, tinyConfig({ n_embd: 32 }))).toThrow(/adapter is \[16 -> 48\]/);
    const partial = { ...tensors };
    delete partial['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight'];
    expect(() => loraFromPeft(config, partial)).toThrow(/lora_B missing/);
    expect(() => loraFromPeft({ ...config, use_dora: true }, tensors)).toThrow(/DoRA/);
    expect(tf.memory().numTensors).toBe(count); // failed loads leak nothing
    [s, back].forEach(disposeLora);
  });
  it("reads PEFT's layers_to_transform as an int or a list, and writes the list back", async () => {
    const s = createLora(c, lcfg({ layersToTransform: [1] }), 2);
    expect([...s.modules.keys()]).toEqual(['h.1.attn.c_attn', 'h.1.attn.c_proj', 'h.1.mlp.c_proj']);
    const { config, tensors } = await loraToPeft(s, { baseModel: 'x' });
    expect(config.layers_to_transform).toEqual([1]);
    const fromInt = loraFromPeft({ ...config, layers_to_transform: 1 }, tensors, c);
    expect(fromInt.config.layersToTransform).toEqual([1]);
    expect(() => createLora(c, lcfg({ layersToTransform: [5] }), 2)).toThrow(/in layers 5 match no module/);
    [s, fromInt].forEach(disposeLora);
  });
});

describe('rank_pattern and alpha_pattern', () => {
  it("give modules their own rank and scaling as PEFT's get_pattern_key picks them, saved and read back", async () => {
    const s = createLora(c, lcfg({ targetModules: ['c_attn', 'c_proj', 'c_fc'], rankPattern: { c_fc: 2, 'h\\.1\\.attn\\.c_attn': 6 }, alphaPattern: { 'attn.c_proj': 2 } }), 2);
    expect(s.modules.get('h.0.mlp.c_fc')!.A.shape).toEqual([2, 16]);
    expect(s.modules.get('h.1.attn.c_attn')!.A.shape).toEqual([6, 16]);
    expect(s.modules.get('h.0.attn.c_attn')!.A.shape).toEqual([4, 16]);
    expect(s.modules.get('h.0.mlp.c_fc')!.scaling).toBe(8 / 2);
    expect(s.modules.get('h.0.attn.c_proj')!.scaling).toBe(2 / 4); // alpha from the pattern, r the default
    expect(s.modules.get('h.0.mlp.c_proj')!.scaling).toBe(8 / 4); // "attn.c_proj" must end the path after a dot
    expect(countLoraParams(c, s.config)).toBe(loraVariables(s).reduce((n, v) => n + v.size, 0));
    const { config, tensors } = await loraToPeft(s, { baseModel: 'x' });
    expect(config).toMatchObject({ rank_pattern: { c_fc: 2, 'h\\.1\\.attn\\.c_attn': 6 }, alpha_pattern: { 'attn.c_proj': 2 } });
    const back = loraFromPeft(config, tensors, c);
    expect(back.modules.get('h.1.attn.c_attn')!.scaling).toBe(8 / 6);
    expect(() => loraFromPeft({ ...config, rank_pattern: { c_fc: 3 } }, tensors, c)).toThrow(/do not fit r=3/);
    expect(() => loraFromPeft({ ...config, alpha_pattern: { c_fc: -1 } }, tensors, c)).toThrow(/alpha_pattern\["c_fc"\] must be a positive number/);
    [s, back].forEach(disposeLora);
  });
});
