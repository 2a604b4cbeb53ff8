// The Llama family in the engine: grouped-query attention equals multi-head attention with repeated k/v heads,
// gradients match finite differences, LoRA uses nn.Linear layout in PEFT's Llama keys, merge/unmerge, training
// (LoRA and full) with flat tensor counts, generation, and a full model folder that loads back.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFolderBundle } from '../export/bundle';
import { generate } from './generate';
import { loadModelFolder } from './loader';
import { createLora, disposeLora, loraFromPeft, loraToPeft, mergeLora, unmergeLora, type LoraState } from './peft/lora';
import { causalLmLoss } from './loss';
import { disposeWeights, forward, initWeights } from './model';
import { parseModelConfig } from './model-config';
import { countLoraParams, countParams } from './params';
import { mulberry32, normalArray } from './random';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { byteTokenizerJson, mapSource } from './test-fixtures';
import { expectGradientMatchesFiniteDifferences, randomExamples, relErr, tinyTrainConfig, useCpu, values } from './test-utils';
import { Trainer } from './trainer';
import type { LlamaConfig, StepMetrics, WeightMap } from './types';

beforeAll(useCpu);

const gqa = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24 })) as LlamaConfig;
const qwen = parseModelConfig(tinyRawConfig('qwen2', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24, tie_word_embeddings: true })) as LlamaConfig;

function weightsOf(c: LlamaConfig, seed: number): WeightMap {
  return new Map(Object.entries(tinyCheckpointWeights(c, seed)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
}

const ids = () => tf.tensor2d([[1, 5, 3, 19, 0, 7], [2, 2, 2, 11, 4, 6]], [2, 6], 'int32');

function randomizeB(s: LoraState, seed: number): void {
  const rng = mulberry32(seed);
  for (const m of s.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
}

describe('llama forward', () => {
  it('GQA equals multi-head attention whose k/v heads are repeated per group (HF repeat_kv)', () => {
    const w = weightsOf(gqa, 2);
    const mha = { ...gqa, num_key_value_heads: gqa.num_attention_heads };
    const D = gqa.head_dim, rep = gqa.num_attention_heads / gqa.num_key_value_heads;
    const wide = new Map(w);
    for (let i = 0; i < gqa.num_hidden_layers; i++) {
      for (const p of ['k_proj', 'v_proj']) {
        const key = `model.layers.${i}.self_attn.${p}.weight`;
        const heads = tf.split(w.get(key)!, gqa.num_key_value_heads, 0); // each [D, C]
        wide.set(key, tf.concat(heads.flatMap((h) => Array(rep).fill(h)), 0)); // [H*D, C]
        expect(wide.get(key)!.shape).toEqual([gqa.num_attention_heads * D, gqa.hidden_size]);
      }
    }
    expect(relErr(values(forward(mha, wide, ids())), values(forward(gqa, w, ids())))).toBeLessThan(1e-6);
  });

  it('is causal and applies dropout only when training, reproducibly per seed', () => {
    const w = weightsOf(qwen, 3);
    const a = values(forward(qwen, w, tf.tensor2d([[1, 5, 3, 9]], [1, 4], 'int32')));
    const b = values(forward(qwen, w, tf.tensor2d([[1, 5, 3, 8]], [1, 4], 'int32')));
    expect(relErr(b.slice(0, 3 * 40), a.slice(0, 3 * 40))).toBe(0);
    const run = (o: object) => values(forward(qwen, w, ids(), o));
    expect(run({ dropout: 0.5 })).toEqual(run({}));
    expect(run({ dropout: 0.5, training: true, seed: 3 })).toEqual(run({ dropout: 0.5, training: true, seed: 3 }));
    expect(run({ dropout: 0.5, training: true, seed: 3 })).not.toEqual(run({}));
    disposeWeights(w);
  });

  const keys = ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.1.self_attn.k_proj.weight', 'model.layers.0.self_attn.q_proj.bias', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight'];
  it.each(keys)('gradient of %s matches finite differences (qwen2, tied)', (key) => {
    const w = weightsOf(qwen, 11);
    const mask = tf.tensor2d([[1, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1]], [2, 6]);
    const v = tf.variable(w.get(key)!.clone());
    const weights = new Map(w).set(key, v);
    const x = ids();
    expectGradientMatchesFiniteDifferences(v, () => causalLmLoss(forward(qwen, weights, x), x, mask));
    tf.dispose([v, mask, x]);
    disposeWeights(w);
  });
});

describe('llama LoRA', () => {
  it('writes PEFT Llama keys [r, in] / [out, r] with fan_in_fan_out false, and loads them back', async () => {
    const s = createLora(gqa, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'k_proj', 'down_proj'], useRslora: false }, 1);
    randomizeB(s, 2);
    const { config, tensors } = await loraToPeft(s, { baseModel: 'tiny-llama' });
    expect(config).toMatchObject({ fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'down_proj'] });
    expect(tensors['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'].shape).toEqual([4, 16]);
    expect(tensors['base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight'].shape).toEqual([8, 4]); // 2 kv heads x head_dim 4
    expect(tensors['base_model.model.model.layers.1.mlp.down_proj.lora_A.weight'].shape).toEqual([4, 24]);
    expect(Object.keys(tensors)).toHaveLength(2 * 3 * 2);
    const back = loraFromPeft(config, tensors, gqa);
    expect(back.fanInFanOut).toBe(false);
    for (const [p, m] of s.modules) expect(values(back.modules.get(p)!.B)).toEqual(values(m.B));
    expect(() => loraFromPeft({ ...config, fan_in_fan_out: true }, tensors, gqa)).toThrow(/fan_in_fan_out=true/);
    [s, back].forEach(disposeLora);
  });

  it('merged weights give the adapted logits; unmerge restores the base', async () => {
    const w = weightsOf(gqa, 3);
    const s = createLora(gqa, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], useRslora: false }, 2);
    randomizeB(s, 4);
    const adapted = values(forward(gqa, w, ids(), { adapter: s }));
    const merged = new Map([...w].map(([k, t]) => [k, t.clone()]));
    await mergeLora(merged, s);
    expect(relErr(values(forward(gqa, merged, ids())), adapted)).toBeLessThan(1e-5);
    expect(relErr(adapted, values(forward(gqa, w, ids())))).toBeGreaterThan(1e-3);
    unmergeLora(merged, s);
    for (const [k, t] of w) expect(relErr(values(merged.get(k)!), values(t)), k).toBeLessThan(1e-6);
    [w, merged].forEach(disposeWeights);
    disposeLora(s);
  });
});

