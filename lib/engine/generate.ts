// Text generation from any supported model's weight map, optionally through an adapter (LoRA, prompt or prefix
// tuning, bottleneck adapters): greedy or seeded sampling with temperature, top-k, top-p and a repetition penalty,
// stop sequences, one token at a time. With the KV cache (the default) the prompt runs once and each new token
// costs one position; prompt tuning's virtual rows and prefix tuning's slots start the cache.
import * as tf from '@tensorflow/tfjs';
import type { Adapter } from './peft/types';
import { hiddenStates, lmHead, outputWeight } from './model';
import type { PackedWeight } from './packed-weights';
import { mulberry32, type Rng } from './random';
import { adapterPositions, disposeKvCache, newKvCache, type KvCache } from './sequence';
import { hiddenSize, maxPositions, type ModelConfig, type WeightMap } from './types';

export interface GenerateOptions {
  maxNewTokens: number;
  temperature: number; // 0 = greedy (argmax)
  topK?: number; // 0 or absent = whole vocabulary
  topP?: number; // nucleus: keep the most likely tokens whose probabilities sum to topP; 1 or absent = all
  repetitionPenalty?: number; // > 1 discourages tokens already in the prompt or output (HF's rule); 1 or absent = off
  seed?: number;
  eosId?: number; // stop when this token is drawn (it is not returned)
  // Stop once the decoded new text contains one of these (the tokens that complete it are returned).
  stop?: { sequences: string[]; decode(ids: number[]): string };
  cache?: boolean; // false: rerun the whole window for every token (the reference the cache is tested against)
  onToken?(id: number): void | Promise<void>; // each new token as it is chosen (streaming); awaited before the next
  packed?: Map<string, PackedWeight>; // the model's packed frozen linears, when it was loaded with them
}

export type StopReason = 'length' | 'eos' | 'stop';

export interface SampleOptions {
  temperature: number;
  topK?: number;
  topP?: number;
}

/** HF's RepetitionPenaltyLogitsProcessor: each token seen so far has its logit divided by the penalty when
 * positive, multiplied when negative. Returns a copy. */
export function penalise(logits: ArrayLike<number>, seen: Iterable<number>, penalty: number): Float32Array {
  const out = Float32Array.from(logits);
  if (penalty === 1) return out;
  for (const id of new Set(seen)) out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty;
  return out;
}

/** Picks a token id from one row of logits [V], on the host: argmax at temperature 0; else softmax(logits / T)
 * over the top-k, then the smallest top set whose probability reaches top-p (HF's warper order). */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng, topP = 1): number {
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
  if (topP < 1) {
    // Most likely first; keep tokens until the kept mass reaches topP (the most likely one always stays).
    const order = [...probs.keys()].filter((i) => probs[i] > 0).sort((a, b) => probs[b] - probs[a]);
    let kept = 0;
    let cut = order.length;
    for (let j = 0; j < order.length; j++) {
      kept += probs[order[j]];
      if (kept >= topP * sum) {
        cut = j + 1;
        break;
      }
    }
    for (const i of order.slice(cut)) probs[i] = 0;
    sum = kept;
  }
  let u = rng() * sum;
  for (let i = 0; i < V; i++) {
    u -= probs[i];
    if (u < 0 && probs[i] > 0) return i;
  }
  return best; // rounding left u >= 0: fall back to the most likely token
}

/** Logits [V] of the token after `ids`: the whole window through the model, or only `ids` after the cache. */
function nextLogits(config: ModelConfig, weights: WeightMap, adapter: Adapter | undefined, ids: number[], cache?: KvCache, packed?: Map<string, PackedWeight>): tf.Tensor1D {
  return tf.tidy(() => {
    const T = ids.length;
    const h = hiddenStates(config, weights, tf.tensor2d(ids, [1, T], 'int32'), { adapter, cache, packed }); // [1, T, C]
    // Only the last position feeds the head: saves a [T, V] matmul per token.
    const last = tf.slice(h, [0, T - 1, 0], [1, 1, hiddenSize(config)]) as tf.Tensor3D; // [1, 1, C]
    return tf.reshape(lmHead(last, outputWeight(config, weights)), [-1]) as tf.Tensor1D; // [V]
  });
}

/** Generates up to maxNewTokens ids after promptIds; returns the new ids and why it stopped. The window is the
 * model's positions less the adapter's; past it, the oldest tokens drop out (with the cache: it is rebuilt from
 * the window, so both paths see the same tokens). */
export async function generateWithReason(config: ModelConfig, weights: WeightMap, adapter: Adapter | undefined, promptIds: number[], opts: GenerateOptions): Promise<{ ids: number[]; reason: StopReason }> {
  const ids = promptIds.length > 0 ? [...promptIds] : config.bos_token_id !== undefined ? [config.bos_token_id] : [];
  if (ids.length === 0) throw new Error('generate needs at least one prompt token (the model has no bos_token_id)');
  const window = maxPositions(config) - adapterPositions(adapter);
  if (window < 1) throw new Error(`The adapter takes ${adapterPositions(adapter)} of the model's ${maxPositions(config)} positions: none is left for text`);
  const rng = mulberry32(opts.seed ?? 0);
  const penalty = opts.repetitionPenalty ?? 1;
  if (!(penalty > 0)) throw new Error('repetitionPenalty must be positive');
  const useCache = opts.cache ?? true;
  const cache = newKvCache();
  let cached = 0; // tokens of `ids` already in the cache
  const out: number[] = [];
  try {
    for (let i = 0; i < opts.maxNewTokens; i++) {
      const start = Math.max(0, ids.length - window);
      if (useCache && (start > 0 || cached === 0)) {
        // First call, or the window slid: (re)fill the cache from the window.
        disposeKvCache(cache);
        cached = 0;
      }
      const feed = useCache ? ids.slice(cached === 0 ? start : cached) : ids.slice(start);
      const logits = nextLogits(config, weights, adapter, feed, useCache ? cache : undefined, opts.packed);
      cached = ids.length;
      const row = await logits.data();
      logits.dispose();
      const next = sampleToken(penalise(row, ids, penalty), opts.temperature, opts.topK ?? 0, rng, opts.topP ?? 1);
      if (next === opts.eosId) return { ids: out, reason: 'eos' };
      out.push(next);
      ids.push(next);
      await opts.onToken?.(next);
      if (opts.stop && opts.stop.sequences.length > 0) {
        const text = opts.stop.decode(out);
        if (opts.stop.sequences.some((s) => s !== '' && text.includes(s))) return { ids: out, reason: 'stop' };
      }
    }
    return { ids: out, reason: 'length' };
  } finally {
    disposeKvCache(cache);
  }
}

/** The new ids only (see generateWithReason). */
export async function generate(config: ModelConfig, weights: WeightMap, adapter: Adapter | undefined, promptIds: number[], opts: GenerateOptions): Promise<number[]> {
  return (await generateWithReason(config, weights, adapter, promptIds, opts)).ids;
}
