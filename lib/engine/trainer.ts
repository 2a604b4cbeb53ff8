// The training loop: seeded batches, gradient accumulation, global-norm clipping, AdamW and a schedule,
// for any registered method (lib/engine/peft: LoRA, full, ...), reporting through typed events. Each step's
// compute is one tf.tidy.
import * as tf from '@tensorflow/tfjs';
import { AdamW } from './adamw';
import { BatchSampler, makeBatch, packTrainingRows, type Batch } from './batch';
import { causalLmBatchLoss } from './objective';
import type { PackedWeight } from './packed-weights';
import { readHost } from './peft/host';
import { isLoraState, type LoraState } from './peft/lora';
import { methodForPeftType, peftMethod } from './peft/methods';
import type { PeftMethod } from './peft/method';
import type { PeftFiles, TrainableState } from './peft/types';
import { deriveSeed } from './random';
import { learningRateAt } from './schedule';
import { isGpt2, maxPositions, type Example, type HostTensor, type ModelConfig, type TrainConfig, type TrainerEvents, type TrainResult, type WeightMap } from './types';

export { BatchSampler, LENGTH_BUCKET, makeBatch, type Batch } from './batch';

export interface TrainerModel {
  config: ModelConfig;
  weights: WeightMap; // not owned: the trainer never disposes these
  /** Frozen block linears stored packed (packLinears), read instead of their float32 weights; not owned. Adapter
   * methods only: a packed weight cannot be trained. */
  packed?: Map<string, PackedWeight>;
  /** Adapter files to continue training from (`train --adapter`), read by the run's method instead of a new state. */
  resume?: PeftFiles;
}

/** Validation passes read at most this many batches (a fixed subset, so curves stay comparable), as nanoGPT's
 * eval_iters: a full pass over a large validation set would stall training for minutes in a browser. */
export const MAX_EVAL_BATCHES = 8;

/** Steps averaged for the reported tokens/s. */
const SPEED_WINDOW = 10;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
// A macrotask boundary: `await t.data()` on cpu/wasm resolves as a microtask, which would starve worker messages.
const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

function validate(cfg: TrainConfig, config: ModelConfig, train: Example[]): void {
  const positive = ['steps', 'batchSize', 'gradAccum', 'seqLen'] as const;
  for (const k of positive) if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`${k} must be a positive integer`);
  if (cfg.seqLen < 2) throw new Error('seqLen must be at least 2');
  if (!(cfg.lr > 0)) throw new Error('lr must be positive');
  if (train.length === 0) throw new Error('The training set is empty');
  peftMethod(cfg.method); // throws on an unknown method
  if (isGpt2(config) && config.n_embd % config.n_head !== 0) throw new Error('n_embd must be divisible by n_head');
}

/** The state of an adapter to continue training, refused when the files are another method's. */
function resumeState(method: PeftMethod, model: TrainerModel): TrainableState {
  const files = model.resume!;
  const owner = methodForPeftType(files.config.peft_type, files.config);
  if (owner.id !== method.id) throw new Error(`The adapter to continue is ${owner.label} (peft_type ${String(files.config.peft_type)}), but the run's method is ${method.label}`);
  return method.load!(files, model.config, model.weights);
}

/** The loss or gradient stopped being a finite number; the weights are those of the last good step. */
export class TrainingDivergedError extends Error {
  constructor(readonly step: number, loss: number, gradNorm: number, lr: number) {
    super(
      `Training stopped at step ${step}: the ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} became ${Number.isFinite(loss) ? gradNorm : loss}. ` +
        `The model keeps the weights of step ${step - 1}. Lower the learning rate (it was ${lr.toExponential(2)}) or turn on gradient clipping, then start again.`,
    );
    this.name = 'TrainingDivergedError';
  }
}

