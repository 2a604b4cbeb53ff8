// IA3 as a registered method (PEFT peft_type IA3): create / load / save / merge over the layer and file code.
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../../add-n';
import type { WeightMap } from '../../types';
import type { PeftMethod } from '../method';
import type { MergeSnapshot, TrainableState } from '../types';
import { ia3Spec } from './config';
import { createIa3, ia3Merged, ia3Variables, type Ia3State } from './layer';
import { ia3FromPeft, ia3ToPeft } from './peft-format';

export * from './config';
export * from './layer';
export * from './peft-format';

/** The module a weight or bias key belongs to. */
const moduleOf = (key: string) => key.replace(/\.(weight|bias)$/, '');

function snapshotMerge(state: Ia3State): MergeSnapshot {
  const snaps = new Map([...state.modules].map(([path, m]) => [path, { l: tf.clone(m.l), feedforward: m.feedforward }]));
  return {
    merged: (key, W) => {
      const s = snaps.get(moduleOf(key));
      return s ? ia3Merged(key, W, s.l, s.feedforward, state.fanInFanOut) : null;
    },
    dispose: () => snaps.forEach((s) => s.l.dispose()),
  };
}

/** Scales (or with `inverse`, unscales) every adapted weight and output bias in place. */
function apply(state: Ia3State, w: WeightMap, inverse: boolean): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [path, m] of state.modules) {
    for (const key of [path + '.weight', path + '.bias']) {
      const t = w.get(key);
      if (!t) {
        if (key.endsWith('.weight')) throw new Error(`IA3 module ${path} has no base weight ${key}`);
        continue;
      }
      const merged = ia3Merged(key, t, m.l, m.feedforward, state.fanInFanOut, inverse);
      if (merged) out.set(key, merged);
    }
  }
  return out;
}

function commit(w: WeightMap, merged: Map<string, tf.Tensor>): void {
  for (const [key, t] of merged) {
    w.get(key)!.dispose();
    w.set(key, t);
  }
}

function ia3Trainable(state: Ia3State, weights: WeightMap): TrainableState {
  return {
    variables: ia3Variables(state),
    weights,
    adapter: state,
    save: (baseModel) => ia3ToPeft(state, { baseModel }),
    snapshotMerge: () => snapshotMerge(state),
    merge: async (w) => {
      const merged = apply(state, w, false);
      if (!(await allFinite(merged.values()))) {
        tf.dispose([...merged.values()]);
        throw new Error('Merging the IA3 adapter gives non-finite weights; the model was left unchanged');
      }
      commit(w, merged);
    },
    // Division undoes the scaling exactly up to rounding (PEFT adds 1e-8 to l; a zero entry cannot be undone).
    unmerge: (w) => commit(w, apply(state, w, true)),
    dispose: () => ia3Variables(state).forEach((v) => v.dispose()),
  };
}

export const ia3: PeftMethod<'ia3'> = {
  ...ia3Spec,
  peftTypes: ['IA3'],
  create: (model, weights, train) => ia3Trainable(createIa3(model, weights, ia3Spec.configOf(train)), weights),
  load: (files, model, weights) => ia3Trainable(ia3FromPeft(files.config, files.tensors, model, weights), weights),
};
