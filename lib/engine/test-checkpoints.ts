// Tiny random checkpoints in Hugging Face layout for every supported family (GPT-2, llama, qwen2, mistral):
// config.json, safetensors (F32/F16/BF16, single file or sharded with an index), tokenizer. For tests and scripts.
import { parseModelConfig } from './model-config';
import { paramShapes } from './params';
import { mulberry32, normalArray } from './random';
import { writeSafetensors } from './safetensors';
import { byteTokenizerJson } from './test-fixtures';
import { isGpt2, type HostTensor, type ModelConfig } from './types';

export type Family = 'gpt2' | 'llama' | 'qwen2' | 'mistral';

/** A config.json as the Hub would hold it (raw: HF keys only); `over` replaces or adds keys. */
export function tinyRawConfig(family: Family, over: Record<string, unknown> = {}): Record<string, unknown> {
  const ids = { vocab_size: 259, bos_token_id: 258, eos_token_id: 258 };
  if (family === 'gpt2') {
    return { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', ...ids, ...over };
  }
  const arch = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' }[family];
  return {
    model_type: family, architectures: [arch], hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 10000,
    hidden_act: 'silu', tie_word_embeddings: false, ...ids, ...over,
  };
}

/** Seeded weights with every entry nonzero (norm weights near 1, biases small), so each term matters. */
export function tinyCheckpointWeights(config: ModelConfig, seed: number, std = 0.2): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  const out: Record<string, HostTensor> = {};
  for (const [key, shape] of paramShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = normalArray(n, std, rng);
    if (/(norm|ln_\w+)\.weight$/.test(key)) for (let i = 0; i < n; i++) data[i] += 1;
    out[key] = { shape, data };
  }
  return out;
}

/** Our weight keys to the keys a Hugging Face save_pretrained writes (GPT2LMHeadModel adds `transformer.`). */
export function checkpointKey(config: ModelConfig, key: string): string {
  return isGpt2(config) ? `transformer.${key}` : key;
}

export interface CheckpointOptions {
  dtype?: 'F32' | 'F16' | 'BF16';
  shards?: number; // > 1 writes model-0000i-of-0000n.safetensors and model.safetensors.index.json
  tokenizer?: { json: Uint8Array; config: Uint8Array }; // default: a 259-token byte-level BPE
}

function split<T>(items: T[], n: number): T[][] {
  const size = Math.ceil(items.length / n);
  return Array.from({ length: n }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** Safetensors file(s) for `weights`, keyed as save_pretrained keys them. */
function weightFiles(config: ModelConfig, weights: Record<string, HostTensor>, o: CheckpointOptions): Map<string, Uint8Array> {
  const entries = Object.entries(weights).map(([k, t]) => [checkpointKey(config, k), t] as const);
  const write = (part: (typeof entries)[number][]) => writeSafetensors(Object.fromEntries(part), { dtype: o.dtype ?? 'F32', metadata: { format: 'pt' } });
  const n = o.shards ?? 1;
  if (n <= 1) return new Map([['model.safetensors', write(entries)]]);
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  split(entries, n).forEach((part, i) => {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
    files.set(name, write(part));
    for (const [k] of part) weightMap[k] = name;
  });
  const index = { metadata: { total_size: [...files.values()].reduce((a, b) => a + b.length, 0) }, weight_map: weightMap };
  files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
  return files;
}

/** A whole model folder in memory: config.json, weights, tokenizer files, generation_config.json. */
export function checkpointFolder(raw: Record<string, unknown>, weights: Record<string, HostTensor>, o: CheckpointOptions = {}): Map<string, Uint8Array> {
  const config = parseModelConfig(raw);
  const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x, null, 2));
  const tok = o.tokenizer ?? { json: enc(byteTokenizerJson()), config: enc({ eos_token: '<|endoftext|>', bos_token: '<|endoftext|>', tokenizer_class: 'PreTrainedTokenizerFast' }) };
  return new Map([
    ['config.json', enc({ ...raw, torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[o.dtype ?? 'F32'] })],
    ...weightFiles(config, weights, o),
    ['tokenizer.json', tok.json],
    ['tokenizer_config.json', tok.config],
    ['generation_config.json', enc({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id })],
  ]);
}

/** The table tests run over: one tiny folder per interesting variant of each family. */
export const TINY_VARIANTS: { name: string; family: Family; over: Record<string, unknown> }[] = [
  { name: 'gpt2', family: 'gpt2', over: {} },
  { name: 'gpt2 n_inner + gelu', family: 'gpt2', over: { n_inner: 24, activation_function: 'gelu' } },
  { name: 'gpt2 relu, scale_attn_by_inverse_layer_idx', family: 'gpt2', over: { activation_function: 'relu', scale_attn_by_inverse_layer_idx: true } },
  { name: 'llama GQA untied', family: 'llama', over: {} },
  { name: 'llama MHA tied, explicit head_dim, attention+mlp bias', family: 'llama', over: { num_key_value_heads: 4, tie_word_embeddings: true, head_dim: 6, attention_bias: true, mlp_bias: true } },
  { name: 'qwen2 q/k/v bias, rope_parameters', family: 'qwen2', over: { rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 1000000 } } },
  { name: 'mistral', family: 'mistral', over: { num_key_value_heads: 1, sliding_window: 4096 } },
  // head_dim 16 and a short original context put frequencies in all three llama3 bands (kept, smoothed, divided).
  { name: 'llama3 RoPE scaling', family: 'llama', over: { num_attention_heads: 2, num_key_value_heads: 1, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } } },
  { name: 'llama linear RoPE scaling', family: 'llama', over: { rope_scaling: { type: 'linear', factor: 4 } } },
];
