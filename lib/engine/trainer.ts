// The training loop: seeded batches, gradient accumulation, global-norm clipping, AdamW and a schedule,
// for any registered method (lib/engine/peft: LoRA, full, ...) and objective (lib/engine/objectives: causal LM,
// preference losses), reporting through typed events. Each step's compute is one tf.tidy.
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './add-n';
import { AdamW } from './adamw';
import { BatchSampler, packTrainingRows } from './batch';
import { BestKeeper } from './early-stop';
import type { EvalModel } from './evaluate';
import { objectiveFor } from './objectives';
import type { Objective, ObjectiveBatch, ObjectiveLoss, ObjectiveRun, TrainRow } from './objectives/types';
import type { RlContext } from './rl/objective';
import type { PackedWeight } from './packed-weights';
import { packedBaseRefusal } from './peft/spec';
import { readHost } from './peft/host';
import { isLoraState, type LoraState } from './peft/lora';
import { peftMethod } from './peft/methods';
import type { PeftMethod } from './peft/method';
import type { PeftFiles, TrainableState } from './peft/types';
import { deriveSeed } from './random';
import { ReplayMixer } from './replay';
import { learningRateAt } from './schedule';
import { adapterPositions } from './sequence';
import { checkResumable, fingerprintExamples, readSnapshot, type TrainState } from './train-state';
import { DivergenceGuard } from './divergence';
import { isGpt2, maxPositions, type Example, type HostTensor, type ModelConfig, type TrainConfig, type TrainerEvents, type TrainResult, type WeightMap } from './types';

export { BatchSampler, LENGTH_BUCKET, makeBatch, type Batch } from './batch';

export interface TrainerModel {
  config: ModelConfig;
  weights: WeightMap; // not owned: the trainer never disposes these
  /** Frozen block linears stored packed (packLinears), read instead of their float32 weights; not owned. Adapter
   * methods only: a packed weight cannot be trained. */
  packed?: Map<string, PackedWeight>;
  /** The model's tokenizer, for methods that read text at create (prompt tuning's init text). */
  tokenizer?: { encode(text: string): number[] };
  /** A loaded adapter of cfg.method to continue training instead of a fresh one (owned by the trainer from here). */
  initialState?: TrainableState;
}

/** Optional inputs beyond the data: general text rows for replay (cfg.replayShare); an RL run's reward. */
export interface TrainerOptions {
  replay?: Example[];
  rl?: RlContext;
}

/** Validation passes read at most this many batches (a fixed subset, so curves stay comparable), as nanoGPT's
 * eval_iters: a full pass over a large validation set would stall training for minutes in a browser. */
export const MAX_EVAL_BATCHES = 8;

/** Steps averaged for the reported tokens/s. */
const SPEED_WINDOW = 10;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
// A macrotask boundary: `await t.data()` on cpu/wasm resolves as a microtask, which would starve worker messages.
const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

function validate(cfg: TrainConfig, config: ModelConfig, train: TrainRow[]): void {
  const positive = ['steps', 'batchSize', 'gradAccum', 'seqLen'] as const;
  for (const k of positive) if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`${k} must be a positive integer`);
  if (cfg.seqLen < 2) throw new Error('seqLen must be at least 2');
  if (!(cfg.lr > 0)) throw new Error('lr must be positive');
  if (train.length === 0) throw new Error('The training set is empty');
  peftMethod(cfg.method); // throws on an unknown method
  if (isGpt2(config) && config.n_embd % config.n_head !== 0) throw new Error('n_embd must be divisible by n_head');
}

