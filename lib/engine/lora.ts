// LoRA as in huggingface/peft: config with defaults, the layer change (x@W + b + B(A(dropout(x))) * scaling),
// one deltaWeight() shared by merge and unmerge, and save/load in PEFT's adapter format.
import * as tf from '@tensorflow/tfjs';
import { fanInFanOut, linearModules, loraTargetPresets, matchesTarget } from './params';
import { mulberry32, uniformArray } from './random';
import { isGpt2, type HostTensor, type LoraConfig, type ModelConfig, type WeightMap } from './types';

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false };

/** DEFAULT_LORA with the model family's attention targets (GPT-2: c_attn; Llama: q, k, v, o projections). */
export function defaultLoraFor(config: ModelConfig): LoraConfig {
  return { ...DEFAULT_LORA, targetModules: loraTargetPresets(config).presets.attention };
}

/** One wrapped linear: A [r, in] and B [out, r], PEFT's lora_A / lora_B weight layouts. */
export interface LoraModule {
  A: tf.Variable;
  B: tf.Variable;
}

export interface LoraState {
  config: LoraConfig;
  scaling: number;
  modules: Map<string, LoraModule>; // keyed by module path, e.g. 'h.0.attn.c_attn', 'model.layers.0.self_attn.q_proj'
  fanInFanOut: boolean; // base weights stored [in, out] (GPT-2's Conv1D) rather than [out, in] (nn.Linear)
  peftPrefix: string; // between `base_model.model.` and the module path in PEFT keys: 'transformer.' for GPT-2
}

/** Fills defaults and rejects values PEFT would reject. */
export function loraConfig(partial: Partial<LoraConfig> = {}): LoraConfig {
  const c = { ...DEFAULT_LORA, ...partial, targetModules: [...(partial.targetModules ?? DEFAULT_LORA.targetModules)] };
  if (!Number.isInteger(c.r) || c.r <= 0) throw new Error(`LoRA r must be a positive integer (got ${c.r})`);
  if (!(c.alpha > 0)) throw new Error(`LoRA alpha must be positive (got ${c.alpha})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1) (got ${c.dropout})`);
  if (c.targetModules.length === 0) throw new Error('LoRA needs at least one target module');
  return c;
}

export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

function hostVariable(data: Float32Array, shape: number[]): tf.Variable {
  // Variables outlive tidy; the temporary tensor does not.
  return tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true));
}

/** New adapter: A ~ U(+-1/sqrt(in)) (torch's kaiming_uniform_(a=sqrt(5))), B = 0, so it starts as a no-op. */
export function createLora(config: ModelConfig, lora: LoraConfig, seed: number): LoraState {
  const c = loraConfig(lora);
  const rng = mulberry32(seed);
  const modules = new Map<string, LoraModule>();
  for (const [path, { fanIn, fanOut }] of linearModules(config)) {
    if (!matchesTarget(path, c.targetModules)) continue;
    // kaiming_uniform_ bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)) = sqrt(1/3) for a = sqrt(5).
    const A = hostVariable(uniformArray(c.r * fanIn, 1 / Math.sqrt(fanIn), rng), [c.r, fanIn]);
    const B = hostVariable(new Float32Array(fanOut * c.r), [fanOut, c.r]);
    modules.set(path, { A, B });
  }
  if (modules.size === 0) {
    throw new Error(`LoRA targets ${JSON.stringify(c.targetModules)} match no module of this model (it has ${loraTargetPresets(config).all.join(', ')})`);
  }
  return { config: c, scaling: loraScaling(c), modules, ...layoutOf(config) };
}

/** How a family stores linear weights and prefixes PEFT keys. */
function layoutOf(config: ModelConfig): Pick<LoraState, 'fanInFanOut' | 'peftPrefix'> {
  return { fanInFanOut: fanInFanOut(config), peftPrefix: isGpt2(config) ? 'transformer.' : '' };
}

export function loraVariables(state: LoraState): tf.Variable[] {
  return [...state.modules.values()].flatMap((m) => [m.A, m.B]);
}

export function disposeLora(state: LoraState): void {
  for (const v of loraVariables(state)) v.dispose();
}

/** The LoRA branch of a linear: (dropout(x) @ A^T @ B^T) * scaling; x [N, in] -> [N, out]. */
export function loraBranch(x: tf.Tensor2D, mod: LoraModule, scaling: number, dropout: number, seed?: number): tf.Tensor2D {
  const xd = dropout > 0 ? tf.dropout(x, dropout, undefined, seed) : x;
  const down = tf.matMul(xd, mod.A, false, true); // [N, r]
  return tf.mul(tf.matMul(down, mod.B, false, true), scaling); // [N, out]
}

