// The rollout: k completions of one prompt sampled at once with the KV cache. The k rows share the prompt, so
// the prompt runs once as a [k, P] batch and each new token costs one [k, 1] pass; a row that drew the eos stops
// growing (the eos is kept: its log-probability is trained, as TRL's completion mask keeps it). Entropies of the
// sampling distribution at every drawn token come back too (TRL's `entropy` metric).
import * as tf from '@tensorflow/tfjs';
import { sampleToken } from '../generate';
import { hiddenStates, lmHead, outputWeight, type ForwardOptions } from '../model';
import type { Rng } from '../random';
import { disposeKvCache, newKvCache } from '../sequence';
import { hiddenSize, type ModelConfig, type WeightMap } from '../types';

export interface SampleGroupOptions {
  k: number;
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  eosId?: number;
}

export interface SampledGroup {
  completions: number[][]; // [k] ids, eos last when drawn
  entropies: number[][]; // [k] nats per drawn token, of softmax(logits / temperature)
}

/** Entropy of softmax(logits / temperature) of one row. */
function entropy(row: ArrayLike<number>, temperature: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let z = 0;
  let ez = 0;
  for (let i = 0; i < row.length; i++) {
    const x = (row[i] - max) / temperature;
    const e = Math.exp(x);
    z += e;
    ez += e * x;
  }
  return Math.log(z) - ez / z;
}

/** Samples k completions of `prompt` with the policy's forward options (adapter, packed weights; no dropout). */
export async function sampleGroup(config: ModelConfig, weights: WeightMap, opts: ForwardOptions, prompt: number[], o: SampleGroupOptions, rng: Rng): Promise<SampledGroup> {
  if (prompt.length === 0) throw new Error('An RL prompt has no tokens');
  const { k } = o;
  const cache = newKvCache();
  const completions: number[][] = Array.from({ length: k }, () => []);
  const entropies: number[][] = Array.from({ length: k }, () => []);
  const done = new Array<boolean>(k).fill(false);
  let feed: number[][] = Array.from({ length: k }, () => prompt);
  try {
    for (let i = 0; i < o.maxNewTokens && done.includes(false); i++) {
      const logits = tf.tidy(() => {
        const T = feed[0].length;
        const h = hiddenStates(config, weights, tf.tensor2d(feed.flat(), [k, T], 'int32'), { ...opts, training: false, cache }); // [k, T, C]
        const last = tf.slice(h, [0, T - 1, 0], [k, 1, hiddenSize(config)]) as tf.Tensor3D;
        return tf.reshape(lmHead(last, outputWeight(config, weights)), [k, -1]); // [k, V]
      });
      const flat = await logits.data();
      const V = logits.shape[1]!;
      logits.dispose();
      feed = completions.map((c, r) => {
        // A finished row keeps feeding its last token so the batch stays rectangular; nothing it draws is kept.
        if (done[r]) return [c[c.length - 1] ?? prompt[prompt.length - 1]];
        const row = flat.subarray(r * V, (r + 1) * V);
        const next = sampleToken(row, o.temperature, o.topK ?? 0, rng, o.topP ?? 1);
        c.push(next);
        entropies[r].push(entropy(row, o.temperature));
        if (next === o.eosId) done[r] = true;
        return [next];
      });
    }
  } finally {
    disposeKvCache(cache);
  }
  return { completions, entropies };
}
