// Parses a Hugging Face config.json into the engine's ModelConfig: picks the architecture from model_type,
// fills Hugging Face's defaults and refuses what the engine cannot run exactly, with a reason.
import { GPT2_ACTIVATIONS } from './gpt2';
import { checkAllocatable, checkSizeFields } from './config-limits';
import { ModelLoadError } from './model-load-error';
import { parseRope } from './rope';
import type { Gpt2Config, LlamaConfig, LlamaModelType, ModelConfig } from './types';

export { ModelLoadError } from './model-load-error';

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'qwen2', 'mistral'] as const;

type Raw = Record<string, unknown>;

function positiveInts(raw: Raw, keys: string[]): void {
  for (const key of keys) {
    if (!Number.isInteger(raw[key]) || (raw[key] as number) <= 0) throw new ModelLoadError(`config.json: ${key} must be a positive integer`);
  }
}

export function parseGpt2Config(raw: Raw): Gpt2Config {
  positiveInts(raw, ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head']);
  if ((raw.n_embd as number) % (raw.n_head as number) !== 0) throw new ModelLoadError('config.json: n_embd must be divisible by n_head');
  if (raw.n_inner !== undefined && raw.n_inner !== null) positiveInts(raw, ['n_inner']);
  const act = (raw.activation_function as string | undefined) ?? 'gelu_new';
  if (!GPT2_ACTIVATIONS.includes(act)) throw new ModelLoadError(`config.json: activation_function "${act}" is not supported (${GPT2_ACTIVATIONS.join(', ')})`);
  if (raw.reorder_and_upcast_attn) throw new ModelLoadError('config.json: reorder_and_upcast_attn is not supported');
  return { ...raw, model_type: 'gpt2', layer_norm_epsilon: (raw.layer_norm_epsilon as number) ?? 1e-5, activation_function: act } as Gpt2Config;
}

/** Sizes of the attention heads: GQA needs num_attention_heads divisible by num_key_value_heads. */
function heads(raw: Raw): { kv: number; headDim: number } {
  const H = raw.num_attention_heads as number;
  const kv = (raw.num_key_value_heads as number | null | undefined) ?? H;
  if (!Number.isInteger(kv) || kv <= 0 || H % kv !== 0) throw new ModelLoadError(`config.json: num_key_value_heads ${kv} must divide num_attention_heads ${H}`);
  const explicit = raw.head_dim as number | null | undefined;
  if (explicit !== undefined && explicit !== null && (!Number.isInteger(explicit) || explicit <= 0)) throw new ModelLoadError('config.json: head_dim must be a positive integer');
  if (explicit == null && (raw.hidden_size as number) % H !== 0) throw new ModelLoadError('config.json: hidden_size must be divisible by num_attention_heads');
  const headDim = explicit ?? (raw.hidden_size as number) / H;
  if (headDim % 2 !== 0) throw new ModelLoadError(`config.json: head_dim ${headDim} must be even for rotary embeddings`);
  return { kv, headDim };
}

export function parseLlamaConfig(raw: Raw): LlamaConfig {
  const type = raw.model_type as LlamaModelType;
  positiveInts(raw, ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads']);
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ModelLoadError(`config.json: hidden_act "${String(act)}" is not supported (SwiGLU with silu only)`);
  const { kv, headDim } = heads(raw);
  const rope = parseRope(raw);
  let maxPos = (raw.max_position_embeddings as number | undefined) ?? 2048;
  // A sliding window only changes attention for longer sequences; capping the length keeps results exact.
  const window = raw.sliding_window as number | null | undefined;
  const slides = type === 'mistral' || (type === 'qwen2' && raw.use_sliding_window === true);
  if (slides && typeof window === 'number' && window > 0) maxPos = Math.min(maxPos, window);
  return {
    ...raw, model_type: type, num_key_value_heads: kv, head_dim: headDim, max_position_embeddings: maxPos,
    rms_norm_eps: (raw.rms_norm_eps as number | undefined) ?? 1e-6,
    rope_theta: rope.theta,
    rope_scaling: rope.scaling,
    attention_bias: type !== 'qwen2' && raw.attention_bias === true,
    qkv_bias: type === 'qwen2', // Qwen2Attention: bias on q, k, v always, never on o
    mlp_bias: raw.mlp_bias === true,
    tie_word_embeddings: raw.tie_word_embeddings === true, // LlamaConfig, Qwen2Config, MistralConfig default to false
  } as LlamaConfig;
}

/** Dispatches on model_type; unknown ones are refused with the list of supported types, absurd sizes by field. */
export function parseModelConfig(raw: Raw): ModelConfig {
  const type = raw.model_type;
  checkSizeFields(raw);
  const config = type === 'gpt2' ? parseGpt2Config(raw) : type === 'llama' || type === 'qwen2' || type === 'mistral' ? parseLlamaConfig(raw) : null;
  if (config) {
    checkAllocatable(config);
    return config;
  }
  throw new ModelLoadError(`model_type "${String(type)}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
}
