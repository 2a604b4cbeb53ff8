// Log-probabilities of many target tokens at once, chunked as the causal LM loss is (chunked-loss.ts): for hidden
// rows h [M, C] and the output embedding W [V, C], logp[i] = z_i[t_i] - logsumexp(z_i) with z_i = h_i W^T, as
// one op whose backward takes a separate upstream gradient per token (the causal LM loss only ever needs their
// sum), so per-sequence sums of a whole batch cost one pass, not one per sequence.
//
// Backward for upstream dy [M]: dz_i = dy_i (onehot(t_i) - softmax(z_i)), so dh = dy * W[t] - (dy * softmax) W and
// dW = scatter(t, dy * h) - (dy * softmax)^T h. The softmax is kept when every chunk's fits in KEEP_BYTES, else
// recomputed per chunk in the backward pass.
import * as tf from '@tensorflow/tfjs';
import { chunkTokensFor, KEEP_BYTES, type ChunkOptions } from '../chunked-loss';

function chunks(M: number, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < M; s += n) out.push([s, Math.min(n, M - s)]);
  return out;
}

/** softmax(h W^T) [n, V] of one chunk and its target log-probabilities [n]. */
function chunkForward(h: tf.Tensor2D, W: tf.Tensor2D, t: tf.Tensor1D): { p: tf.Tensor2D; logp: tf.Tensor1D } {
  return tf.tidy(() => {
    const z = tf.matMul(h, W, false, true); // [n, V]
    const lse = tf.logSumExp(z, 1, true); // [n, 1]
    const zt = tf.sum(tf.mul(h, tf.gather(W, t)), 1); // [n]
    return { p: tf.exp(tf.sub(z, lse)) as tf.Tensor2D, logp: tf.sub(zt, tf.reshape(lse, [-1])) as tf.Tensor1D };
  });
}

/** log p(targets[i] | h[i]) for every row, [M]; with trainW the gradient also reaches W (full fine-tuning). */
export function tokenLogps(h: tf.Tensor2D, W: tf.Tensor2D, targets: Int32Array, trainW: boolean, opts: ChunkOptions = {}): tf.Tensor1D {
  const [M] = h.shape;
  const V = W.shape[0];
  const parts = chunks(M, chunkTokensFor(V, opts));
  const keep = M * V * 4 <= (opts.keepBytes ?? KEEP_BYTES);
  const t = tf.tensor1d(targets, 'int32');
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [hIn, wIn] = [args[0] as tf.Tensor2D, (trainW ? args[1] : W) as tf.Tensor2D];
    const kept: tf.Tensor2D[] = [];
    const logps = parts.map(([s, n]) => {
      const { p, logp } = chunkForward(tf.slice(hIn, [s, 0], [n, -1]), wIn, tf.slice(t, [s], [n]));
      if (keep) kept.push(p);
      else p.dispose();
      return logp;
    });
    save([hIn, t, ...kept]); // W is a weight that outlives the step: read from the closure, not saved
    const value = tf.concat(logps);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor1D, wIn, saved, parts, trainW);
    return { value, gradFunc };
  });
  const out = trainW ? op(h, W) : op(h);
  t.dispose();
  return out as tf.Tensor1D;
}

function backward(dy: tf.Tensor1D, W: tf.Tensor2D, saved: tf.Tensor[], parts: [number, number][], trainW: boolean): tf.Tensor[] {
  const [h, t, ...kept] = saved as [tf.Tensor2D, tf.Tensor1D, ...tf.Tensor2D[]];
  const acc: { dW: tf.Tensor | null } = { dW: null }; // -(dy * softmax)^T h summed over chunks, [V, C]
  const dhs = parts.map(([s, n], k) => tf.tidy(() => {
    const hc = tf.slice(h, [s, 0], [n, -1]);
    const tc = tf.slice(t, [s], [n]);
    const dyc = tf.reshape(tf.slice(dy, [s], [n]), [n, 1]);
    const p = tf.mul(kept[k] ?? chunkForward(hc, W, tc).p, dyc); // [n, V]
    if (trainW) {
      const part = tf.matMul(p, hc, true, false);
      const next = tf.keep(acc.dW ? tf.add(acc.dW, part) : part);
      acc.dW?.dispose();
      acc.dW = next;
    }
    return tf.sub(tf.mul(tf.gather(W, tc), dyc), tf.matMul(p, W)); // [n, C]
  }));
  const dh = tf.concat(dhs, 0);
  if (!trainW || !acc.dW) return [dh];
  const dW = tf.sub(tf.scatterND(tf.reshape(t, [-1, 1]), tf.mul(h, tf.reshape(dy, [-1, 1])), W.shape), acc.dW);
  acc.dW.dispose();
  return [dh, dW];
}
