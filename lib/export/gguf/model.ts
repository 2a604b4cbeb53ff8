// A merged model as llama.cpp's converter (convert_hf_to_gguf.py) lays it out: tensor names, the layout changes
// (GPT-2's Conv1D weights transposed to [out, in], its fused c_attn kept as attn_qkv; Llama's q/k rows permuted
// from rotate-half to interleaved RoPE pairs), which tensors stay F32, and the architecture's metadata keys.
import { inverseFrequencies } from '../../engine/rope';
import { isGpt2, maxPositions, type Gpt2Config, type HostTensor, type LlamaConfig, type ModelConfig } from '../../engine/types';
import { GGML_TYPE, Q8_0_BLOCK, type GgmlType } from './quant';
import type { GgufWriter } from './writer';

export type GgufDtype = 'f32' | 'f16' | 'bf16' | 'q8_0';

/** llama_ftype (general.file_type) and the ggml type of the file's 2-D weights. */
export const FILE_TYPES: Record<GgufDtype, { fileType: number; type: GgmlType }> = {
  f32: { fileType: 0, type: GGML_TYPE.F32 },
  f16: { fileType: 1, type: GGML_TYPE.F16 },
  q8_0: { fileType: 7, type: GGML_TYPE.Q8_0 },
  bf16: { fileType: 32, type: GGML_TYPE.BF16 },
};

/** llama.cpp's architecture name for a model_type (Mistral runs as llama, as the converter maps it). */
export function ggufArch(config: ModelConfig): 'gpt2' | 'llama' | 'qwen2' {
  if (isGpt2(config)) return 'gpt2';
  return config.model_type === 'qwen2' ? 'qwen2' : 'llama';
}

/** What llama.cpp cannot run exactly as our engine does: refused with the reason rather than exported wrong. */
export function ggufUnsupported(config: ModelConfig): string | null {
  if (isGpt2(config)) {
    const act = config.activation_function ?? 'gelu_new';
    if (!['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'].includes(act)) return `llama.cpp's gpt2 uses the tanh GELU; this model's activation_function is "${act}"`;
    if (config.scale_attn_by_inverse_layer_idx) return "llama.cpp's gpt2 has no scale_attn_by_inverse_layer_idx";
    if (config.scale_attn_weights === false) return "llama.cpp's gpt2 always scales attention by 1/sqrt(head_dim) (scale_attn_weights is false here)";
  }
  return null;
}

/** Rows of a [n_head * D, ...] q/k tensor reordered as the converter's LlamaModel.permute: per head, HF's halves
 * (x[j], x[j + D/2]) become interleaved pairs (x[2j], x[2j + 1]). Works for weights and 1-D biases alike. */
