// The model dimensions prompt learning and bottleneck adapters size their tensors by, for both families (pure, no
// tfjs): hidden size, blocks, attention heads, key/value heads and head size, where a block's weights and the
// input embeddings live.
import { isGpt2, type ModelConfig } from '../types';

export interface ModelDims {
  hidden: number; // C, the embedding width
  layers: number;
  heads: number; // query heads
  kvHeads: number; // key/value heads (GPT-2: the query heads; GQA Llama: fewer)
  headDim: number;
  blockPrefix: string; // block i's weights are `${blockPrefix}${i}.`: 'h.' or 'model.layers.'
  peftRoot: string; // prefix of full module names in transformers: 'transformer.' (GPT-2) or ''
  embedKey: string; // the input token embeddings [V, C]
}

export function modelDims(c: ModelConfig): ModelDims {
  if (isGpt2(c)) return { hidden: c.n_embd, layers: c.n_layer, heads: c.n_head, kvHeads: c.n_head, headDim: c.n_embd / c.n_head, blockPrefix: 'h.', peftRoot: 'transformer.', embedKey: 'wte.weight' };
  return { hidden: c.hidden_size, layers: c.num_hidden_layers, heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: c.head_dim, blockPrefix: 'model.layers.', peftRoot: '', embedKey: 'model.embed_tokens.weight' };
}

/** A positive integer field of adapter_config.json, or a clear error naming it. */
export function configInt(raw: Record<string, unknown>, key: string, file = 'adapter_config.json'): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${file}: ${key} must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** Throws when a config field disagrees with the model it is loaded onto. */
export function expectField(raw: Record<string, unknown>, key: string, want: number, what: string): void {
  if (raw[key] !== undefined && raw[key] !== null && raw[key] !== want) {
    throw new Error(`adapter_config.json: ${key} is ${JSON.stringify(raw[key])} but this model's ${what} is ${want}: the adapter was made for another model`);
  }
}
