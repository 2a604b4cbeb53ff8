// The causal LM loss straight from hidden states, chunked over the tokens that carry loss: logits exist only for
// those tokens and only one chunk at a time, and no one-hot targets are ever made. What training uses.
//
// Written by hand: tfjs has no fused cross-entropy. Per chunk of n counted tokens with hidden rows h [n, C] and the
// output embedding W [V, C]: logits z = h W^T, loss = sum(logsumexp(z) - z[target]), where z[target] = h . W[target].
// Backward: dz = softmax(z) - onehot(target), so dh = softmax(z) W - W[target] and dW = softmax(z)^T h minus the
// rows of h scattered into their targets' rows. The softmax is kept from the forward pass when all chunks' fit in
// KEEP_BYTES, and recomputed per chunk otherwise. On webgpu (switch fusedLoss) the per-row passes are two programs
// of kernels/loss-webgpu.ts instead: the logits are kept (not the softmax), dz comes from them in one pass with the
// one-hot part inside it, and dh = dz W, dW = dz^T h need no gather or scatter.
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './add-n';
import { embeddingLookup } from './embedding';
import { fusedLossOn, lossGrad, lossStats } from './kernels/loss-webgpu';

/** Host-side view of which positions the loss counts: hidden row b*T + t-1 predicts ids[b*T + t] when mask[b*T + t]. */
export interface LossTargets {
  rows: Int32Array; // [M] index into the [B*T] hidden rows
  targets: Int32Array; // [M] token ids
}

/** The counted (row, target) pairs of a [B, T] batch; position 0 of each row predicts nothing. */
export function lossTargets(ids: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number): LossTargets {
  const rows: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) {
      if (mask[b * T + t] > 0) {
        rows.push(b * T + t - 1);
        targets.push(ids[b * T + t]);
      }
    }
  }
  return { rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/** Logits of at most this many floats per chunk ([n, V]): 16 MiB, a few buffers of it alive at once. */
export const CHUNK_FLOATS = 1 << 22;
/**
 * Keep every chunk's softmax for the backward pass (no recomputation) when they fit in this many bytes. GPT-2's
 * head at batch 4 x 128 (102 MB of softmax) is kept: that saves a quarter of a LoRA step on wasm (18.9 s -> 13.7 s
 * for the 2-layer GPT-2-small shape) for 111 MiB more peak, about what PyTorch holds for its full logits.
 */
export const KEEP_BYTES = 128 * 1024 ** 2;

export interface ChunkOptions {
  chunkTokens?: number; // tokens per chunk; default CHUNK_FLOATS / V
  keepBytes?: number; // default KEEP_BYTES
}

/** Tokens per chunk for a vocabulary of V (at least 1). */
export function chunkTokensFor(V: number, opts: ChunkOptions = {}): number {
  return Math.max(1, opts.chunkTokens ?? Math.floor(CHUNK_FLOATS / V));
}

function chunks(M: number, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < M; s += n) out.push([s, Math.min(n, M - s)]);
  return out;
}

/** softmax(h W^T) of one chunk [n, V], and its summed negative log-likelihood. */
function chunkForward(h: tf.Tensor2D, W: tf.Tensor2D, t: tf.Tensor1D): { p: tf.Tensor2D; nll: tf.Scalar } {
  return tf.tidy(() => {
    const z = tf.matMul(h, W, false, true); // [n, V]
    const lse = tf.logSumExp(z, 1, true); // [n, 1]
    const zt = tf.sum(tf.mul(h, tf.gather(W, t)), 1); // [n]: the target logits
    const nll = tf.sub(tf.sum(lse), tf.sum(zt)) as tf.Scalar;
    return { p: tf.exp(tf.sub(z, lse)) as tf.Tensor2D, nll };
  });
}

/**
 * Sum over counted tokens of -log p(target | row); h [M, C] are the predicting hidden rows, W [V, C] the output
 * embedding. With trainW the gradient also flows to W (full fine-tuning); otherwise W is a constant and its
 * [V, C] gradient is never formed.
 */
export function summedNll(h: tf.Tensor2D, W: tf.Tensor2D, targets: Int32Array, trainW: boolean, opts: ChunkOptions = {}): tf.Scalar {
  const [M] = h.shape;
  const V = W.shape[0];
  const parts = chunks(M, chunkTokensFor(V, opts));
  const keep = M * V * 4 <= (opts.keepBytes ?? KEEP_BYTES);
  if (fusedLossOn()) return fusedSummedNll(h, W, targets, trainW, parts, keep);
  const t = tf.tensor1d(targets, 'int32');
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [hIn, wIn] = [args[0] as tf.Tensor2D, (trainW ? args[1] : W) as tf.Tensor2D];
    const kept: tf.Tensor2D[] = [];
    const nlls = parts.map(([s, n]) => {
      const { p, nll } = chunkForward(tf.slice(hIn, [s, 0], [n, -1]), wIn, tf.slice(t, [s], [n]));
      if (keep) kept.push(p);
      else p.dispose();
      return nll;
    });
    // W is not saved: it is a model weight or variable that outlives the step, and a saved clone would count (and,
    // on backends that copy, cost) another [V, C] tensor.
    save([hIn, t, ...kept]);
    const value = nlls.length ? sumTensors(nlls as tf.Scalar[]) : tf.scalar(0);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Scalar, wIn, saved, parts, trainW);
    return { value, gradFunc };
  });
  const out = trainW ? op(h, W) : op(h);
  t.dispose();
  return out as tf.Scalar;
}

