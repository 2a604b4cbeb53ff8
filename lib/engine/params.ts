// Parameter shapes and counts per architecture, derived from the config alone (no weights needed), so the UI
// and a memory planner can size models and adapters before anything is loaded.
import { isGpt2, type Gpt2Config, type LlamaConfig, type LoraConfig, type ModelConfig } from './types';

/** A linear layer LoRA can wrap: in and out features (whatever the stored layout). */
export interface LinearModule {
  fanIn: number;
  fanOut: number;
}

/** Every GPT-2 weight keyed by its HF name without `transformer.`; the lm_head is tied to wte. */
export function gpt2ParamShapes(c: Gpt2Config): Map<string, number[]> {
  const C = c.n_embd;
  const I = c.n_inner ?? 4 * C;
  const m = new Map<string, number[]>([
    ['wte.weight', [c.vocab_size, C]],
    ['wpe.weight', [c.n_positions, C]],
  ]);
  for (let i = 0; i < c.n_layer; i++) {
    const p = `h.${i}.`;
    m.set(p + 'ln_1.weight', [C]).set(p + 'ln_1.bias', [C]);
    m.set(p + 'attn.c_attn.weight', [C, 3 * C]).set(p + 'attn.c_attn.bias', [3 * C]);
    m.set(p + 'attn.c_proj.weight', [C, C]).set(p + 'attn.c_proj.bias', [C]);
    m.set(p + 'ln_2.weight', [C]).set(p + 'ln_2.bias', [C]);
    m.set(p + 'mlp.c_fc.weight', [C, I]).set(p + 'mlp.c_fc.bias', [I]);
    m.set(p + 'mlp.c_proj.weight', [I, C]).set(p + 'mlp.c_proj.bias', [C]);
  }
  m.set('ln_f.weight', [C]).set('ln_f.bias', [C]);
  return m;
}

/** Every Llama-family weight by its full HF name; nn.Linear weights are [out, in]. */
export function llamaParamShapes(c: LlamaConfig): Map<string, number[]> {
  const C = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const I = c.intermediate_size;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab_size, C]]]);
  const lin = (path: string, out: number, inp: number, bias: boolean) => {
    m.set(path + '.weight', [out, inp]);
    if (bias) m.set(path + '.bias', [out]);
  };
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + 'input_layernorm.weight', [C]);
    lin(p + 'self_attn.q_proj', q, C, c.attention_bias || c.qkv_bias);
    lin(p + 'self_attn.k_proj', kv, C, c.attention_bias || c.qkv_bias);
    lin(p + 'self_attn.v_proj', kv, C, c.attention_bias || c.qkv_bias);
    lin(p + 'self_attn.o_proj', C, q, c.attention_bias);
    m.set(p + 'post_attention_layernorm.weight', [C]);
    lin(p + 'mlp.gate_proj', I, C, c.mlp_bias);
    lin(p + 'mlp.up_proj', I, C, c.mlp_bias);
    lin(p + 'mlp.down_proj', C, I, c.mlp_bias);
  }
  m.set('model.norm.weight', [C]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [c.vocab_size, C]);
  return m;
}

/** Every weight of any supported model, keyed as the engine's weight maps are. */
export function paramShapes(c: ModelConfig): Map<string, number[]> {
  return isGpt2(c) ? gpt2ParamShapes(c) : llamaParamShapes(c);
}

/** True when the model stores linear weights [in, out] (GPT-2's Conv1D): PEFT's fan_in_fan_out. */
export function fanInFanOut(c: ModelConfig): boolean {
  return isGpt2(c);
}

/** The linear modules LoRA can wrap (inside the blocks; not embeddings or the head), by module path. */
export function linearModules(c: ModelConfig): Map<string, LinearModule> {
  const m = new Map<string, LinearModule>();
  const prefix = isGpt2(c) ? 'h.' : 'model.layers.';
  const conv1d = fanInFanOut(c);
  for (const [key, shape] of paramShapes(c)) {
    if (key.startsWith(prefix) && key.endsWith('.weight') && shape.length === 2) {
      m.set(key.slice(0, -'.weight'.length), conv1d ? { fanIn: shape[0], fanOut: shape[1] } : { fanIn: shape[1], fanOut: shape[0] });
    }
  }
  return m;
}

