// stepFlops against counts worked by hand for a tiny GPT-2 and a tiny Llama (the GPU benchmark's share of peak
// and GFLOP/s rest on it).
import { describe, expect, it } from 'vitest';
import { stepFlops } from './bench';
import { parseModelConfig } from './model-config';

const lora = { r: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };

describe('stepFlops', () => {
  // V 64, C 32, SwiGLU 48, 2 layers, 4 heads of 8, 2 KV heads; B 1, T 16 (N 16).
  const llama = parseModelConfig({ model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, tie_word_embeddings: true });
  // Per layer: q 32x32 + k 32x16 + v 32x16 + o 32x32 + gate, up, down 32x48 each = 7680; two layers 15360.
  // Head 64 x 32 = 2048. Attention per token: 4 * T * (4 heads x 8) * 2 layers = 4096.
  const fwd = 16 * (2 * (15360 + 2048) + 4096); // 622,592

  it('counts a Llama-shaped full fine-tuning step as three forwards', () => {
    expect(stepFlops(llama, 'full', 1, 16, lora)).toBe(3 * fwd);
  });

  it('counts LoRA: input gradients only through frozen weights, both attention inputs, adapters three times', () => {
    const adapters = 2 * 8 * ((32 + 32) + (32 + 16) + (32 + 16) + (32 + 32)) * 2; // 2 r (in + out) per module, 2 layers
    expect(stepFlops(llama, 'lora', 1, 16, lora)).toBe(16 * (2 * 2 * (15360 + 2048) + 3 * 4096 + 3 * adapters));
  });

  it('counts GPT-2 as before: 12 C^2 per layer and token, tied head, 4 T C attention', () => {
    const gpt2 = parseModelConfig({ model_type: 'gpt2', vocab_size: 100, n_positions: 64, n_embd: 16, n_layer: 3, n_head: 2 });
    const linear = 3 * (16 * 48 + 16 * 16 + 16 * 64 + 64 * 16); // c_attn, attn.c_proj, c_fc, mlp.c_proj
    expect(stepFlops(gpt2, 'full', 2, 8, lora)).toBe(3 * 16 * (2 * (linear + 100 * 16) + 4 * 8 * 16 * 3));
  });
});
