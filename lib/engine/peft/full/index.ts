// Full fine-tuning as a registered method: every weight becomes a variable; exports the whole model folder.
import * as tf from '@tensorflow/tfjs';
import type { WeightMap } from '../../types';
import type { PeftMethod } from '../method';
import { fullSpec } from './config';

export { fullSpec } from './config';

export const full: PeftMethod<'full'> = {
  ...fullSpec,
  peftTypes: [],
  create: (_model, base) => {
    // tf.variable shares the base tensor's data until the first update, so this costs no copy up front.
    const weights: WeightMap = new Map([...base].map(([k, w]) => [k, tf.variable(w, true)]));
    const variables = [...weights.values()] as tf.Variable[];
    return { variables, weights, dispose: () => variables.forEach((v) => v.dispose()) };
  },
};
