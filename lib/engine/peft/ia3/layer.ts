// IA3's layer change as in huggingface/peft's tuners/ia3/layer.py (Linear): a learned vector l per adapted linear.
// On a target module the output is scaled, bias included: y * l (l [out]). On a feed-forward module the input is:
// (x * l) W + b (l [in]); the hook gets the base output already made, so it recomputes that module's product
// from the base weights (one more matmul per feed-forward module; forward-ctx.ts has no input hook).
import * as tf from '@tensorflow/tfjs';
import { fanInFanOut, linearModules } from '../../params';
import { isGpt2, type ModelConfig, type WeightMap } from '../../types';
import type { Adapter } from '../types';
import { ia3Modules, type Ia3Config } from './config';

export interface Ia3Module {
  l: tf.Variable; // [out], or [in] for a feed-forward module (PEFT stores [out, 1] / [1, in])
  feedforward: boolean;
}

export interface Ia3State extends Adapter {
  config: Ia3Config;
  modules: Map<string, Ia3Module>;
  fanInFanOut: boolean;
  peftPrefix: string;
  base: WeightMap; // the frozen weights a feed-forward module's product is recomputed from (not owned)
}

function weightOf(base: WeightMap, path: string): tf.Tensor2D {
  const W = base.get(path + '.weight');
  if (!W) throw new Error(`IA3 feed-forward module ${path} needs its float32 base weight ${path}.weight (packed frozen weights are not supported there)`);
  return W as tf.Tensor2D;
}

function ia3Linear(this: Ia3State, path: string, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const mod = this.modules.get(path);
  if (!mod) return y;
  if (!mod.feedforward) return tf.mul(y, mod.l) as tf.Tensor2D;
  const out = tf.matMul(tf.mul(x, mod.l) as tf.Tensor2D, weightOf(this.base, path), false, !this.fanInFanOut) as tf.Tensor2D;
  const b = this.base.get(path + '.bias');
  return b ? (tf.add(out, b) as tf.Tensor2D) : out;
}

function ia3VariablesUnder(this: Ia3State, prefix: string): tf.Variable[] {
  return [...this.modules].filter(([path]) => path.startsWith(prefix)).map(([, m]) => m.l);
}

/** Checks the settings against the model as PEFT does: feed-forward modules must be targets, targets must exist. */
export function checkIa3Config(model: ModelConfig, c: Ia3Config): Map<string, { feedforward: boolean; size: number }> {
  const mods = ia3Modules(model, c);
  if (mods.size === 0) throw new Error(`IA3 targets ${JSON.stringify(c.targetModules)} match no module of this model (it has ${[...linearModules(model).keys()].filter((p) => /\.0\./.test(p)).map((p) => p.replace(/^.*\.0\./, '')).join(', ')})`);
  const stray = c.feedforwardModules.filter((f) => !c.targetModules.includes(f));
  if (stray.length > 0) throw new Error(`IA3 feed-forward modules ${JSON.stringify(stray)} are not among the target modules (PEFT requires a subset)`);
  return mods;
}

export function makeIa3State(config: Ia3Config, modules: Map<string, Ia3Module>, model: ModelConfig, base: WeightMap): Ia3State {
  return {
    config, modules, base, fanInFanOut: fanInFanOut(model), peftPrefix: isGpt2(model) ? 'transformer.' : '',
    linear: ia3Linear, variablesUnder: ia3VariablesUnder,
  };
}

/** New adapter: every vector ones (PEFT's init_ia3_weights), so it starts as the base model exactly. */
export function createIa3(model: ModelConfig, base: WeightMap, c: Ia3Config): Ia3State {
  const modules = new Map<string, Ia3Module>();
  for (const [path, { feedforward, size }] of checkIa3Config(model, c)) {
    if (feedforward) weightOf(base, path);
    modules.set(path, { feedforward, l: tf.tidy(() => tf.variable(tf.ones([size]), true)) });
  }
  return makeIa3State(c, modules, model, base);
}

export function ia3Variables(state: Ia3State): tf.Variable[] {
  return [...state.modules.values()].map((m) => m.l);
}

/** The vector shaped to scale a stored weight: W [in, out] (Conv1D) or [out, in] on its out or in axis. */
function weightScale(l: tf.Tensor, feedforward: boolean, fanInFanOutLayout: boolean): tf.Tensor {
  // Output scaling acts on the out axis, input scaling on the in axis; which stored axis that is depends on the layout.
  const onRows = feedforward === fanInFanOutLayout; // rows of [in, out] are inputs; rows of [out, in] are outputs
  return onRows ? tf.reshape(l, [-1, 1]) : l;
}

/** PEFT's merge for weight `key` (`<module>.weight` or, for output scaling, `<module>.bias`); null if untouched. */
export function ia3Merged(key: string, t: tf.Tensor, l: tf.Tensor, feedforward: boolean, fanInFanOutLayout: boolean, inverse = false): tf.Tensor | null {
  const op = inverse ? tf.div : tf.mul;
  if (key.endsWith('.weight')) return tf.tidy(() => op(t, weightScale(l, feedforward, fanInFanOutLayout)));
  if (key.endsWith('.bias') && !feedforward) return tf.tidy(() => op(t, l));
  return null;
}
