// LoRA as a registered method: its spec plus create / load / save / merge over the layer and file code.
import * as tf from '@tensorflow/tfjs';
import type { WeightMap } from '../../types';
import type { PeftMethod } from '../method';
import type { MergeSnapshot, TrainableState } from '../types';
import { loraSpec } from './config';
import { createLora, disposeLora, loraVariables, mergedWeight, mergeLora, unmergeLora, type LoraState } from './layer';
import { loraFromPeft, loraToPeft } from './peft-format';

export * from './config';
export * from './layer';
export * from './peft-format';

/** A snapshot of the adapter (tf.clone shares data) and the merged weight of each adapted module. */
function snapshotMerge(state: LoraState): MergeSnapshot {
  const adapters = new Map<string, { A: tf.Tensor; B: tf.Tensor; scaling: number }>();
  for (const [path, m] of state.modules) adapters.set(path + '.weight', { A: tf.clone(m.A), B: tf.clone(m.B), scaling: m.scaling });
  return {
    merged: (key, W) => {
      const ad = adapters.get(key);
      return ad ? mergedWeight(W, ad, ad.scaling, 1, state.fanInFanOut) : null;
    },
    dispose: () => adapters.forEach(({ A, B }) => tf.dispose([A, B])),
  };
}

/** The trainable state over an adapter: the base weights stay as they are (frozen). */
export function loraTrainable(state: LoraState, weights: WeightMap): TrainableState {
  return {
    variables: loraVariables(state),
    weights,
    adapter: state,
    save: (baseModel) => loraToPeft(state, { baseModel }),
    snapshotMerge: () => snapshotMerge(state),
    merge: (w) => mergeLora(w, state),
    unmerge: (w) => unmergeLora(w, state),
    dispose: () => disposeLora(state),
  };
}

export const lora: PeftMethod<'lora'> = {
  ...loraSpec,
  peftTypes: ['LORA'],
  accepts: (config) => config.use_dora !== true, // use_dora: true is DoRA's
  create: (model, weights, train, seed) => loraTrainable(createLora(model, train.lora, seed), weights),
  load: (files, model, weights) => loraTrainable(loraFromPeft(files.config, files.tensors, model), weights),
};