export { TrainingDivergedError } from './divergence';

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
  private readonly objective: Objective; // what the loss is: causal LM, or a preference loss (cfg.objective)
  private readonly models: ObjectiveRun; // the policy and the reference model the objective reads
  private prepared = false; // the objective's one pass before training (cached reference log-probs) is done
  private readonly rows: TrainRow[]; // what the sampler draws: the examples (or packed rows with segments), or pairs
  private readonly keeper: BestKeeper; // early stopping and the best weights by validation loss
  private readonly replay: ReplayMixer | null;
  /** With cfg.packing: the share of padding packing removed (0..1); null when examples are not packed. */
  readonly paddingSavedShare: number | null;
  private step = 0;
  private tokens = 0;
  private recent: { tokens: number; ms: number }[] = []; // last steps, for the current speed
  private paused = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running = false;
  private readonly guard: DivergenceGuard; // stops a diverging run and keeps the last good weights

  constructor(model: TrainerModel, train: TrainRow[], private readonly validation: TrainRow[], cfg: TrainConfig, private readonly events: TrainerEvents = {}, opts: TrainerOptions = {}) {
    validate(cfg, model.config, train);
    this.cfg = cfg;
    this.config = model.config;
    this.method = peftMethod(cfg.method);
    const refusal = model.packed?.size ? packedBaseRefusal(this.method) : null;
    if (refusal) throw new Error(refusal);
    this.packed = model.packed;
    this.objective = objectiveFor(cfg, model.config, opts.rl);
    try {
      this.objective.checkRows(train, 'Training');
      this.objective.checkRows(validation, 'Validation');
      if (cfg.packing && !this.objective.packs) throw new Error(`Packing joins examples into rows; ${this.objective.label} reads whole pairs: turn packing off`);
      if ((cfg.replayShare ?? 0) > 0 && cfg.objective) throw new Error(`Replay mixes general text into causal-LM batches; ${this.objective.label} reads pairs: set the replay share to 0`);
    } catch (e) {
      this.objective.dispose?.();
      throw e;
    }
    this.state = model.initialState ?? this.method.create(model.config, model.weights, cfg, deriveSeed(cfg.seed, 0x10a), { tokenizer: model.tokenizer });
    // Prompt and prefix tuning take positions before every example.
    this.seqLen = Math.min(cfg.seqLen, maxPositions(model.config) - adapterPositions(this.state.adapter));
    this.vars = [...this.state.variables, ...(this.objective.heads?.values() ?? [])];
    this.opt = new AdamW(this.vars, cfg);
    this.models = this.objectiveRun(model);
    const packed = cfg.packing ? packTrainingRows(train as Example[], this.seqLen, this.padId) : null;
    this.rows = packed?.rows ?? train;
    this.paddingSavedShare = packed?.paddingSavedShare ?? null;
    this.sampler = new BatchSampler(this.rows.length, cfg.seed);
    this.keeper = new BestKeeper(this.vars, cfg.earlyStop);
    this.guard = new DivergenceGuard(this.vars, cfg.clipNorm, cfg.lr);
    this.replay = (cfg.replayShare ?? 0) > 0 ? new ReplayMixer(opts.replay ?? [], cfg.replayShare!, cfg.seed) : null;
  }

  private get padId(): number {
    // Llama 3 style configs list several end tokens: pad with the first.
    const eos = this.config.eos_token_id as number | number[] | undefined;
    return (Array.isArray(eos) ? eos[0] : eos) ?? 0;
  }

  /** The policy (the method's weights and hook) and the reference (the loaded weights, which training never
   * changes: a PEFT policy shares them with its adapter off, full fine-tuning trains variables over them). */
  private objectiveRun(model: TrainerModel): ObjectiveRun {
    return {
      config: model.config, policy: this.state.weights, reference: model.weights, referenceOptions: { packed: model.packed },
      policyOptions: (training, seed) => ({
        adapter: this.state.adapter, packed: this.packed, training, dropout: this.cfg.dropout ?? 0, seed,
        checkpointing: training && (this.cfg.checkpointing ?? false),
      }),
    };
  }

  /** Mean loss of one micro-batch (a scalar on the tape) and the objective's stats: logits only for the tokens
   * that carry loss, a chunk at a time, and with checkpointing no block keeps more than its input. */
  private microLoss(b: ObjectiveBatch, training: boolean, seed: number, frozen?: tf.Tensor[]): ObjectiveLoss {
    return this.objective.loss(this.models, b, training, seed, frozen);
  }

  /** Gradients of the token-weighted mean loss over the micro-batches, summed as they come, and the summed stats. */
  private accumulate(batches: ObjectiveBatch[], total: number): { loss: tf.Scalar; grads: tf.Tensor[]; stats: tf.Tensor1D } {
    let loss: tf.Scalar = tf.scalar(0);
    let stats = tf.zeros([this.objective.statsLength]) as tf.Tensor1D;
    const acc: (tf.Tensor | null)[] = this.vars.map(() => null);
    batches.forEach((b, k) => {
      if (b.counted === 0) return;
      // Weight by counted targets so the step's loss is the mean over all its tokens, as in types.ts.
      const w = b.counted / total;
      const seed = deriveSeed(this.cfg.seed, this.step, k);
      const frozen = this.objective.frozen?.(this.models, b); // outside the tape: no gradient, nothing kept for backward
      let part: tf.Tensor1D | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const r = this.microLoss(b, true, seed, frozen);
        part = r.stats && tf.keep(r.stats);
        return tf.mul(r.loss, w) as tf.Scalar;
      }, this.vars);
      if (part) stats = tf.add(stats, part) as tf.Tensor1D;
      tf.dispose([...(frozen ?? []), ...(part ? [part] : [])]);
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
    return { loss, grads: acc.map((g, i) => g ?? tf.zerosLike(this.vars[i])), stats };
  }

  /** Sync compute of one optimizer step; returns [loss, pre-clip grad norm, ...the objective's stats]. */
  private computeStep(batches: ObjectiveBatch[], lr: number): tf.Tensor1D {
    return tf.tidy(() => {
      const total = batches.reduce((a, b) => a + b.counted, 0);
      const { loss, grads, stats } = this.accumulate(batches, Math.max(1, total));
      const norm = tf.sqrt(sumTensors(grads.map((g) => tf.sum(tf.square(g))))); // global L2 norm
      // torch's clip_grad_norm_: scale by min(1, max_norm / (norm + 1e-6)), applied by the optimizer as it reads each
      // gradient (a scaled copy of every gradient would cost as much memory as the gradients).
      const coef = this.cfg.clipNorm > 0 ? (tf.minimum(1, tf.div(this.cfg.clipNorm, tf.add(norm, 1e-6))) as tf.Scalar) : undefined;
      // A NaN or infinite loss or gradient must not reach the weights: the step is skipped on the device and
      // the loop stops with an error after reading it, so the last good weights stay exportable.
      const finite = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(norm)) as tf.Scalar;
      this.opt.step(grads, lr, finite, coef);
      return tf.concat([tf.stack([loss, norm]), stats]) as tf.Tensor1D;
    });
  }

  private nextBatches(): ObjectiveBatch[] {
    const out: ObjectiveBatch[] = [];
    const B = this.cfg.batchSize;
    const draw = (n: number) => this.sampler.next(n).map((i) => this.rows[i]);
    for (let k = 0; k < this.cfg.gradAccum; k++) {
      // Replay mixes general text into causal-LM rows only (the constructor refuses it for other objectives).
      const rows = this.replay ? this.replay.rows((this.step * this.cfg.gradAccum + k) * B, B, draw as (n: number) => Example[]) : draw(B);
      out.push(this.objective.batch(rows, this.seqLen, this.padId));
    }
    return out;
  }

  /** RL samples before the tape (Objective.rollout), one micro-batch after another; others pass through. */
  private async rollouts(batches: ObjectiveBatch[], step: number): Promise<ObjectiveBatch[]> {
    const out: ObjectiveBatch[] = [];
    for (const [k, b] of batches.entries()) out.push(this.objective.rollout ? await this.objective.rollout(this.models, b, deriveSeed(this.cfg.seed, 0x5a, step, k)) : b);
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

  /** The step's optimizer updates (one, or PPO's epochs x minibatches) at one learning rate: their mean loss and
   * gradient norm, and their stats summed. */
  private async runUpdates(updates: ObjectiveBatch[][], lr: number): Promise<{ loss: number; gradNorm: number; stats: number[] }> {
    let loss = 0;
    let gradNorm = 0;
    let stats: number[] = [];
    for (const u of updates) {
      const out = this.computeStep(u, lr);
      const [l, n, ...s] = await out.data();
      out.dispose();
      loss += l / updates.length;
      gradNorm += n / updates.length;
      stats = s.map((x, i) => x + (stats[i] ?? 0));
    }
    return { loss, gradNorm, stats };
  }

  /** One step: its batches (rolled out for RL), then its optimizer updates, each sync compute inside tidy and one awaited read. */
  private async trainStep(): Promise<{ loss: number; gradNorm: number; lr: number; metrics: Record<string, number> }> {
    const t0 = now();
    const batches = await this.rollouts(this.nextBatches(), this.step);
    const lr = learningRateAt(this.step, this.cfg);
    const { loss, gradNorm, stats } = await this.runUpdates(this.objective.updates?.(batches, deriveSeed(this.cfg.seed, 0x9e, this.step)) ?? [batches], lr);
    const stepTokens = batches.reduce((a, b) => a + b.tokens, 0);
    // The first step compiles kernels (seconds to a minute on WebGPU): keep it out of the speed once others exist.
    if (this.recent.length === 1 && this.step === 1) this.recent = [];
    this.recent = [...this.recent.slice(-(SPEED_WINDOW - 1)), { tokens: stepTokens, ms: now() - t0 }];
    this.step += 1;
    this.tokens += stepTokens;
    return { loss, gradNorm, lr, metrics: this.objective.metrics(stats) };
  }

  private async loop(): Promise<TrainResult> {
    const start = now();
    let pausedMs = 0;
    let firstLoss = NaN;
    let lastLoss = NaN;
    let lastEval = -1;
    this.stopped = false;
    if (!this.prepared) await this.objective.prepare?.(this.models, this.rows, this.cfg.batchSize, this.seqLen, this.padId);
    this.prepared = true;
    while (this.step < this.cfg.steps) {
      const pauseStart = now();
      await this.waitWhilePaused();
      pausedMs += now() - pauseStart;
      if (this.stopped) break;
      await this.guard.beforeStep(this.step);
      const { loss, gradNorm, lr, metrics } = await this.trainStep();
      const diverged = this.guard.afterStep(this.step, loss, gradNorm, lr);
      if (diverged) {
        this.step = diverged.keptStep; // the guard put that step's weights back
        throw diverged;
      }
      if (Number.isNaN(firstLoss)) firstLoss = loss;
      lastLoss = loss;
      this.events.onStep?.({
        step: this.step, totalSteps: this.cfg.steps, loss, lr, gradNorm, tokens: this.tokens,
        tokensPerSec: this.tokensPerSec(), elapsedMs: now() - start - pausedMs, ...(Object.keys(metrics).length ? { metrics } : {}),
      });
      if (this.cfg.evalEvery > 0 && this.step % this.cfg.evalEvery === 0) {
        lastEval = await this.reportEval();
        if (this.keeper.shouldStop) break;
      }
      const ck = this.cfg.checkpointEvery ?? 0;
      if (ck > 0 && this.step % ck === 0 && this.step < this.cfg.steps) this.events.onCheckpoint?.(this.step);
      await yieldToEventLoop();
    }
    if (lastEval !== this.step && this.step > 0) await this.reportEval();
    this.events.onCheckpoint?.(this.step);
    const early = this.keeper.shouldStop;
    const kept = this.keeper.state;
    return {
      steps: this.step, firstLoss, lastLoss, stopped: this.step < this.cfg.steps && !early, earlyStopped: early,
      bestStep: kept.bestStep > 0 ? kept.bestStep : null, bestValLoss: Number.isFinite(kept.bestLoss) ? kept.bestLoss : null,
    };
  }

  private async reportEval(): Promise<number> {
    if (this.validation.length === 0) return this.step;
    const { loss: valLoss, metrics } = await this.evaluateWithMetrics();
    const best = await this.keeper.observe(this.step, valLoss);
    this.events.onEval?.({ step: this.step, valLoss, perplexity: Math.exp(valLoss), best, ...(Object.keys(metrics).length ? { metrics } : {}) });
    return this.step;
  }

  /** Mean loss over the counted targets of the first MAX_EVAL_BATCHES validation batches (no dropout);
   * NaN when nothing is counted. */
  async evaluate(examples: TrainRow[] = this.validation, maxBatches = MAX_EVAL_BATCHES): Promise<number> {
    return (await this.evaluateWithMetrics(examples, maxBatches)).loss;
  }

  /** The same pass with the objective's metrics over those rows (preference losses: rewards and accuracy). */
  async evaluateWithMetrics(examples: TrainRow[] = this.validation, maxBatches = MAX_EVAL_BATCHES): Promise<{ loss: number; metrics: Record<string, number> }> {
    let sum = 0;
    let n = 0;
    const stats = new Float64Array(this.objective.statsLength);
    const end = Math.min(examples.length, maxBatches * this.cfg.batchSize);
    for (let i = 0; i < end; i += this.cfg.batchSize) {
      const [b] = await this.rollouts([this.objective.batch(examples.slice(i, i + this.cfg.batchSize), this.seqLen, this.padId)], -1 - i);
      if (b.counted === 0) continue;
      const l = tf.tidy(() => {
        const r = this.microLoss(b, false, 0);
        return r.stats ? tf.concat([tf.reshape(r.loss, [1]), r.stats]) : tf.reshape(r.loss, [1]);
      });
      const [v, ...s] = await l.data();
      l.dispose();
      s.forEach((x, k) => (stats[k] += x));
      sum += v * b.counted;
      n += b.counted;
    }
    return { loss: n > 0 ? sum / n : NaN, metrics: this.objective.metrics(stats) };
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

  /** The method's state (variables, weights, adapter, save, merge): what every export kind reads. */
  get trainable(): TrainableState {
    return this.state;
  }

  /** fingerprintExamples of the rows it trains on: what a stored run records and a resume checks. */
  dataFingerprint(): string {
    return fingerprintExamples(this.rows);
  }

  /** Everything resuming needs (lib/engine/train-state.ts): tensors snapshotted now, so a step running while
   * they are read cannot tear the state (safe to call from onStep or onCheckpoint). */
  saveState(): Promise<TrainState> {
    const adam = this.opt.snapshot();
    return readSnapshot({
      meta: {
        step: this.step, tokens: this.tokens, adamSteps: adam.t, sampler: this.sampler.state, replaySampler: this.replay?.state ?? null,
        keeper: this.keeper.state, config: this.cfg, data: fingerprintExamples(this.rows),
      },
      params: this.vars.map((v) => tf.clone(v)), m: adam.m, v: adam.v, best: this.keeper.bestWeights,
    });
  }

  /** Continues a saved run (before run()): its weights, moments, step, samplers and early-stopping counters.
   * Refuses a state of other settings, other data or other shapes. */
  restoreState(s: TrainState): void {
    if (this.running || this.step > 0) throw new Error('restoreState must be called before training starts');
    checkResumable(s, this.cfg, fingerprintExamples(this.rows), this.vars.map((v) => [...v.shape]));
    this.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(s.params[i].data, s.params[i].shape, 'float32'))));
    this.opt.restore(s.meta.adamSteps, s.m, s.v);
    this.sampler.restore(s.meta.sampler);
    if (s.meta.replaySampler) this.replay?.restore(s.meta.replaySampler);
    this.keeper.restore(s.meta.keeper, s.best);
    this.step = s.meta.step;
    this.tokens = s.meta.tokens;
  }

  /** Puts the weights of the lowest validation loss back (what Export then writes); returns their step, or null
   * when no validation pass kept any. Call after run(). */
  restoreBest(): number | null {
    return this.keeper.restoreBest();
  }

  /** What evaluation and generation read: the weights the forward pass uses now, the adapter and packed weights. */
  evalModel(): EvalModel {
    return { config: this.config, weights: this.state.weights, adapter: this.state.adapter, packed: this.packed };
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

  /** The objective's own trained tensors (a reward model's `score.weight`) as host data; {} for the others. */
  async exportHeads(): Promise<Record<string, HostTensor>> {
    const snaps = [...(this.objective.heads ?? [])].map(([k, v]) => [k, tf.clone(v)] as const);
    const out: Record<string, HostTensor> = {};
    for (const [k, t] of snaps) out[k] = await readHost(t);
    return out;
  }

  /** Frees the trainer's variables and optimizer state (not the model's base weights). */
  dispose(): void {
    this.opt.dispose();
    this.state.dispose();
    this.objective.dispose?.();
  }
}
