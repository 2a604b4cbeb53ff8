// Text generation from any supported model's weight map (optionally through an adapter: a LoraState, ...): greedy or seeded
// temperature / top-k sampling, one token at a time. No KV cache yet: each token re-reads the window.
import * as tf from '@tensorflow/tfjs';
import type { Adapter } from './peft/types';
import { hiddenStates, lmHead, outputWeight } from './model';
import { mulberry32, type Rng } from './random';
import { hiddenSize, maxPositions, type ModelConfig, type WeightMap } from './types';

export interface GenerateOptions {
  maxNewTokens: number;
  temperature: number; // 0 = greedy (argmax)
  topK?: number; // 0 or absent = whole vocabulary
  seed?: number;
  eosId?: number; // stop when this token is drawn (it is not returned)
}

/** Picks a token id from one row of logits [V], on the host. */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const V = logits.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  if (temperature <= 0) return best;
  // Keep the k largest logits (ties at the threshold stay in, as torch.topk + masking would keep k of them).
  const threshold = topK > 0 && topK < V ? Float32Array.from(logits).sort().reverse()[topK - 1] : -Infinity;
  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    // Subtract the max before exp so large logits cannot overflow.
    probs[i] = logits[i] >= threshold ? Math.exp((logits[i] - logits[best]) / temperature) : 0;
    sum += probs[i];
  }
  let u = rng() * sum;
  for (let i = 0; i < V; i++) {
    u -= probs[i];
    if (u < 0 && probs[i] > 0) return i;
  }
  return best; // rounding left u >= 0: fall back to the most likely token
}

/** Logits [V] of the token after `ids` (the last maxPositions of them). */
function nextLogits(config: ModelConfig, weights: WeightMap, adapter: Adapter | undefined, ids: number[]): tf.Tensor1D {
  return tf.tidy(() => {
    const window = ids.slice(-maxPositions(config));
    const T = window.length;
    const h = hiddenStates(config, weights, tf.tensor2d(window, [1, T], 'int32'), { adapter }); // [1, T, C]
    // Only the last position feeds the head: saves a [T, V] matmul per token.
    const last = tf.slice(h, [0, T - 1, 0], [1, 1, hiddenSize(config)]) as tf.Tensor3D; // [1, 1, C]
    return tf.reshape(lmHead(last, outputWeight(config, weights)), [-1]) as tf.Tensor1D; // [V]
  });
}

/** Generates up to maxNewTokens ids after promptIds; returns the new ids only. */
export async function generate(config: ModelConfig, weights: WeightMap, adapter: Adapter | undefined, promptIds: number[], opts: GenerateOptions): Promise<number[]> {
  const ids = promptIds.length > 0 ? [...promptIds] : config.bos_token_id !== undefined ? [config.bos_token_id] : [];
  if (ids.length === 0) throw new Error('generate needs at least one prompt token (the model has no bos_token_id)');
  const rng = mulberry32(opts.seed ?? 0);
  const out: number[] = [];
  for (let i = 0; i < opts.maxNewTokens; i++) {
    const logits = nextLogits(config, weights, adapter, ids);
    const row = await logits.data();
    logits.dispose();
    const next = sampleToken(row, opts.temperature, opts.topK ?? 0, rng);
    if (next === opts.eosId) break;
    out.push(next);
    ids.push(next);
  }
  return out;
}