/** [dh] or [dh, dW] for summedNll, from the kept softmax or a recomputed one per chunk. */
function backward(dy: tf.Scalar, W: tf.Tensor2D, saved: tf.Tensor[], parts: [number, number][], trainW: boolean): tf.Tensor[] {
  const [h, t, ...kept] = saved as [tf.Tensor2D, tf.Tensor1D, ...tf.Tensor2D[]];
  const acc: { dW: tf.Tensor | null } = { dW: null }; // dy * softmax^T h summed over chunks, [V, C]
  const dhs = parts.map(([s, n], k) => tf.tidy(() => {
    const hc = tf.slice(h, [s, 0], [n, -1]);
    const tc = tf.slice(t, [s], [n]);
    const p = tf.mul(kept[k] ?? chunkForward(hc, W, tc).p, dy); // [n, V]; scaled here, never a [V, C] product
    if (trainW) {
      // Kept across chunks (tidy would free it) and freed as soon as the next sum replaces it.
      const part = tf.matMul(p, hc, true, false);
      const next = tf.keep(acc.dW ? tf.add(acc.dW, part) : part);
      acc.dW?.dispose();
      acc.dW = next;
    }
    return tf.sub(tf.matMul(p, W), tf.mul(tf.gather(W, tc), dy)); // [n, C]
  }));
  const dh = tf.concat(dhs, 0);
  if (!trainW || !acc.dW) return [dh];
  // The onehot part of dW: each row of dy * h subtracted from its target's row (duplicates summed).
  const dW = tf.sub(acc.dW, tf.scatterND(tf.reshape(t, [-1, 1]), tf.mul(h, dy), W.shape));
  acc.dW.dispose();
  return [dh, dW];
}

/** summedNll with the webgpu loss kernels: per chunk z = h W^T (kept when `keep`), its row statistics [n, 2]
 * (log-sum-exp, row loss) kept always; the backward pass takes dz from z and the statistics in one program. */
function fusedSummedNll(h: tf.Tensor2D, W: tf.Tensor2D, targets: Int32Array, trainW: boolean, parts: [number, number][], keep: boolean): tf.Scalar {
  const t = tf.tensor1d(targets, 'int32');
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [hIn, wIn] = [args[0] as tf.Tensor2D, (trainW ? args[1] : W) as tf.Tensor2D];
    const out = tf.tidy(() => {
      const kept: tf.Tensor2D[] = [];
      const stats = parts.map(([s, n]) => {
        const z = tf.matMul(tf.slice(hIn, [s, 0], [n, -1]), wIn, false, true) as tf.Tensor2D; // [n, V]
        if (keep) kept.push(z);
        return lossStats(z, tf.slice(t, [s], [n]) as tf.Tensor1D); // [n, 2]
      });
      const value = sumTensors(stats.map((st) => tf.sum(tf.slice(st, [0, 1], [-1, 1])) as tf.Scalar));
      return { value, stats, kept };
    });
    save([hIn, t, ...out.stats, ...out.kept]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => fusedBackward(dy, wIn, saved, parts, trainW, keep);
    return { value: out.value, gradFunc };
  });
  const out = trainW ? op(h, W) : op(h);
  t.dispose();
  return out as tf.Scalar;
}

/** [dh] or [dh, dW] for fusedSummedNll: dz per chunk from its kept (or recomputed) logits, then two products. */
function fusedBackward(dy: tf.Tensor, W: tf.Tensor2D, saved: tf.Tensor[], parts: [number, number][], trainW: boolean, keep: boolean): tf.Tensor[] {
  const [h, t] = saved as [tf.Tensor2D, tf.Tensor1D];
  const stats = saved.slice(2, 2 + parts.length) as tf.Tensor2D[];
  const kept = (keep ? saved.slice(2 + parts.length) : []) as tf.Tensor2D[];
  const acc: { dW: tf.Tensor | null } = { dW: null }; // dz^T h summed over chunks, [V, C]
  const dhs = parts.map(([s, n], k) => tf.tidy(() => {
    const hc = tf.slice(h, [s, 0], [n, -1]);
    const z = kept[k] ?? tf.matMul(hc, W, false, true); // [n, V]
    const dz = lossGrad(z as tf.Tensor2D, stats[k], tf.slice(t, [s], [n]) as tf.Tensor1D, dy); // [n, V], dy and the one-hot inside
    if (trainW) {
      const part = tf.matMul(dz, hc, true, false);
      const next = tf.keep(acc.dW ? tf.add(acc.dW, part) : part);
      acc.dW?.dispose();
      acc.dW = next;
    }
    return tf.matMul(dz, W); // [n, C]
  }));
  const dh = dhs.length === 1 ? dhs[0] : tf.concat(dhs, 0);
  return trainW && acc.dW ? [dh, acc.dW] : [dh];
}

/**
 * Mean negative log-likelihood over counted targets from final hidden states [B, T, C] and the output embedding
 * W [V, C]: the same value and gradients as causalLmLoss(lmHead(hidden, W), ids, mask), without [B, T, V] logits.
 * An empty target set gives 0.
 */
export function chunkedCausalLmLoss(hidden: tf.Tensor3D, W: tf.Tensor, lt: LossTargets, opts: ChunkOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, C] = hidden.shape;
    const M = lt.rows.length;
    if (M === 0) return tf.mul(tf.sum(hidden), 0) as tf.Scalar; // keeps the graph connected, value 0
    const rows = embeddingLookup(tf.reshape(hidden, [B * T, C]), tf.tensor1d(lt.rows, 'int32')) as tf.Tensor2D; // [M, C]
    const trainW = W instanceof tf.Variable && W.trainable;
    return tf.div(summedNll(rows, W as tf.Tensor2D, lt.targets, trainW, opts), M) as tf.Scalar;
  });
}
