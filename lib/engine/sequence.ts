// What one forward pass attends over, for both families: the rows it runs (prompt tuning's virtual tokens, then the
// input tokens), the key/value slots before them (prefix tuning's learned prefix, or a KV cache from earlier calls),
// the positions of its rows and the additive mask. Also the KV cache itself, which generation keeps across calls.
import * as tf from '@tensorflow/tfjs';
import type { Adapter } from './peft/types';
import { packedAttention, type Segments } from './segments';

/** Keys and values of every layer for the positions run so far ([B, kvHeads, P, D] each; GPT-2: kvHeads = heads).
 * Llama keys are stored rotated (as transformers' cache); prefix-tuning slots are stored as learned, unrotated.
 * `length` = P: the next token's position. Owned by the caller: free it with disposeKvCache. */
export interface KvCache {
  layers: ({ k: tf.Tensor4D; v: tf.Tensor4D } | undefined)[];
  length: number;
}

export function newKvCache(): KvCache {
  return { layers: [], length: 0 };
}

export function disposeKvCache(cache: KvCache): void {
  for (const l of cache.layers) if (l) tf.dispose([l.k, l.v]);
  cache.layers = [];
  cache.length = 0;
}

/** Positions an adapter takes before the input tokens of a sequence (virtual rows and prefix slots). */
export function adapterPositions(adapter: Adapter | undefined): number {
  return (adapter?.prompt?.n ?? 0) + (adapter?.prefix?.n ?? 0);
}

/** The shape of one pass. Rows are [virtual (V); input (T)] = L per batch row; keys are [past (P); rows]. */
export interface SeqPlan {
  B: number;
  T: number; // input tokens per row
  virtual: number; // prompt-tuning rows put first (V), dropped from the returned hidden states
  L: number; // V + T rows run per batch row
  past: number; // P key/value slots before the rows: the adapter's prefix, or the cache's length
  fromCache: boolean; // past slots are the cache's (else the adapter's prefix, when it has one)
  mask: tf.Tensor; // additive, [L, P + L] or [B, 1, L, P + L] (packed)
  positions: tf.Tensor2D | null; // [B, L] int32 for packed rows; null: rows take positions P..P+L-1
}

/** Mask [rows, past + rows] (or [B, 1, ...] over a packed mask of the input part) whose past columns are all open. */
function withPast(mask: tf.Tensor, past: number): tf.Tensor {
  if (past === 0) return mask;
  const shape = [...mask.shape];
  shape[shape.length - 1] = past;
  return tf.concat([tf.zeros(shape), mask], -1);
}

/** Additive causal mask [T, T]: 0 where key j <= query i, -1e9 above the diagonal (exp underflows to 0). */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}

/**
 * The plan for ids [B, T]: prompt tuning's rows and prefix tuning's slots come from the adapter when the pass
 * starts a sequence (no cache, or an empty one); a non-empty cache supplies the past instead. Packed rows
 * (segments): every input token sees all virtual rows and prefix slots, and its own example causally; positions
 * restart per example after them, so each example computes what it would alone with the adapter.
 */
export function sequencePlan(adapter: Adapter | undefined, B: number, T: number, segments?: Segments, cache?: KvCache): SeqPlan {
  const fromCache = !!cache && cache.length > 0;
  if (segments && cache) throw new Error('A KV cache cannot be used with packed rows (segments)');
  const virtual = fromCache ? 0 : (adapter?.prompt?.n ?? 0);
  const past = fromCache ? cache!.length : (adapter?.prefix?.n ?? 0);
  const L = virtual + T;
  if (!segments) return { B, T, virtual, L, past, fromCache, mask: withPast(causalMask(L), past), positions: null };
  const packed = packedAttention(segments, B, T); // mask [B, 1, T, T], positions [B, T]
  if (virtual === 0 && past === 0) return { B, T, virtual, L, past, fromCache, mask: packed.mask, positions: packed.positions };
  const start = past + virtual;
  const mask = tf.tidy(() => {
    // Virtual rows see the past and each other causally, no input token; input rows see every virtual row.
    const top = tf.tile(tf.reshape(tf.concat([causalMask(virtual), tf.fill([virtual, T], -1e9)], 1), [1, 1, virtual, L]), [B, 1, 1, 1]);
    const bottom = tf.concat([tf.zeros([B, 1, T, virtual]), packed.mask], 3);
    return withPast(virtual > 0 ? tf.concat([top, bottom], 2) : bottom, past);
  });
  const positions = tf.tidy(() => {
    const real = tf.add(packed.positions, start) as tf.Tensor2D; // [B, T]
    if (virtual === 0) return tf.cast(real, 'int32') as tf.Tensor2D;
    const lead = tf.tile(tf.reshape(tf.range(past, start, 1, 'int32'), [1, virtual]), [B, 1]);
    return tf.concat([lead, tf.cast(real, 'int32')], 1) as tf.Tensor2D;
  });
  tf.dispose([packed.mask, packed.positions]);
  return { B, T, virtual, L, past, fromCache, mask, positions };
}

/**
 * Layer `layer`'s keys and values over [past; rows], from this pass's k, v [B, KV, L, D]: the cache's (fromCache),
 * the adapter's prefix (learned, broadcast over the batch) or none before them. With a cache, the result is stored
 * as the layer's new cache entry (kept out of any tidy; the old entry is freed).
 */
export function keysValues(adapter: Adapter | undefined, plan: SeqPlan, layer: number, k: tf.Tensor4D, v: tf.Tensor4D, cache?: KvCache): { k: tf.Tensor4D; v: tf.Tensor4D } {
  let out = { k, v };
  if (plan.fromCache) {
    const old = cache!.layers[layer];
    if (!old) throw new Error(`The KV cache has no entry for layer ${layer}`);
    out = { k: tf.concat([old.k, k], 2), v: tf.concat([old.v, v], 2) };
  } else if (plan.past > 0) {
    const p = adapter!.prefix!.keyValues(layer); // [KV, n, D] each
    const lead = (t: tf.Tensor3D) => tf.tile(tf.expandDims(t, 0), [plan.B, 1, 1, 1]) as tf.Tensor4D;
    out = { k: tf.concat([lead(p.k), k], 2), v: tf.concat([lead(p.v), v], 2) };
  }
  if (cache) {
    const old = cache.layers[layer];
    cache.layers[layer] = { k: tf.keep(tf.clone(out.k)), v: tf.keep(tf.clone(out.v)) };
    if (old) tf.dispose([old.k, old.v]);
  }
  return out;
}

/** Drops the virtual rows: h [B*L, C] -> [B, T, C]. */
export function inputRows(h: tf.Tensor2D, plan: SeqPlan): tf.Tensor3D {
  const C = h.shape[1];
  const h3 = tf.reshape(h, [plan.B, plan.L, C]) as tf.Tensor3D;
  return plan.virtual > 0 ? tf.slice(h3, [0, plan.virtual, 0], [plan.B, plan.T, C]) : h3;
}

/** Input embeddings [B, T, C] with the adapter's virtual rows [V, C] put first: [B, L, C]. */
export function withVirtualRows(adapter: Adapter | undefined, plan: SeqPlan, tok: tf.Tensor3D): tf.Tensor3D {
  if (plan.virtual === 0) return tok;
  const rows = adapter!.prompt!.embeddings(); // [V, C]
  return tf.concat([tf.tile(tf.expandDims(rows, 0), [plan.B, 1, 1]), tok], 1) as tf.Tensor3D;
}