describe('llama training, generation and export', () => {
  it.each(['lora', 'full'] as const)('%s training more than halves the loss on one batch with a flat tensor count', async (method) => {
    const w = weightsOf(gqa, 1);
    const data = randomExamples(2, 12, gqa.vocab_size, 3);
    const lora = { r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], useRslora: false };
    const counts: number[] = [];
    const steps: StepMetrics[] = [];
    const cfg = tinyTrainConfig({ method, steps: 60, lr: 1e-2, lora, dropout: 0.05 });
    const trainer = new Trainer({ config: gqa, weights: w }, data, [], cfg, { onStep: (m) => (steps.push(m), counts.push(tf.memory().numTensors)) });
    const result = await trainer.run();
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.5); // LoRA on a frozen random base learns slower than full
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(trainer.trainableParamCount()).toBe(method === 'lora' ? countLoraParams(gqa, lora) : countParams(gqa));
    const exported = await trainer.exportWeights();
    expect(Object.keys(exported)).toContain('lm_head.weight');
    trainer.dispose();
    disposeWeights(w);
  });

  it('greedy generation is argmax of the forward pass', async () => {
    const w = initWeights(gqa, 4);
    const out = await generate(gqa, w, undefined, [3, 4], { maxNewTokens: 3, temperature: 0 });
    const seq = [3, 4];
    for (const next of out) {
      const row = values(forward(gqa, w, tf.tensor2d([seq], [1, seq.length], 'int32'))).slice((seq.length - 1) * 40);
      expect(next).toBe(row.indexOf(Math.max(...row)));
      seq.push(next);
    }
    disposeWeights(w);
  });

  it('exports a model folder (config.json, HF keys) that loads back with the same logits', async () => {
    for (const c of [gqa, qwen]) {
      const host = tinyCheckpointWeights(c, 6);
      const run = { baseModel: 'tiny', method: 'full' as const, steps: 1, firstLoss: 1, lastLoss: 1, trainExamples: 1, tokens: 1, backend: 'cpu', hyperparameters: {}, dataFile: 'x', date: '2026-11-28' };
      const tok = new TextEncoder().encode(JSON.stringify(byteTokenizerJson()));
      const bundle = modelFolderBundle('tiny-ft', c, host, { 'tokenizer.json': tok }, run);
      const cfg = JSON.parse(new TextDecoder().decode(bundle.files['config.json']));
      expect(cfg.architectures).toEqual([c.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM']);
      expect(cfg.qkv_bias).toBeUndefined();
      const m = await loadModelFolder('tiny-ft', mapSource(new Map(Object.entries(bundle.files))));
      const w = new Map(Object.entries(host).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
      expect(relErr(values(forward(m.config, m.weights, ids())), values(forward(c, w, ids())))).toBe(0);
      [m.weights, w].forEach(disposeWeights);
    }
  });
});
