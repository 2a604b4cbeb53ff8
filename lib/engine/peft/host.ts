// Moving tensors between host data (files, messages) and tfjs: variables from Float32Arrays, snapshots back.
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../types';

/** A trainable variable over host data; the temporary tensor does not outlive the call. */
export function hostVariable(data: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true));
}

/** Reads a snapshot made with tf.clone (cheap: it shares data) and frees it. Snapshots taken synchronously
 * stay consistent even if a training step reassigns the variables while we await. */
export async function readHost(snapshot: tf.Tensor): Promise<HostTensor> {
  const data = (await snapshot.data()) as Float32Array;
  const shape = [...snapshot.shape];
  snapshot.dispose();
  // Copy: some backends hand out their own storage (cpu) or a view of the heap (wasm).
  return { shape, data: new Float32Array(data) };
}
