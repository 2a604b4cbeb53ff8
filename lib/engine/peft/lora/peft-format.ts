// LoRA adapters in PEFT's files: adapter_config.json fields and adapter_model.safetensors keys
// (base_model.model.<prefix><module>.lora_A/B.weight), written and read back with every shape checked.
import * as tf from '@tensorflow/tfjs';
import { fanInFanOut, linearModules } from '../../params';
import type { HostTensor, LoraConfig, ModelConfig } from '../../types';
import { hostVariable, readHost } from '../host';
import { loraConfig, moduleRank } from './config';
import { layoutOf, makeLoraState, type LoraModule, type LoraState } from './layer';

const PEFT_KEY = /^base_model\.model\.(?:transformer\.)?(.+)\.lora_([AB])(?:\.default)?\.weight$/;

/** PEFT's adapter_config.json contents and adapter_model.safetensors tensors (keys without adapter name). */
export async function loraToPeft(state: LoraState, opts: { baseModel: string }): Promise<{ config: Record<string, unknown>; tensors: Record<string, HostTensor> }> {
  const c = state.config;
  const config = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', r: c.r, lora_alpha: c.alpha, lora_dropout: c.dropout,
    target_modules: [...c.targetModules], fan_in_fan_out: state.fanInFanOut, bias: 'none', base_model_name_or_path: opts.baseModel,
    use_rslora: c.useRslora, inference_mode: true, init_lora_weights: true, modules_to_save: null,
    layers_to_transform: c.layersToTransform ?? null, layers_pattern: null, rank_pattern: { ...c.rankPattern }, alpha_pattern: { ...c.alphaPattern }, revision: null, use_dora: false,
  };
  const snaps = [...state.modules].flatMap(([path, mod]) => [
    [`base_model.model.${state.peftPrefix}${path}.lora_A.weight`, tf.clone(mod.A)], // [r, in]
    [`base_model.model.${state.peftPrefix}${path}.lora_B.weight`, tf.clone(mod.B)], // [out, r]
  ] as [string, tf.Tensor][]);
  const tensors: Record<string, HostTensor> = {};
  for (const [key, snap] of snaps) tensors[key] = await readHost(snap);
  return { config, tensors };
}

/** PEFT's layers_to_transform: an int, a list of ints, or null (every layer). */
function layersOf(raw: unknown): Pick<LoraConfig, 'layersToTransform'> {
  if (raw == null) return {};
  const list = Array.isArray(raw) ? raw : [raw];
  return { layersToTransform: list.map(Number) };
}

/** rank_pattern / alpha_pattern: module name or regex -> positive number (an integer for ranks); {} or absent = none. */
function patternOf<K extends 'rankPattern' | 'alphaPattern'>(key: K, field: string, raw: unknown, integer: boolean): Partial<Record<K, Record<string, number>>> {
  if (raw == null || (typeof raw === 'object' && Object.keys(raw).length === 0)) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`adapter_config.json ${field} must map module names to numbers`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`adapter_config.json ${field}["${k}"] must be a positive ${integer ? 'integer' : 'number'} (got ${JSON.stringify(v)})`);
    try {
      new RegExp(k);
    } catch {
      throw new Error(`adapter_config.json ${field} key "${k}" is not a regular expression this studio can read`);
    }
    out[k] = v;
  }
  return { [key]: out } as Partial<Record<K, Record<string, number>>>;
}

function parsePeftConfig(raw: Record<string, unknown>): LoraConfig {
  if (raw.peft_type !== 'LORA') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not LORA`);
  if (raw.use_dora) throw new Error('This LoRA adapter has use_dora true: load it as DoRA');
  const t = raw.target_modules;
  // A string is a regex in PEFT; the modules actually present come from the tensor keys anyway.
  const targetModules = Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : ['c_attn'];
  return loraConfig({
    r: Number(raw.r), alpha: Number(raw.lora_alpha ?? raw.r), dropout: Number(raw.lora_dropout ?? 0),
    targetModules, useRslora: Boolean(raw.use_rslora), ...layersOf(raw.layers_to_transform),
    ...patternOf('rankPattern', 'rank_pattern', raw.rank_pattern, true), ...patternOf('alphaPattern', 'alpha_pattern', raw.alpha_pattern, false),
  });
}

function checkShapes(path: string, A: HostTensor, B: HostTensor, r: number, model?: ModelConfig): void {
  // r is the module's own rank (rank_pattern applied).
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
  const layout = model ? layoutOf(model) : { fanInFanOut: rawConfig.fan_in_fan_out !== false, peftPrefix: rawConfig.fan_in_fan_out === false ? '' : 'transformer.' };
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
    checkShapes(path, A, B, moduleRank(config, layout.peftPrefix + path).r, model);
    checked.push([path, A, B]);
  }
  const modules = new Map<string, LoraModule>();
  for (const [path, A, B] of checked) modules.set(path, { A: hostVariable(A.data, A.shape), B: hostVariable(B.data, B.shape), scaling: moduleRank(config, layout.peftPrefix + path).scaling });
  if (modules.size === 0) throw new Error('The adapter holds no LoRA tensors');
  return makeLoraState(config, modules, layout);
}
