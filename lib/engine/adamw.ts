// AdamW (Loshchilov & Hutter; torch.optim.AdamW's update): decoupled weight decay on matrices only,
// bias-corrected moments, explicit epsilon (webgl's default epsilon differs from other backends). On wasm and cpu
// one fused kernel (adamw-fused.ts) does the whole step, on webgpu one fused program per parameter
// (kernels/adamw-webgpu.ts); webgl uses the plain ops below.
import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAMW, hasFusedAdamW, type FusedAdamWAttrs } from './adamw-fused';
import './kernels/adamw-webgpu';
import { speedupOn } from './speedups';
import type { HostTensor } from './types';

export interface AdamWConfig {
  beta1: number; // 0.9
  beta2: number; // 0.999
  epsilon: number; // 1e-8
  weightDecay: number; // 0.0 .. 0.1; skipped for rank < 2 (biases, LayerNorm)
  fusedGroupFloats?: number; // FUSED_GROUP_FLOATS by default (tests set it small to run several groups)
}

/** Parameters updated per fused kernel call, in floats (64 MiB): the new values of a group exist beside the old
 * ones until the group is assigned, so this bounds the update's extra memory (one call per parameter above it). */
export const FUSED_GROUP_FLOATS = 16 * 1024 * 1024;

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

  /** For a saved train state: the step count and snapshots of both moments (tf.clone, so later steps cannot
   * change what is read); the caller reads and frees them. */
  snapshot(): { t: number; m: tf.Tensor[]; v: tf.Tensor[] } {
    return { t: this.t, m: this.m.map((x) => tf.clone(x)), v: this.v.map((x) => tf.clone(x)) };
  }

  /** Resuming: the step count and moments of a saved state (one host tensor per parameter, same shapes). */
  restore(t: number, m: HostTensor[], v: HostTensor[]): void {
    if (m.length !== this.m.length || v.length !== this.v.length) throw new Error(`The saved optimizer state has ${m.length} moments; this run has ${this.m.length} parameters`);
    this.t = t;
    const put = (dst: tf.Variable[], src: HostTensor[]) => dst.forEach((x, i) => tf.tidy(() => x.assign(tf.tensor(src[i].data, src[i].shape, 'float32'))));
    put(this.m, m);
    put(this.v, v);
  }

  /**
   * One update; grads align with the params (array) or are keyed by variable name (tf.variableGrads).
   * `apply` (a bool scalar computed on the device) lets the caller skip a bad step without reading it back
   * first: where it is false, parameters and moments keep their values. `gradScale` (a float scalar on the device,
   * e.g. the clipping coefficient) multiplies every gradient as it is read, so no scaled copy of them is made.
   */
  step(grads: tf.Tensor[] | tf.NamedTensorMap, lr: number, apply?: tf.Scalar, gradScale?: tf.Scalar): void {
    const gs = Array.isArray(grads) ? grads : this.params.map((p) => grads[p.name]);
    if (gs.length !== this.params.length) throw new Error('AdamW.step: one gradient per parameter is needed');
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.cfg;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    if (speedupOn('adamw') && hasFusedAdamW()) return this.fusedStep(gs, { lr, beta1, beta2, epsilon, bc1, bc2, decay: [] }, apply, gradScale);
    this.params.forEach((p, i) => {
      const g0 = gs[i];
      if (!g0) return; // no gradient reached this parameter: torch skips it too
      // One tidy per parameter: intermediates of a large model never pile up across parameters.
      tf.tidy(() => {
        // Clipping scales each gradient as it is read: a scaled copy of all of them would cost the gradients' memory.
        const g = gradScale ? tf.mul(g0, gradScale) : g0;
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

  /** The parameters with a gradient in a few kernel calls (groups of at most FUSED_GROUP_FLOATS, so the new
   * parameters alive beside the old ones stay small); outputs come back as p, m, v per parameter. */
  private fusedStep(gs: (tf.Tensor | undefined)[], attrs: FusedAdamWAttrs, apply?: tf.Scalar, scale?: tf.Scalar): void {
    const groups: number[][] = [];
    let size = Infinity;
    for (const i of this.params.map((_, i) => i).filter((i) => gs[i])) {
      if (size + this.params[i].size > (this.cfg.fusedGroupFloats ?? FUSED_GROUP_FLOATS)) {
        groups.push([]);
        size = 0;
      }
      groups[groups.length - 1].push(i);
      size += this.params[i].size;
    }
    for (const idx of groups) this.fusedGroup(idx, gs, attrs, apply, scale);
  }

  private fusedGroup(idx: number[], gs: (tf.Tensor | undefined)[], attrs: FusedAdamWAttrs, apply?: tf.Scalar, scale?: tf.Scalar): void {
    const inputs: tf.NamedTensorMap = { ...(apply ? { apply } : {}), ...(scale ? { scale } : {}) };
    idx.forEach((i, k) => Object.assign(inputs, { [`p${k}`]: this.params[i], [`g${k}`]: gs[i]!, [`m${k}`]: this.m[i], [`v${k}`]: this.v[i] }));
    const wd = this.cfg.weightDecay;
    const decay = idx.map((i) => (wd > 0 && this.params[i].rank >= 2 ? attrs.lr * wd : 0));
    tf.tidy(() => {
      const outs = tf.engine().runKernel(FUSED_ADAMW, inputs, { ...attrs, decay } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      idx.forEach((i, k) => {
        this.params[i].assign(outs[3 * k]);
        this.m[i].assign(outs[3 * k + 1]);
        this.v[i].assign(outs[3 * k + 2]);
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
