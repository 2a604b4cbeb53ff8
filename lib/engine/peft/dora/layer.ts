// DoRA's layer change as in huggingface/peft's tuners/lora/dora.py (DoraLinearLayer) and variants.py: LoRA's A and
// B plus a magnitude m per output feature. W' = m * (W + s·BA) / ||W + s·BA||, the norm over each output row and
// detached from the gradient (DoRA paper, section 4.3, as PEFT trains). The hook adds to the base output y:
//   (m/||.|| - 1) * (x W) + (m/||.||) * s * B(A(x)),
// where x W is y without its bias when no dropout applies, and dropout(x) W recomputed when it does (PEFT too).
import * as tf from '@tensorflow/tfjs';
import type { LoraConfig, ModelConfig, WeightMap } from '../../types';
import type { Adapter, LinearSite } from '../types';
import { adaptedModules } from '../../params';
import { createLora, deltaWeight, layoutOf, type LoraModule } from '../lora/layer';
import { loraConfig, loraScaling } from '../lora/config';

/** One adapted linear: LoRA's factors and the magnitude m [out] (PEFT's lora_magnitude_vector). */
export interface DoraModule extends LoraModule {
  m: tf.Variable;
}

export interface DoraState extends Adapter {
  config: LoraConfig;
  scaling: number;
  modules: Map<string, DoraModule>;
  fanInFanOut: boolean; // base weights stored [in, out] (GPT-2's Conv1D) rather than [out, in]
  peftPrefix: string;
  /** The frozen base weights the norm and the dropout path read (not owned). */
  base: WeightMap;
}

/** ||W + s·BA|| per output feature, [out]; W as stored ([in, out] with fanInFanOut, else [out, in]). */
export function weightNorm(W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, scaling: number, fanInFanOut: boolean): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.add(W, deltaWeight(A, B, scaling, fanInFanOut))), fanInFanOut ? 0 : 1)) as tf.Tensor1D);
}

/** The norm as a constant of the graph: its value, and no gradient to A or B (PEFT's weight_norm.detach()). */
function detachedNorm(W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, scaling: number, fanInFanOut: boolean): tf.Tensor1D {
  const f = tf.customGrad((a, b) => ({
    value: weightNorm(W, a as tf.Tensor, b as tf.Tensor, scaling, fanInFanOut),
    gradFunc: () => [tf.zerosLike(a as tf.Tensor), tf.zerosLike(b as tf.Tensor)],
  }));
  return f(A, B) as tf.Tensor1D;
}

export function baseWeight(base: WeightMap, path: string): tf.Tensor2D {
  const W = base.get(path + '.weight');
  if (!W) throw new Error(`DoRA module ${path} needs its float32 base weight ${path}.weight (packed frozen weights are not supported for DoRA)`);
  return W as tf.Tensor2D;
}

function doraLinear(this: DoraState, path: string, x: tf.Tensor2D, y: tf.Tensor2D, site: LinearSite): tf.Tensor2D {
  const mod = this.modules.get(path);
  if (!mod) return y;
  const W = baseWeight(this.base, path);
  const scale = tf.div(mod.m, detachedNorm(W, mod.A, mod.B, mod.scaling, this.fanInFanOut)); // [out]
  const p = site.training ? this.config.dropout : 0;
  let xd = x;
  let plain: tf.Tensor2D; // x W without bias
  if (p > 0) {
    xd = tf.dropout(x, p, undefined, site.nextSeed()) as tf.Tensor2D;
    plain = tf.matMul(xd, W, false, !this.fanInFanOut);
  } else {
    const b = this.base.get(path + '.bias');
    plain = b ? (tf.sub(y, b) as tf.Tensor2D) : y;
  }
  const lora = tf.matMul(tf.matMul(xd, mod.A, false, true), mod.B, false, true); // [N, out]
  return tf.add(y, tf.add(tf.mul(tf.sub(scale, 1), plain), tf.mul(tf.mul(scale, lora), mod.scaling)));
}

function doraVariablesUnder(this: DoraState, prefix: string): tf.Variable[] {
  return [...this.modules].filter(([path]) => path.startsWith(prefix)).flatMap(([, m]) => [m.A, m.B, m.m]);
}

export function makeDoraState(config: LoraConfig, modules: Map<string, DoraModule>, model: ModelConfig, base: WeightMap): DoraState {
  return { config, scaling: loraScaling(config), modules, ...layoutOf(model), base, linear: doraLinear, variablesUnder: doraVariablesUnder };
}

/** New adapter: LoRA's init (A uniform, B = 0) and m = ||W|| per output row, so it starts as the base model. */
export function createDora(model: ModelConfig, base: WeightMap, lora: LoraConfig, seed: number): DoraState {
  const c = loraConfig(lora);
  for (const path of adaptedModules(model, c).keys()) baseWeight(base, path); // before any variable exists
  const l = createLora(model, c, seed);
  const modules = new Map<string, DoraModule>();
  for (const [path, mod] of l.modules) {
    const m = tf.tidy(() => tf.variable(weightNorm(baseWeight(base, path), mod.A, mod.B, mod.scaling, l.fanInFanOut), true));
    modules.set(path, { ...mod, m });
  }
  return makeDoraState(c, modules, model, base);
}

export function doraVariables(state: DoraState): tf.Variable[] {
  return [...state.modules.values()].flatMap((m) => [m.A, m.B, m.m]);
}

export function disposeDora(state: DoraState): void {
  for (const v of doraVariables(state)) v.dispose();
}

/** PEFT's merge: W' = (m / ||W + ΔW||) * (W + ΔW), the factor on each output feature; the bias stays. */
export function doraMergedWeight(W: tf.Tensor, mod: { A: tf.Tensor; B: tf.Tensor; m: tf.Tensor; scaling: number }, fanInFanOut: boolean): tf.Tensor {
  const scaling = mod.scaling;
  return tf.tidy(() => {
    const merged = tf.add(W, deltaWeight(mod.A, mod.B, scaling, fanInFanOut));
    const factor = tf.div(mod.m, weightNorm(W, mod.A, mod.B, scaling, fanInFanOut)); // [out]
    return tf.mul(merged, fanInFanOut ? factor : tf.reshape(factor, [-1, 1]));
  });
}
