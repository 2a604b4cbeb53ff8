// One training step split into forward, backward and optimizer time, for the benchmark. It runs the trainer's
// step (the causal LM objective, gradients, clip 1.0, AdamW, one readback) with a clock between the phases.
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './add-n';
import { AdamW } from './adamw';
import { makeBatch, type Batch } from './batch';
import { defaultTrainConfig } from './defaults';
import { causalLmBatchLoss } from './objective';
import { peftMethod } from './peft/methods';
import type { TrainableState } from './peft/types';
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
  checkpointing?: boolean;
}

const now = () => performance.now();

/** The trainer's step with phase clocks; clocks are exact on synchronous backends (cpu, wasm). */
export class BenchStep {
  private readonly state: TrainableState;
  private readonly vars: tf.Variable[];
  private readonly opt: AdamW;
  private readonly batch: Batch;

  constructor(private readonly s: BenchStepSetup) {
    this.state = peftMethod(s.method).create(s.config, s.weights, { ...defaultTrainConfig(s.method), lora: { ...s.lora, dropout: 0 } }, 1);
    this.vars = this.state.variables;
    this.opt = new AdamW(this.vars, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: s.weightDecay });
    const rng = mulberry32(7);
    const V = s.config.vocab_size;
    const rows = Array.from({ length: s.batch }, () => {
      const ids = Array.from({ length: s.seqLen }, () => Math.floor(rng() * V));
      return { ids, mask: ids.map(() => 1) };
    });
    this.batch = makeBatch(rows, s.seqLen, 0);
  }

  private loss(): tf.Scalar {
    const opts = { adapter: this.state.adapter, training: true, checkpointing: this.s.checkpointing ?? false };
    return causalLmBatchLoss(this.s.config, this.state.weights, this.batch, opts);
  }

  get tokens(): number {
    return this.s.batch * this.s.seqLen;
  }

  get trainableParams(): number {
    return this.vars.reduce((a, v) => a + v.size, 0);
  }

  /** The forward pass and loss alone (no tape), for profiling which kernels the forward runs. */
  forwardLoss(): number {
    return tf.tidy(() => this.loss().dataSync()[0]);
  }

  async run(): Promise<StepTimes> {
    const t0 = now();
    let t1 = t0;
    let t2 = t0;
    const out = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const loss = this.loss();
        t1 = now();
        return loss;
      }, this.vars);
      const gs = this.vars.map((v) => grads[v.name]);
      const norm = tf.sqrt(sumTensors(gs.map((g) => tf.sum(tf.square(g)))));
      const coef = tf.minimum(1, tf.div(1, tf.add(norm, 1e-6))) as tf.Scalar;
      const finite = tf.logicalAnd(tf.isFinite(value), tf.isFinite(norm)) as tf.Scalar;
      t2 = now();
      this.opt.step(gs, this.s.lr, finite, coef);
      return tf.stack([value, norm]);
    });
    const t3 = now();
    const [loss] = await out.data();
    out.dispose();
    return { forwardMs: t1 - t0, backwardMs: t2 - t1, optimizerMs: t3 - t2, totalMs: now() - t0, loss };
  }

  dispose(): void {
    this.opt.dispose();
    this.state.dispose();
  }
}