/** GPT-2's Conv1D modules with their [in, out] sizes (kept for existing callers; same as linearModules). */
export function gpt2LinearModules(c: Gpt2Config): Map<string, LinearModule> {
  return linearModules(c);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Total parameters (GPT-2 small: 124,439,808; a tied head is not counted twice). */
export function countParams(c: ModelConfig): number {
  let n = 0;
  for (const shape of paramShapes(c).values()) n += size(shape);
  return n;
}

/** PEFT's target matching for a plain list: the module path equals a target or ends with `.${target}`. */
export function matchesTarget(modulePath: string, targets: readonly string[]): boolean {
  return targets.some((t) => modulePath === t || modulePath.endsWith('.' + t));
}

const LAYER_INDEX = /(?:^|\.)(?:h|layers)\.(\d+)\./;

/** The block index in a module path (h.3.attn.c_attn, model.layers.3.mlp.up_proj); -1 outside the blocks. */
export function layerOf(modulePath: string): number {
  const m = LAYER_INDEX.exec(modulePath);
  return m ? Number(m[1]) : -1;
}

/** PEFT's layers_to_transform with the default layers_pattern: the block index in the path (h.3., layers.3.);
 * null or absent selects every layer. */
export function inLayers(modulePath: string, layers: readonly number[] | null | undefined): boolean {
  if (layers == null) return true;
  const m = LAYER_INDEX.exec(modulePath);
  return m !== null && layers.includes(Number(m[1]));
}

/** The linear modules a LoRA config adapts: targeted by name and, with layersToTransform, in one of those blocks. */
export function adaptedModules(c: ModelConfig, lora: Pick<LoraConfig, 'targetModules' | 'layersToTransform'>): Map<string, LinearModule> {
  const out = new Map<string, LinearModule>();
  for (const [path, lin] of linearModules(c)) if (matchesTarget(path, lora.targetModules) && inLayers(path, lora.layersToTransform)) out.set(path, lin);
  return out;
}

/** The adapted modules as the memory planner sees them: block index and widths. */
export function planModules(modules: Map<string, LinearModule>): { layer: number; fanIn: number; fanOut: number }[] {
  return [...modules].map(([path, m]) => ({ layer: layerOf(path), fanIn: m.fanIn, fanOut: m.fanOut }));
}

/** Trainable parameters of a LoRA adapter: r * (in + out) per wrapped module (r per module with a rank pattern). */
export function countLoraParams(c: ModelConfig, lora: Pick<LoraConfig, 'r' | 'targetModules' | 'layersToTransform' | 'rankPattern'>): number {
  let n = 0;
  const prefix = isGpt2(c) ? 'transformer.' : '';
  for (const [path, { fanIn, fanOut }] of adaptedModules(c, lora)) n += rankOf(lora, prefix + path) * (fanIn + fanOut);
  return n;
}

/** PEFT's get_pattern_key for rank_pattern / alpha_pattern: the value of the first key k for which
 * `(.*\.)?(k)$` matches the module's PEFT path (GPT-2: transformer.h.0.attn.c_attn); undefined when none does. */
export function patternValue(pattern: Record<string, number> | undefined, peftPath: string): number | undefined {
  for (const [key, v] of Object.entries(pattern ?? {})) if (new RegExp(`^(.*\\.)?(${key})$`).test(peftPath)) return v;
  return undefined;
}

/** A module's LoRA rank: rank_pattern's, else r. */
export function rankOf(lora: Pick<LoraConfig, 'r' | 'rankPattern'>, peftPath: string): number {
  return patternValue(lora.rankPattern, peftPath) ?? lora.r;
}

export interface LoraTargets {
  /** Every module name LoRA can target in this architecture (PEFT target_modules entries). */
  all: string[];
  /** Named presets: 'attention' (the attention projections) and 'all-linear' (every linear in the blocks). */
  presets: { attention: string[]; 'all-linear': string[] };
}

/** Target-module names and presets per architecture. GPT-2's c_proj names both attention and MLP outputs. */
export function loraTargetPresets(c: ModelConfig): LoraTargets {
  if (isGpt2(c)) return { all: ['c_attn', 'c_proj', 'c_fc'], presets: { attention: ['c_attn'], 'all-linear': ['c_attn', 'c_proj', 'c_fc'] } };
  const attention = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
  const all = [...attention, 'gate_proj', 'up_proj', 'down_proj'];
  return { all, presets: { attention, 'all-linear': all } };
}

/** Bytes of the largest single weight in float32 (GPT-2 small's wte: 147.2 MiB), to compare with WebGPU's
 * maxStorageBufferBindingSize: a kernel cannot bind a bigger tensor. */
export function largestTensorBytes(c: ModelConfig): { key: string; bytes: number } {
  let best = { key: '', bytes: 0 };
  for (const [key, shape] of paramShapes(c)) if (size(shape) * 4 > best.bytes) best = { key, bytes: size(shape) * 4 };
  return best;
}
