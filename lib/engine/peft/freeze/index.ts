// Freeze-tuning as a registered method: the chosen weights of the top blocks become variables, everything else is
// read as loaded; exports the whole model folder, as full fine-tuning does.
import * as tf from '@tensorflow/tfjs';
import type { WeightMap } from '../../types';
import type { PeftMethod } from '../method';
import { freezeSpec, freezeTrainedKeys } from './config';

export * from './config';

export const freeze: PeftMethod<'freeze'> = {
  ...freezeSpec,
  peftTypes: [],
  create: (model, base, train) => {
    const keys = freezeTrainedKeys(model, freezeSpec.configOf(train));
    for (const key of keys.keys()) if (!base.has(key)) throw new Error(`Freeze-tuning trains ${key}, which the loaded model lacks`);
    // tf.variable shares the base tensor's data until the first update, so untouched blocks cost nothing.
    const weights: WeightMap = new Map([...base].map(([k, w]) => [k, keys.has(k) ? tf.variable(w, true) : w]));
    const variables = [...keys.keys()].map((k) => weights.get(k) as tf.Variable);
    return { variables, weights, dispose: () => variables.forEach((v) => v.dispose()) };
  },
};