export function permuteQk(t: HostTensor, nHead: number): HostTensor {
  const rows = t.shape[0];
  const cols = t.shape.length > 1 ? t.shape[1] : 1;
  const D = rows / nHead;
  const out = new Float32Array(t.data.length);
  for (let h = 0; h < nHead; h++) {
    for (let j = 0; j < D / 2; j++) {
      for (let s = 0; s < 2; s++) {
        const from = h * D + s * (D / 2) + j;
        const to = h * D + j * 2 + s;
        out.set(t.data.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return { shape: [...t.shape], data: out };
}

export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

const GPT2_BLOCK: Record<string, string> = {
  'ln_1': 'attn_norm', 'attn.c_attn': 'attn_qkv', 'attn.c_proj': 'attn_output', 'ln_2': 'ffn_norm', 'mlp.c_fc': 'ffn_up', 'mlp.c_proj': 'ffn_down',
};
const LLAMA_BLOCK: Record<string, string> = {
  'input_layernorm': 'attn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output', 'post_attention_layernorm': 'ffn_norm', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
};
const TOP: Record<string, string> = {
  'wte.weight': 'token_embd.weight', 'wpe.weight': 'position_embd.weight', 'ln_f.weight': 'output_norm.weight', 'ln_f.bias': 'output_norm.bias',
  'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight',
};

/** llama.cpp's name for one of our weight keys (e.g. 'h.0.attn.c_attn.weight' -> 'blk.0.attn_qkv.weight'). */
export function ggufTensorName(config: ModelConfig, key: string): string {
  if (TOP[key]) return TOP[key];
  const m = /^(?:h|model\.layers)\.(\d+)\.(.+)\.(weight|bias)$/.exec(key);
  const table = isGpt2(config) ? GPT2_BLOCK : LLAMA_BLOCK;
  const name = m ? table[m[2]] : undefined;
  if (!m || !name) throw new Error(`No GGUF name for weight ${key}`);
  return `blk.${m[1]}.${name}.${m[3]}`;
}

/** A weight in the layout llama.cpp reads: Conv1D transposed (GPT-2), q/k permuted (llama arch only). */
export function ggufLayout(config: ModelConfig, key: string, t: HostTensor): HostTensor {
  if (isGpt2(config)) return /\.(c_attn|c_proj|c_fc)\.weight$/.test(key) ? transpose2d(t) : t;
  if (ggufArch(config) !== 'llama') return t; // qwen2 runs rotate-half RoPE (NEOX) itself
  if (/\.q_proj\.(weight|bias)$/.test(key)) return permuteQk(t, config.num_attention_heads);
  if (/\.k_proj\.(weight|bias)$/.test(key)) return permuteQk(t, config.num_key_value_heads);
  return t;
}

/** The converter's choice per tensor: 1-D tensors, norms and position embeddings stay F32; a Q8_0 row that is not a
 * whole number of blocks falls back to F16. */
export function tensorType(name: string, shape: readonly number[], dtype: GgufDtype): GgmlType {
  if (shape.length <= 1 || name.endsWith('_norm.weight') || name.startsWith('position_embd.')) return GGML_TYPE.F32;
  const type = FILE_TYPES[dtype].type;
  if (type === GGML_TYPE.Q8_0 && shape[shape.length - 1] % Q8_0_BLOCK !== 0) return GGML_TYPE.F16;
  return type;
}

/** Adds every weight (our keys, no `transformer.` prefix) under llama.cpp's names. GPT-2's tied head is written
 * as output.weight too, as the converter does; a tied Llama head is left to llama.cpp's fallback to token_embd. */
export function addModelTensors(w: GgufWriter, config: ModelConfig, weights: Record<string, HostTensor>, dtype: GgufDtype): void {
  const add = (name: string, t: HostTensor) => w.tensor(name, t.shape, t.data, tensorType(name, t.shape, dtype));
  if (!isGpt2(config) && config.rope_scaling?.rope_type === 'llama3') {
    // The converter's generate_extra_tensors: llama.cpp divides each frequency by rope_freqs[j].
    const plain = inverseFrequencies(config.head_dim, config.rope_theta, null);
    const scaled = inverseFrequencies(config.head_dim, config.rope_theta, config.rope_scaling);
    add('rope_freqs.weight', { shape: [plain.length], data: Float32Array.from(plain, (f, j) => f / scaled[j]) });
  }
  for (const [key, t] of Object.entries(weights)) {
    add(ggufTensorName(config, key), ggufLayout(config, key, t));
    if (isGpt2(config) && key === 'wte.weight') add('output.weight', t);
  }
}

/** general.* and the architecture's hyperparameters, as the converter's set_gguf_parameters writes them. */
export function addModelMetadata(w: GgufWriter, config: ModelConfig, opts: { name: string; dtype: GgufDtype }): void {
  const arch = ggufArch(config);
  w.string('general.architecture', arch);
  w.string('general.type', 'model');
  w.string('general.name', opts.name);
  if (isGpt2(config)) gpt2Metadata(w, config);
  else llamaMetadata(w, config, arch);
  w.u32('general.file_type', FILE_TYPES[opts.dtype].fileType);
  w.u32('general.quantization_version', 2);
}

function gpt2Metadata(w: GgufWriter, c: Gpt2Config): void {
  w.u32('gpt2.block_count', c.n_layer);
  w.u32('gpt2.context_length', maxPositions(c));
  w.u32('gpt2.embedding_length', c.n_embd);
  w.u32('gpt2.feed_forward_length', c.n_inner ?? 4 * c.n_embd);
  w.u32('gpt2.attention.head_count', c.n_head);
  w.f32('gpt2.attention.layer_norm_epsilon', c.layer_norm_epsilon);
}

function llamaMetadata(w: GgufWriter, c: LlamaConfig, arch: string): void {
  w.u32(`${arch}.block_count`, c.num_hidden_layers);
  w.u32(`${arch}.context_length`, c.max_position_embeddings);
  w.u32(`${arch}.embedding_length`, c.hidden_size);
  w.u32(`${arch}.feed_forward_length`, c.intermediate_size);
  w.u32(`${arch}.attention.head_count`, c.num_attention_heads);
  w.u32(`${arch}.attention.head_count_kv`, c.num_key_value_heads);
  if (c.rope_scaling?.rope_type === 'linear') {
    w.string(`${arch}.rope.scaling.type`, 'linear');
    w.f32(`${arch}.rope.scaling.factor`, c.rope_scaling.factor);
  }
  w.f32(`${arch}.rope.freq_base`, c.rope_theta);
  w.f32(`${arch}.attention.layer_norm_rms_epsilon`, c.rms_norm_eps);
  if (c.head_dim * c.num_attention_heads !== c.hidden_size) {
    w.u32(`${arch}.attention.key_length`, c.head_dim);
    w.u32(`${arch}.attention.value_length`, c.head_dim);
  }
  w.u32(`${arch}.vocab_size`, c.vocab_size);
  w.u32(`${arch}.rope.dimension_count`, c.head_dim);
}
