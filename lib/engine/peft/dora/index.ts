// DoRA as a registered method (PEFT peft_type LORA with use_dora: true): create / load / save / merge over the
// layer and file code. Loading routes here from any LORA adapter_config.json whose use_dora is true.
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../../add-n';
import type { WeightMap } from '../../types';
import type { PeftMethod } from '../method';
import type { MergeSnapshot, TrainableState } from '../types';
import { doraSpec } from './config';
import { baseWeight, createDora, disposeDora, doraMergedWeight, doraVariables, weightNorm, type DoraState } from './layer';
import { doraFromPeft, doraToPeft } from './peft-format';
import { deltaWeight } from '../lora/layer';

export * from './config';
export * from './layer';
export * from './peft-format';

function snapshotMerge(state: DoraState): MergeSnapshot {
  const snaps = new Map<string, { A: tf.Tensor; B: tf.Tensor; m: tf.Tensor; scaling: number }>();
  for (const [path, mod] of state.modules) snaps.set(path + '.weight', { A: tf.clone(mod.A), B: tf.clone(mod.B), m: tf.clone(mod.m), scaling: mod.scaling });
  return {
    merged: (key, W) => {
      const s = snaps.get(key);
      return s ? doraMergedWeight(W, s, state.fanInFanOut) : null;
    },
    dispose: () => snaps.forEach((s) => tf.dispose([s.A, s.B, s.m])),
  };
}

/** The trainable state; merge keeps each module's factor m / ||W + ΔW|| of the unmerged weight, which unmerge
 * divides out again (PEFT caches the norm for the same reason: it cannot be recomputed from merged weights). */
function doraTrainable(state: DoraState, weights: WeightMap): TrainableState {
  let factors: Map<string, tf.Tensor> | null = null;
  return {
    variables: doraVariables(state),
    weights,
    adapter: state,
    save: (baseModel) => doraToPeft(state, { baseModel }),
    snapshotMerge: () => snapshotMerge(state),
    merge: async (w) => {
      const merged = new Map<string, tf.Tensor>();
      const f = new Map<string, tf.Tensor>();
      for (const [path, mod] of state.modules) {
        const W = baseWeight(w, path);
        merged.set(path, doraMergedWeight(W, mod, state.fanInFanOut));
        f.set(path, tf.tidy(() => tf.div(mod.m, weightNorm(W, mod.A, mod.B, mod.scaling, state.fanInFanOut))));
      }
      if (!(await allFinite(merged.values()))) {
        tf.dispose([...merged.values(), ...f.values()]);
        throw new Error('Merging the DoRA adapter gives non-finite weights; the model was left unchanged');
      }
      for (const [path, t] of merged) {
        w.get(path + '.weight')!.dispose();
        w.set(path + '.weight', t);
      }
      factors = f;
    },
    unmerge: (w) => {
      if (!factors) throw new Error('unmerge: the DoRA adapter is not merged');
      for (const [path, mod] of state.modules) {
        const W = baseWeight(w, path);
        const factor = factors.get(path)!;
        w.set(path + '.weight', tf.tidy(() => tf.sub(tf.div(W, state.fanInFanOut ? factor : tf.reshape(factor, [-1, 1])), deltaWeight(mod.A, mod.B, mod.scaling, state.fanInFanOut))));
        W.dispose();
      }
      tf.dispose([...factors.values()]);
      factors = null;
    },
    dispose: () => {
      if (factors) tf.dispose([...factors.values()]);
      disposeDora(state);
    },
  };
}

export const dora: PeftMethod<'dora'> = {
  ...doraSpec,
  peftTypes: ['LORA'],
  accepts: (config) => config.use_dora === true,
  create: (model, weights, train, seed) => doraTrainable(createDora(model, weights, train.lora, seed), weights),
  load: (files, model, weights) => doraTrainable(doraFromPeft(files.config, files.tensors, model, weights), weights),
};