export class Trainer {
  private readonly cfg: TrainConfig;
  private readonly config: ModelConfig;
  private readonly packed?: Map<string, PackedWeight>;
  private readonly method: PeftMethod;
  private readonly state: TrainableState; // the method's variables, the weights the forward pass reads, its hook
  private readonly vars: tf.Variable[];
  private readonly opt: AdamW;
  private readonly sampler: BatchSampler;
  private readonly seqLen: number;
  private readonly rows: Example[]; // what the sampler draws: the examples, or packed rows with segments
  /** With cfg.packing: the share of padding packing removed (0..1); null when examples are not packed. */
  readonly paddingSavedShare: number | null;
  private step = 0;
  private tokens = 0;
  private recent: { tokens: number; ms: number }[] = []; // last steps, for the current speed
  private paused = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running = false;

  constructor(model: TrainerModel, train: Example[], private readonly validation: Example[], cfg: TrainConfig, private readonly events: TrainerEvents = {}) {
    validate(cfg, model.config, train);
    this.cfg = cfg;
    this.config = model.config;
    this.seqLen = Math.min(cfg.seqLen, maxPositions(model.config));
    this.method = peftMethod(cfg.method);
    if (model.packed?.size && this.method.exports !== 'adapter') {
      throw new Error(`${this.method.label} trains the base weights, which are stored packed (f16/int8) and frozen: load the model in float32 to use it`);
    }
    this.packed = model.packed;
    this.state = model.resume ? resumeState(this.method, model) : this.method.create(model.config, model.weights, cfg, deriveSeed(cfg.seed, 0x10a));
    this.vars = this.state.variables;
    this.opt = new AdamW(this.vars, cfg);
    const packed = cfg.packing ? packTrainingRows(train, this.seqLen, this.padId) : null;
    this.rows = packed?.rows ?? train;
    this.paddingSavedShare = packed?.paddingSavedShare ?? null;
    this.sampler = new BatchSampler(this.rows.length, cfg.seed);
  }

  private get padId(): number {
    // Llama 3 style configs list several end tokens: pad with the first.
    const eos = this.config.eos_token_id as number | number[] | undefined;
    return (Array.isArray(eos) ? eos[0] : eos) ?? 0;
  }

  /** Mean loss of one micro-batch (a scalar on the tape): logits only for the tokens that carry loss, a chunk at
   * a time, and with checkpointing no block keeps more than its input for the backward pass. */
  private microLoss(b: Batch, training: boolean, seed: number): tf.Scalar {
    return causalLmBatchLoss(this.config, this.state.weights, b, {
      adapter: this.state.adapter, packed: this.packed, training, dropout: this.cfg.dropout ?? 0, seed,
      checkpointing: training && (this.cfg.checkpointing ?? false),
    });
  }

  /** Gradients of the token-weighted mean loss over the micro-batches, summed as they come. */
  private accumulate(batches: Batch[], total: number): { loss: tf.Scalar; grads: tf.Tensor[] } {
    let loss: tf.Scalar = tf.scalar(0);
    const acc: (tf.Tensor | null)[] = this.vars.map(() => null);
    batches.forEach((b, k) => {
      if (b.counted === 0) return;
      // Weight by counted targets so the step's loss is the mean over all its tokens, as in types.ts.
      const w = b.counted / total;
      const seed = deriveSeed(this.cfg.seed, this.step, k);
      const { value, grads } = tf.variableGrads(() => tf.mul(this.microLoss(b, true, seed), w) as tf.Scalar, this.vars);
      this.vars.forEach((v, i) => {
        const g = grads[v.name];
        if (!g) return;
        const prev = acc[i];
        acc[i] = prev ? tf.add(prev, g) : g;
        // Free superseded buffers now, not at the end of the tidy: they are model-sized.
        if (prev) tf.dispose([prev, g]);
      });
      const l = tf.add(loss, value) as tf.Scalar;
      tf.dispose([loss, value]);
      loss = l;
    });
    return { loss, grads: acc.map((g, i) => g ?? tf.zerosLike(this.vars[i])) };
  }

