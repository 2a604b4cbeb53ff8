// Scaled dot-product attention, the one place both families (gpt2.ts, llama.ts) compute softmax(q k^T * scale + mask) v.
// On webgpu it runs the fused FlashAttention-2 style kernels (kernels/attention-webgpu.ts) when the `fusedAttention`
// speedup is on; everywhere else, and whenever attention dropout is on (the fused kernels keep no probabilities to drop),
// the plain tfjs ops below, which are exactly what the families computed before this seam.
import * as tf from '@tensorflow/tfjs';
import { fusedAttention } from './kernels/attention-webgpu';
import { fusedAttentionApplies } from './speedups';

export interface SdpaOptions {
  // Dropout on the attention probabilities (training with dropout > 0): rate and the mask's seed.
  dropout?: { p: number; seed: number };
}

/** Whether sdpa will take the fused kernels for a head size D and these options. */
export function usesFusedAttention(D: number, opts: SdpaOptions = {}): boolean {
  return fusedAttentionApplies(tf.getBackend(), D, opts.dropout?.p ?? 0);
}

/**
 * q [B, Hq, L, D], k and v [B, Hkv, S, D] (Hq a multiple of Hkv: query heads h*rep..h*rep+rep-1 share kv head h),
 * additive mask [L, S] or [B, 1, L, S] (S = past slots + L), scores scaled by `scale` -> [B, Hq, L, D].
 */
export function sdpa(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor, scale: number, opts: SdpaOptions = {}): tf.Tensor4D {
  const [B, H, L, D] = q.shape;
  const [, KV, S] = k.shape;
  const rep = H / KV;
  const m = mask.shape;
  if (!Number.isInteger(rep) || k.shape[0] !== B || k.shape[3] !== D || v.shape.join() !== k.shape.join()) {
    throw new Error(`attention: q [${q.shape}], k [${k.shape}], v [${v.shape}] do not fit (k and v alike, query heads a multiple of kv heads)`);
  }
  if (m[m.length - 1] !== S || m[m.length - 2] !== L || !(m.length === 2 || (m.length === 4 && m[1] === 1 && (m[0] === B || m[0] === 1)))) {
    throw new Error(`attention: mask [${m}] is not [${L}, ${S}] or [${B}, 1, ${L}, ${S}]`);
  }
  // Fold each group's query heads into the time axis so one batched product serves them without repeating k, v.
  const qg = tf.reshape(q, [B, KV, rep * L, D]) as tf.Tensor4D;
  if (usesFusedAttention(D, opts)) return tf.reshape(fusedAttention(qg, k, v, mask, scale), [B, H, L, D]);
  const raw = tf.reshape(tf.matMul(qg, k, false, true), [B, H, L, S]); // [B, H, L, S]
  const probs = tf.softmax(tf.add(tf.mul(raw, scale), mask), -1);
  const att = opts.dropout && opts.dropout.p > 0 ? tf.dropout(probs, opts.dropout.p, undefined, opts.dropout.seed) : probs;
  const y = tf.matMul(tf.reshape(att, [B, KV, rep * L, S]), v); // [B, KV, rep*L, D]
  return tf.reshape(y, [B, H, L, D]);
}
