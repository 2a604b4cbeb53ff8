// AdamW (Loshchilov & Hutter; torch.optim.AdamW's update): decoupled weight decay on matrices only,
// bias-corrected moments, explicit epsilon (webgl's default epsilon differs from other backends).
import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  beta1: number; // 0.9
  beta2: number; // 0.999
  epsilon: number; // 1e-8
  weightDecay: number; // 0.0 .. 0.1; skipped for rank < 2 (biases, LayerNorm)
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(private readonly params: tf.Variable[], private readonly cfg: AdamWConfig) {
    // tidy keeps variables but frees the zeros they were made from.
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  get stepCount(): number {
    return this.t;
  }

  /**
   * One update; grads align with the params (array) or are keyed by variable name (tf.variableGrads).
   * `apply` (a bool scalar computed on the device) lets the caller skip a bad step without reading it back
   * first: where it is false, parameters and moments keep their values.
   */
  step(grads: tf.Tensor[] | tf.NamedTensorMap, lr: number, apply?: tf.Scalar): void {
    const gs = Array.isArray(grads) ? grads : this.params.map((p) => grads[p.name]);
    if (gs.length !== this.params.length) throw new Error('AdamW.step: one gradient per parameter is needed');
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.cfg;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    this.params.forEach((p, i) => {
      const g = gs[i];
      if (!g) return; // no gradient reached this parameter: torch skips it too
      // One tidy per parameter: intermediates of a large model never pile up across parameters.
      tf.tidy(() => {
        // Decay first, from the pre-update value, as torch: p <- p * (1 - lr * wd).
        const decayed = weightDecay > 0 && p.rank >= 2 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        // p <- p - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), epsilon);
        const keep = (next: tf.Tensor, prev: tf.Tensor) => (apply ? tf.where(apply, next, prev) : next);
        p.assign(keep(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)), p));
        this.m[i].assign(keep(m, this.m[i]));
        this.v[i].assign(keep(v, this.v[i]));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
