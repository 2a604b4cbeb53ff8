// The weights a merged export writes: the base model with the method's change folded in (TrainableState's
// snapshotMerge, any method that has one), or a fully trained state's own weights, read to the host one at a time.
// A model loaded with packed linears writes them as the float32 values training saw (dequantized).
import * as tf from '@tensorflow/tfjs';
import { dequantizedWeight, type PackedWeight } from '../engine/packed-weights';
import { readHost } from '../engine/peft/host';
import type { TrainableState } from '../engine/peft/types';
import type { HostTensor, WeightMap } from '../engine/types';

/** Every weight under our keys (GPT-2 without `transformer.`), merged. Refuses an adapter that cannot merge.
 * `packed`: the base's packed linears (frozen, so they are widened one at a time, not snapshotted). */
export async function mergedWeights(base: WeightMap, state?: TrainableState, methodLabel = 'this', packed?: Map<string, PackedWeight>): Promise<Record<string, HostTensor>> {
  if (state?.adapter && !state.snapshotMerge) {
    throw new Error(`The ${methodLabel} adapter has no merge into the base weights; export it as a PEFT adapter instead`);
  }
  const weights = state?.weights ?? base;
  // Snapshot synchronously (tf.clone shares data) so a training step cannot tear the export.
  const snaps = new Map<string, tf.Tensor | PackedWeight>([...weights].map(([k, w]) => [k, tf.clone(w)]));
  for (const [path, p] of packed ?? []) snaps.set(`${path}.weight`, p);
  const merge = state?.snapshotMerge?.();
  const out: Record<string, HostTensor> = {};
  try {
    for (const [key, entry] of snaps) {
      const snap = entry instanceof tf.Tensor ? entry : await dequantizedWeight(entry);
      const merged = merge?.merged(key, snap) ?? null;
      if (merged) snap.dispose();
      const host = await readHost(merged ?? snap);
      for (let i = 0; i < host.data.length; i++) {
        if (!Number.isFinite(host.data[i])) throw new Error(`Merged weight ${key} is not finite; the adapter diverged`);
      }
      out[key] = host;
    }
  } finally {
    snaps.forEach((s) => s instanceof tf.Tensor && !s.isDisposed && s.dispose());
    merge?.dispose();
  }
  return out;
}
