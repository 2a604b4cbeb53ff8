// LoRA's layer change as in huggingface/peft's tuners/lora/layer.py: the adapter state, the forward hook
// (x@W + b + B(A(dropout(x))) * scaling), and one deltaWeight() shared by merge and unmerge.
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../../add-n';
import { fusedLoraLinear, fusedLoraOn } from '../../kernels/lora-webgpu';
import { adaptedModules, fanInFanOut, loraTargetPresets } from '../../params';
import { mulberry32, uniformArray } from '../../random';
import { isGpt2, type LoraConfig, type ModelConfig, type WeightMap } from '../../types';
import { hostVariable } from '../host';
import type { Adapter, LinearSite } from '../types';
import { loraConfig, loraScaling, moduleRank } from './config';

/** One wrapped linear: A [r, in] and B [out, r], PEFT's lora_A / lora_B weight layouts, and its scaling
 * (alpha / r, or the module's own with rank_pattern / alpha_pattern). */
export interface LoraModule {
  A: tf.Variable;
  B: tf.Variable;
  scaling: number;
}

/** The adapter state; it is its own forward hook (ForwardOptions.adapter). */
export interface LoraState extends Adapter {
  config: LoraConfig;
  scaling: number; // the config's alpha / r; each module carries its own (patterns may change it)
  modules: Map<string, LoraModule>; // keyed by module path, e.g. 'h.0.attn.c_attn', 'model.layers.0.self_attn.q_proj'
  fanInFanOut: boolean; // base weights stored [in, out] (GPT-2's Conv1D) rather than [out, in] (nn.Linear)
  peftPrefix: string; // between `base_model.model.` and the module path in PEFT keys: 'transformer.' for GPT-2
}

/** The forward hook: y plus the LoRA branch of x when module `path` is adapted; x [N, in], y [N, out].
 * Dropout (and its seed) only while training, as before the hook existed: seeds follow call order. On webgpu the
 * branch and the sum are one program (kernels/lora-webgpu.ts), after the same dropout mask. */
function loraLinear(this: LoraState, path: string, x: tf.Tensor2D, y: tf.Tensor2D, site: LinearSite): tf.Tensor2D {
  const mod = this.modules.get(path);
  if (!mod) return y;
  const p = site.training ? this.config.dropout : 0;
  const seed = p > 0 ? site.nextSeed() : undefined;
  if (fusedLoraOn()) return fusedLoraLinear(p > 0 ? (tf.dropout(x, p, undefined, seed) as tf.Tensor2D) : x, y, mod.A as tf.Tensor2D, mod.B as tf.Tensor2D, mod.scaling);
  return tf.add(y, loraBranch(x, mod, mod.scaling, p, seed));
}

/** The A and B factors of the modules under `prefix` (a block's, for checkpointing). */
function loraVariablesUnder(this: LoraState, prefix: string): tf.Variable[] {
  return [...this.modules].filter(([path]) => path.startsWith(prefix)).flatMap(([, m]) => [m.A, m.B]);
}

/** A LoraState over existing modules (new, or read from a file). */
export function makeLoraState(config: LoraConfig, modules: Map<string, LoraModule>, layout: Pick<LoraState, 'fanInFanOut' | 'peftPrefix'>): LoraState {
  return { config, scaling: loraScaling(config), modules, ...layout, linear: loraLinear, variablesUnder: loraVariablesUnder };
}

/** True for a LoraState (e.g. the adapter a trainer or a loaded folder holds). */
export function isLoraState(a: Adapter | undefined): a is LoraState {
  return a !== undefined && (a as LoraState).linear === loraLinear;
}

/** New adapter: A ~ U(+-1/sqrt(in)) (torch's kaiming_uniform_(a=sqrt(5))), B = 0, so it starts as a no-op. */
export function createLora(config: ModelConfig, lora: LoraConfig, seed: number): LoraState {
  const c = loraConfig(lora);
  const rng = mulberry32(seed);
  const modules = new Map<string, LoraModule>();
  const { peftPrefix } = layoutOf(config);
  for (const [path, { fanIn, fanOut }] of adaptedModules(config, c)) {
    const { r, scaling } = moduleRank(c, peftPrefix + path);
    // kaiming_uniform_ bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)) = sqrt(1/3) for a = sqrt(5).
    const A = hostVariable(uniformArray(r * fanIn, 1 / Math.sqrt(fanIn), rng), [r, fanIn]);
    const B = hostVariable(new Float32Array(fanOut * r), [fanOut, r]);
    modules.set(path, { A, B, scaling });
  }
  if (modules.size === 0) {
    const layers = c.layersToTransform ? ` in layers ${c.layersToTransform.join(', ')}` : '';
    throw new Error(`LoRA targets ${JSON.stringify(c.targetModules)}${layers} match no module of this model (it has ${loraTargetPresets(config).all.join(', ')})`);
  }
  return makeLoraState(c, modules, layoutOf(config));
}

/** How a family stores linear weights and prefixes PEFT keys. */
export function layoutOf(config: ModelConfig): Pick<LoraState, 'fanInFanOut' | 'peftPrefix'> {
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
  for (const [path, mod] of state.modules) merged.set(path + '.weight', mergedWeight(weightOf(weights, path), mod, mod.scaling, 1, state.fanInFanOut));
  if (!(await allFinite(merged.values()))) {
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
    weights.set(path + '.weight', mergedWeight(W, mod, mod.scaling, -1, state.fanInFanOut));
    W.dispose();
  }
}