  /** Sync compute of one optimizer step; returns [loss, pre-clip grad norm]. */
  private computeStep(batches: Batch[], lr: number): tf.Tensor1D {
    return tf.tidy(() => {
      const total = batches.reduce((a, b) => a + b.counted, 0);
      const { loss, grads } = this.accumulate(batches, Math.max(1, total));
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))); // global L2 norm
      // torch's clip_grad_norm_: scale by min(1, max_norm / (norm + 1e-6)), applied by the optimizer as it reads each
      // gradient (a scaled copy of every gradient would cost as much memory as the gradients).
      const coef = this.cfg.clipNorm > 0 ? (tf.minimum(1, tf.div(this.cfg.clipNorm, tf.add(norm, 1e-6))) as tf.Scalar) : undefined;
      // A NaN or infinite loss or gradient must not reach the weights: the step is skipped on the device and
      // the loop stops with an error after reading it, so the last good weights stay exportable.
      const finite = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(norm)) as tf.Scalar;
      this.opt.step(grads, lr, finite, coef);
      return tf.stack([loss, norm]) as tf.Tensor1D;
    });
  }

  private nextBatches(): Batch[] {
    const out: Batch[] = [];
    for (let k = 0; k < this.cfg.gradAccum; k++) {
      const idx = this.sampler.next(this.cfg.batchSize);
      out.push(makeBatch(idx.map((i) => this.rows[i]), this.seqLen, this.padId));
    }
    return out;
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.stopped) await new Promise<void>((r) => (this.wake = r));
  }

  /** Trains cfg.steps optimizer steps (or until stop()); can be called again after stop() to continue. */
  async run(): Promise<TrainResult> {
    if (this.running) throw new Error('Trainer.run() is already running');
    this.running = true;
    try {
      return await this.loop();
    } finally {
      this.running = false;
    }
  }

  /** One optimizer step: sync compute inside tidy, then a single awaited read of [loss, gradNorm]. */
  private async trainStep(): Promise<{ loss: number; gradNorm: number; lr: number }> {
    const t0 = now();
    const batches = this.nextBatches();
    const lr = learningRateAt(this.step, this.cfg);
    const out = this.computeStep(batches, lr);
    const [loss, gradNorm] = await out.data();
    out.dispose();
    const stepTokens = batches.reduce((a, b) => a + b.tokens, 0);
    // The first step compiles kernels (seconds to a minute on WebGPU): keep it out of the speed once others exist.
    if (this.recent.length === 1 && this.step === 1) this.recent = [];
    this.recent = [...this.recent.slice(-(SPEED_WINDOW - 1)), { tokens: stepTokens, ms: now() - t0 }];
    this.step += 1;
    this.tokens += stepTokens;
    return { loss, gradNorm, lr };
  }

  private async loop(): Promise<TrainResult> {
    const start = now();
    let pausedMs = 0;
    let firstLoss = NaN;
    let lastLoss = NaN;
    let lastEval = -1;
    this.stopped = false;
    while (this.step < this.cfg.steps) {
      const pauseStart = now();
      await this.waitWhilePaused();
      pausedMs += now() - pauseStart;
      if (this.stopped) break;
      const { loss, gradNorm, lr } = await this.trainStep();
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        this.step -= 1; // the update was skipped
        throw new TrainingDivergedError(this.step + 1, loss, gradNorm, lr);
      }
      if (Number.isNaN(firstLoss)) firstLoss = loss;
      lastLoss = loss;
      this.events.onStep?.({
        step: this.step, totalSteps: this.cfg.steps, loss, lr, gradNorm, tokens: this.tokens,
        tokensPerSec: this.tokensPerSec(), elapsedMs: now() - start - pausedMs,
      });
      if (this.cfg.evalEvery > 0 && this.step % this.cfg.evalEvery === 0) lastEval = await this.reportEval();
      const ck = this.cfg.checkpointEvery ?? 0;
      if (ck > 0 && this.step % ck === 0 && this.step < this.cfg.steps) this.events.onCheckpoint?.(this.step);
      await yieldToEventLoop();
    }
    if (lastEval !== this.step && this.step > 0) await this.reportEval();
    this.events.onCheckpoint?.(this.step);
    return { steps: this.step, firstLoss, lastLoss, stopped: this.step < this.cfg.steps };
  }

  private async reportEval(): Promise<number> {
    if (this.validation.length === 0) return this.step;
    const valLoss = await this.evaluate();
    this.events.onEval?.({ step: this.step, valLoss, perplexity: Math.exp(valLoss) });
    return this.step;
  }

  /** Mean loss over the counted targets of the first MAX_EVAL_BATCHES validation batches (no dropout);
   * NaN when nothing is counted. */
  async evaluate(examples: Example[] = this.validation, maxBatches = MAX_EVAL_BATCHES): Promise<number> {
    let sum = 0;
    let n = 0;
    const end = Math.min(examples.length, maxBatches * this.cfg.batchSize);
    for (let i = 0; i < end; i += this.cfg.batchSize) {
      const b = makeBatch(examples.slice(i, i + this.cfg.batchSize), this.seqLen, this.padId);
      if (b.counted === 0) continue;
      const l = tf.tidy(() => this.microLoss(b, false, 0));
      const [v] = await l.data();
      l.dispose();
      sum += v * b.counted;
      n += b.counted;
    }
    return n > 0 ? sum / n : NaN;
  }

  /** Tokens per second over the last SPEED_WINDOW steps (the first, compiling step left out once others exist). */
  private tokensPerSec(): number {
    const tokens = this.recent.reduce((a, r) => a + r.tokens, 0);
    const ms = this.recent.reduce((a, r) => a + r.ms, 0);
    return tokens / Math.max(1e-3, ms / 1000);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Ends run() after the current step (also when paused). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  get currentStep(): number {
    return this.step;
  }

  /** The LoRA adapter of a LoRA run; null for other methods. */
  loraState(): LoraState | null {
    return isLoraState(this.state.adapter) ? this.state.adapter : null;
  }

  /** The method's PEFT files (adapter_config.json fields and tensors); methods without adapter files refuse. */
  exportAdapter(baseModel: string): Promise<PeftFiles> {
    if (!this.state.save) throw new Error(`exportAdapter needs an adapter method; ${this.method.label} exports the model folder (exportWeights)`);
    return this.state.save(baseModel);
  }

  /** Every weight as host data with HF keys (GPT-2: `transformer.` prefix by default, as GPT2LMHeadModel saves;
   * Llama keys are already full names): trained variables as they are, the base with the adapter merged
   * where the method has a merge (LoRA). */
  async exportWeights(prefix = isGpt2(this.config) ? 'transformer.' : ''): Promise<Record<string, HostTensor>> {
    // Snapshot what training changes synchronously (tf.clone), so a step running meanwhile cannot tear the
    // export: trainable weights and the adapter; frozen base weights are read as they are.
    const trainable = new Set<tf.Tensor>(this.vars);
    const weights = this.state.weights;
    const snaps = new Map([...weights].map(([k, w]) => [k, trainable.has(w) ? tf.clone(w) : null]));
    const merge = this.state.snapshotMerge?.();
    const out: Record<string, HostTensor> = {};
    for (const [key, snap] of snaps) {
      // One merged weight at a time keeps the extra memory to a single layer.
      const t = snap ?? merge?.merged(key, weights.get(key)!) ?? tf.clone(weights.get(key)!);
      out[prefix + key] = await readHost(t);
    }
    merge?.dispose();
    return out;
  }

  trainableParamCount(): number {
    return this.vars.reduce((a, v) => a + v.size, 0);
  }

  /** Frees the trainer's variables and optimizer state (not the model's base weights). */
  dispose(): void {
    this.opt.dispose();
    this.state.dispose();
  }
}
