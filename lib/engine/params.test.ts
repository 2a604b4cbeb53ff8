// Parameter counts against published numbers: GPT-2 small has 124,439,808 parameters, and PEFT reports
// 294,912 trainable parameters for LoRA r=8 on c_attn.
import { describe, expect, it } from 'vitest';
import { countLoraParams, countParams, gpt2LinearModules, matchesTarget } from './params';
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
