// Parameter counts against published numbers: GPT-2 small has 124,439,808 parameters, and PEFT reports
// 294,912 trainable parameters for LoRA r=8 on c_attn.
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './model-config';
import { countLoraParams, countParams, gpt2LinearModules, linearModules, loraTargetPresets, matchesTarget, paramShapes } from './params';
import type { Gpt2Config } from './types';

const gpt2Small: Gpt2Config = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };

describe('params', () => {
  it('counts GPT-2 small', () => {
    expect(countParams(gpt2Small)).toBe(124_439_808);
  });

  it('counts LoRA parameters as PEFT prints them', () => {
    expect(countLoraParams(gpt2Small, { r: 8, targetModules: ['c_attn'] })).toBe(294_912);
    // c_proj matches attn.c_proj [768, 768] and mlp.c_proj [3072, 768]: 12 * 8 * (1536 + 3840).
    expect(countLoraParams(gpt2Small, { r: 8, targetModules: ['c_proj'] })).toBe(12 * 8 * (1536 + 3840));
  });

  it('lists linear modules with [in, out] sizes and matches targets by suffix', () => {
    expect(gpt2LinearModules(gpt2Small).get('h.3.mlp.c_fc')).toEqual({ fanIn: 768, fanOut: 3072 });
    expect(matchesTarget('h.0.attn.c_proj', ['c_proj'])).toBe(true);
    expect(matchesTarget('h.0.attn.c_proj', ['proj'])).toBe(false); // whole name parts only
  });
});

describe('params of the Llama family', () => {
  const tinyLlama = parseModelConfig({
    model_type: 'llama', vocab_size: 32000, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22,
    num_attention_heads: 32, num_key_value_heads: 4, max_position_embeddings: 2048,
  });
  const qwen05 = parseModelConfig({
    model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
    num_attention_heads: 14, num_key_value_heads: 2, tie_word_embeddings: true, max_position_embeddings: 32768,
  });

  it.each([
    ['TinyLlama-1.1B (GQA, untied)', tinyLlama, 1_100_048_384],
    ['Qwen2-0.5B (q/k/v bias, tied)', qwen05, 494_032_768],
    ['distilgpt2', parseModelConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 6, n_head: 12 }), 81_912_576],
    ['gpt2-xl', parseModelConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 1600, n_layer: 48, n_head: 25 }), 1_557_611_200],
  ])('counts %s as published', (_name, config, n) => {
    expect(countParams(config)).toBe(n);
  });

  it('lists Linear modules [out, in] as in/out sizes and offers target presets', () => {
    const lin = linearModules(tinyLlama);
    expect(lin.get('model.layers.0.self_attn.k_proj')).toEqual({ fanIn: 2048, fanOut: 256 });
    expect(lin.get('model.layers.21.mlp.down_proj')).toEqual({ fanIn: 5632, fanOut: 2048 });
    expect(lin.size).toBe(22 * 7);
    expect(loraTargetPresets(tinyLlama).presets.attention).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
    expect(loraTargetPresets(gpt2Small).presets['all-linear']).toEqual(['c_attn', 'c_proj', 'c_fc']);
    // PEFT prints 1,126,400 trainable parameters for TinyLlama with r=8 on q_proj, v_proj.
    expect(countLoraParams(tinyLlama, { r: 8, targetModules: ['q_proj', 'v_proj'] })).toBe(1_126_400);
    expect(paramShapes(qwen05).get('model.layers.0.self_attn.q_proj.bias')).toEqual([896]);
    expect(paramShapes(qwen05).has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(paramShapes(qwen05).has('lm_head.weight')).toBe(false);
  });
});
