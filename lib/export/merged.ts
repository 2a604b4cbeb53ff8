// The weights a merged export writes: the base model with the method's change folded in (TrainableState's
// snapshotMerge, any method that has one), or a fully trained state's own weights, read to the host one at a time.
import * as tf from '@tensorflow/tfjs';
import { readHost } from '../engine/peft/host';
import type { TrainableState } from '../engine/peft/types';
import type { HostTensor, WeightMap } from '../engine/types';

/** Every weight under our keys (GPT-2 without `transformer.`), merged. Refuses an adapter that cannot merge. */
export async function mergedWeights(base: WeightMap, state?: TrainableState, methodLabel = 'this'): Promise<Record<string, HostTensor>> {
  if (state?.adapter && !state.snapshotMerge) {
    throw new Error(`The ${methodLabel} adapter has no merge into the base weights; export it as a PEFT adapter instead`);
  }
  const weights = state?.weights ?? base;
  // Snapshot synchronously (tf.clone shares data) so a training step cannot tear the export.
  const snaps = new Map([...weights].map(([k, w]) => [k, tf.clone(w)]));
  const merge = state?.snapshotMerge?.();
  const out: Record<string, HostTensor> = {};
  try {
    for (const [key, snap] of snaps) {
      const merged = merge?.merged(key, snap) ?? null;
      if (merged) snap.dispose();
      const host = await readHost(merged ?? snap);
      for (let i = 0; i < host.data.length; i++) {
        if (!Number.isFinite(host.data[i])) throw new Error(`Merged weight ${key} is not finite; the adapter diverged`);
      }
      out[key] = host;
    }
  } finally {
    snaps.forEach((s) => s.isDisposed || s.dispose());
    merge?.dispose();
  }
  return out;
}