/** The weight change B@A * scaling, laid out [in, out] for Conv1D (fanInFanOut) or [out, in] for nn.Linear. */
export function deltaWeight(A: tf.Tensor, B: tf.Tensor, scaling: number, fanInFanOut = true): tf.Tensor2D {
  return tf.tidy(() => {
    const delta = fanInFanOut ? tf.matMul(A as tf.Tensor2D, B as tf.Tensor2D, true, true) : tf.matMul(B as tf.Tensor2D, A as tf.Tensor2D);
    return tf.mul(delta, scaling);
  });
}

/** W + sign * deltaWeight: sign 1 merges, -1 unmerges. GPT-2's Conv1D weights are [in, out], nn.Linear [out, in]. */
export function mergedWeight(W: tf.Tensor, mod: { A: tf.Tensor; B: tf.Tensor }, scaling: number, sign: 1 | -1 = 1, fanInFanOut = true): tf.Tensor {
  return tf.tidy(() => tf.add(W, tf.mul(deltaWeight(mod.A, mod.B, scaling, fanInFanOut), sign)));
}

function weightOf(weights: WeightMap, path: string): tf.Tensor {
  const W = weights.get(path + '.weight');
  if (!W) throw new Error(`LoRA module ${path} has no base weight ${path}.weight`);
  return W;
}

/** Folds the adapter into `weights` in place (the map owns its tensors: replaced ones are disposed).
 * As PEFT's safe_merge, nothing is committed unless every merged weight is finite. */
export async function mergeLora(weights: WeightMap, state: LoraState): Promise<void> {
  for (const path of state.modules.keys()) weightOf(weights, path); // throws before anything is allocated
  const merged = new Map<string, tf.Tensor>();
  for (const [path, mod] of state.modules) merged.set(path + '.weight', mergedWeight(weightOf(weights, path), mod, state.scaling, 1, state.fanInFanOut));
  // 0 * x is 0 for finite x and NaN for Inf/NaN, so one scalar says whether every entry is finite on any backend.
  const probe = tf.tidy(() => tf.addN([...merged.values()].map((t) => tf.sum(tf.mul(t, 0)))));
  const [s] = await probe.data();
  probe.dispose();
  if (s !== 0) {
    for (const t of merged.values()) t.dispose();
    throw new Error('Merging the LoRA adapter gives non-finite weights; the model was left unchanged');
  }
  for (const [key, t] of merged) {
    weights.get(key)!.dispose();
    weights.set(key, t);
  }
}

/** Undoes mergeLora in place: W - deltaWeight. */
export function unmergeLora(weights: WeightMap, state: LoraState): void {
  for (const [path, mod] of state.modules) {
    const W = weightOf(weights, path);
    weights.set(path + '.weight', mergedWeight(W, mod, state.scaling, -1, state.fanInFanOut));
    W.dispose();
  }
}

const PEFT_KEY = /^base_model\.model\.(?:transformer\.)?(.+)\.lora_([AB])(?:\.default)?\.weight$/;

/** Reads a snapshot made with tf.clone (cheap: it shares data) and frees it. Snapshots taken synchronously
 * stay consistent even if a training step reassigns the variables while we await. */
export async function readHost(snapshot: tf.Tensor): Promise<HostTensor> {
  const data = (await snapshot.data()) as Float32Array;
  const shape = [...snapshot.shape];
  snapshot.dispose();
  // Copy: some backends hand out their own storage (cpu) or a view of the heap (wasm).
  return { shape, data: new Float32Array(data) };
}

/** PEFT's adapter_config.json contents and adapter_model.safetensors tensors (keys without adapter name). */
export async function loraToPeft(state: LoraState, opts: { baseModel: string }): Promise<{ config: Record<string, unknown>; tensors: Record<string, HostTensor> }> {
  const c = state.config;
  const config = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', r: c.r, lora_alpha: c.alpha, lora_dropout: c.dropout,
    target_modules: [...c.targetModules], fan_in_fan_out: state.fanInFanOut, bias: 'none', base_model_name_or_path: opts.baseModel,
    use_rslora: c.useRslora, inference_mode: true, init_lora_weights: true, modules_to_save: null,
    layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {}, revision: null, use_dora: false,
  };
  const snaps = [...state.modules].flatMap(([path, mod]) => [
    [`base_model.model.${state.peftPrefix}${path}.lora_A.weight`, tf.clone(mod.A)], // [r, in]
    [`base_model.model.${state.peftPrefix}${path}.lora_B.weight`, tf.clone(mod.B)], // [out, r]
  ] as [string, tf.Tensor][]);
  const tensors: Record<string, HostTensor> = {};
  for (const [key, snap] of snaps) tensors[key] = await readHost(snap);
  return { config, tensors };
}

