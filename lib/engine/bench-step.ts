// One training step split into forward, backward and optimizer time, for the benchmark. It runs the trainer's
// step (forward, causal LM loss, gradients, clip 1.0, AdamW, one readback) with a clock between the phases.
import * as tf from '@tensorflow/tfjs';
import { AdamW } from './adamw';
import { causalLmLoss } from './loss';
import { createLora, disposeLora, loraVariables, type LoraState } from './lora';
import { forward } from './model';
import { mulberry32 } from './random';
import type { LoraConfig, ModelConfig, WeightMap } from './types';

export interface StepTimes {
  forwardMs: number;
  backwardMs: number;
  optimizerMs: number;
  totalMs: number; // includes the readback of [loss, grad norm]
  loss: number;
}

export interface BenchStepSetup {
  config: ModelConfig;
  weights: WeightMap; // not owned
  method: 'lora' | 'full';
  batch: number;
  seqLen: number;
  lora: LoraConfig;
  lr: number;
  weightDecay: number;
}

const now = () => performance.now();

/** The trainer's step with phase clocks; clocks are exact on synchronous backends (cpu, wasm). */
export class BenchStep {
  private readonly lora: LoraState | null;
  private readonly vars: tf.Variable[];
  private readonly model: WeightMap;
  private readonly opt: AdamW;
  private readonly ids: tf.Tensor2D;
  private readonly mask: tf.Tensor2D;

  constructor(private readonly s: BenchStepSetup) {
    this.lora = s.method === 'lora' ? createLora(s.config, { ...s.lora, dropout: 0 }, 1) : null;
    this.vars = this.lora ? loraVariables(this.lora) : [...s.weights.values()].map((w) => tf.variable(w, true));
    this.model = this.lora ? s.weights : new Map([...s.weights.keys()].map((k, i) => [k, this.vars[i]]));
    this.opt = new AdamW(this.vars, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: s.weightDecay });
    const rng = mulberry32(7);
    const V = s.config.vocab_size;
    this.ids = tf.tensor2d(Array.from({ length: s.batch * s.seqLen }, () => Math.floor(rng() * V)), [s.batch, s.seqLen], 'int32');
    this.mask = tf.ones([s.batch, s.seqLen]) as tf.Tensor2D;
  }

  get tokens(): number {
    return this.s.batch * this.s.seqLen;
  }

  get trainableParams(): number {
    return this.vars.reduce((a, v) => a + v.size, 0);
  }

  /** The forward pass and loss alone (no tape), for profiling which kernels the forward runs. */
  forwardLoss(): number {
    return tf.tidy(() => causalLmLoss(forward(this.s.config, this.model, this.ids, { lora: this.lora ?? undefined, training: true }), this.ids, this.mask).dataSync()[0]);
  }

  async run(): Promise<StepTimes> {
    const t0 = now();
    let t1 = t0;
    let t2 = t0;
    const out = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const loss = causalLmLoss(forward(this.s.config, this.model, this.ids, { lora: this.lora ?? undefined, training: true }), this.ids, this.mask);
        t1 = now();
        return loss;
      }, this.vars);
      const gs = this.vars.map((v) => grads[v.name]);
      const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
      const coef = tf.minimum(1, tf.div(1, tf.add(norm, 1e-6)));
      const clipped = gs.map((g) => tf.mul(g, coef));
      const finite = tf.logicalAnd(tf.isFinite(value), tf.isFinite(norm)) as tf.Scalar;
      t2 = now();
      this.opt.step(clipped, this.s.lr, finite);
      return tf.stack([value, norm]);
    });
    const t3 = now();
    const [loss] = await out.data();
    out.dispose();
    return { forwardMs: t1 - t0, backwardMs: t2 - t1, optimizerMs: t3 - t2, totalMs: now() - t0, loss };
  }

  dispose(): void {
    this.opt.dispose();
    tf.dispose([this.ids, this.mask]);
    if (this.lora) disposeLora(this.lora);
    else this.vars.forEach((v) => v.dispose());
  }
}
