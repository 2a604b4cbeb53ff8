// Absurd config.json sizes are refused by field before any shape is computed, and a config whose float32 weights
// could not be allocated is refused with the tensor or total named; real configs (GPT-2, Llama-3-8B shapes) pass.
import { describe, expect, it } from 'vitest';
import { MAX_TENSOR_BYTES, SIZE_LIMITS } from './config-limits';
import { ModelLoadError, parseModelConfig } from './model-config';

const gpt2 = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 };
const llama = { model_type: 'llama', vocab_size: 128256, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 131072 };

describe('config size limits', () => {
  it('accepts real configs', () => {
    expect(() => parseModelConfig(gpt2)).not.toThrow();
    expect(() => parseModelConfig(llama)).not.toThrow();
  });

  it.each([
    [gpt2, 'n_layer', 1e9], [gpt2, 'n_embd', 1_048_576], [gpt2, 'vocab_size', 1e12], [gpt2, 'n_positions', 1e9],
    [llama, 'num_hidden_layers', 1e9], [llama, 'hidden_size', 1e7], [llama, 'intermediate_size', 1e9], [llama, 'vocab_size', 1e8],
  ] as const)('refuses %s.%s = %s by name', (base, field, value) => {
    expect(() => parseModelConfig({ ...base, [field]: value })).toThrow(new ModelLoadError(
      `config.json: ${field} is ${value}, above the largest this studio accepts (${SIZE_LIMITS[field].toLocaleString('en-US')}); check the file`));
  });

  it('refuses a config whose largest tensor cannot be one array', () => {
    // 2M x 1024 floats = 8 GiB for the embedding: every field is within its limit, the product is not.
    expect(() => parseModelConfig({ ...gpt2, vocab_size: 2_097_152, n_embd: 1024, n_head: 16 })).toThrow(/wte\.weight 8\.00 GiB in float32, more than one array can hold \(4\.00 GiB\)/);
    expect(MAX_TENSOR_BYTES).toBe(2 ** 32);
  });

  it('refuses a config whose weights all together cannot be allocated', () => {
    expect(() => parseModelConfig({ ...llama, num_hidden_layers: 1024, intermediate_size: 60_000, hidden_size: 8192, num_attention_heads: 64 })).toThrow(/of float32 weights, more than can be allocated \(256\.00 GiB\); check n_layer/);
  });
});