function parsePeftConfig(raw: Record<string, unknown>): LoraConfig {
  if (raw.peft_type !== 'LORA') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not LORA`);
  if (raw.use_dora) throw new Error('DoRA adapters are not supported');
  for (const k of ['rank_pattern', 'alpha_pattern']) {
    if (raw[k] && Object.keys(raw[k] as object).length > 0) throw new Error(`Adapters with ${k} are not supported`);
  }
  const t = raw.target_modules;
  // A string is a regex in PEFT; the modules actually present come from the tensor keys anyway.
  const targetModules = Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : ['c_attn'];
  return loraConfig({
    r: Number(raw.r), alpha: Number(raw.lora_alpha ?? raw.r), dropout: Number(raw.lora_dropout ?? 0),
    targetModules, useRslora: Boolean(raw.use_rslora),
  });
}

function checkShapes(path: string, A: HostTensor, B: HostTensor, r: number, model?: ModelConfig): void {
  const ok = A.shape.length === 2 && B.shape.length === 2 && A.shape[0] === r && B.shape[1] === r;
  if (!ok) throw new Error(`${path}: lora_A ${JSON.stringify(A.shape)} / lora_B ${JSON.stringify(B.shape)} do not fit r=${r}`);
  const lin = model ? linearModules(model).get(path) : undefined;
  if (model && !lin) throw new Error(`Adapter module ${path} is not in this model`);
  if (lin && (lin.fanIn !== A.shape[1] || lin.fanOut !== B.shape[0])) {
    throw new Error(`${path}: adapter is [${A.shape[1]} -> ${B.shape[0]}] but the model's layer is [${lin.fanIn} -> ${lin.fanOut}]`);
  }
}

/** Loads a PEFT LoRA adapter; pass the model config to check every module exists with matching sizes (and to
 * know the weight layout: without it, fan_in_fan_out from the adapter config decides). */
export function loraFromPeft(rawConfig: Record<string, unknown>, tensors: Record<string, HostTensor>, model?: ModelConfig): LoraState {
  const config = parsePeftConfig(rawConfig);
  if (model && Boolean(rawConfig.fan_in_fan_out ?? fanInFanOut(model)) !== fanInFanOut(model)) {
    throw new Error(`The adapter says fan_in_fan_out=${String(rawConfig.fan_in_fan_out)}, but this model stores its linear weights ${fanInFanOut(model) ? '[in, out]' : '[out, in]'}`);
  }
  const pairs = new Map<string, { A?: HostTensor; B?: HostTensor }>();
  for (const [key, t] of Object.entries(tensors)) {
    const m = PEFT_KEY.exec(key);
    if (!m) throw new Error(`Unexpected tensor in LoRA adapter: ${key}`);
    const entry = pairs.get(m[1]) ?? {};
    entry[m[2] as 'A' | 'B'] = t;
    pairs.set(m[1], entry);
  }
  // Check every pair before creating variables, so a bad file leaks nothing.
  const checked: [string, HostTensor, HostTensor][] = [];
  for (const [path, { A, B }] of pairs) {
    if (!A || !B) throw new Error(`${path}: adapter has lora_${A ? 'B' : 'A'} missing`);
    checkShapes(path, A, B, config.r, model);
    checked.push([path, A, B]);
  }
  const modules = new Map<string, LoraModule>();
  for (const [path, A, B] of checked) modules.set(path, { A: hostVariable(A.data, A.shape), B: hostVariable(B.data, B.shape) });
  if (modules.size === 0) throw new Error('The adapter holds no LoRA tensors');
  const layout = model ? layoutOf(model) : { fanInFanOut: rawConfig.fan_in_fan_out !== false, peftPrefix: rawConfig.fan_in_fan_out === false ? '' : 'transformer.' };
  return { config, scaling: loraScaling(config), modules, ...layout };
}
