// One studio session inside the training worker: load a model, train it, export the result; the playground
// (playground.ts) generates and scores with the base model and the adapters it keeps by id.
// Pure lib code (no DOM, no React): the worker file only parses messages and forwards them here.
import * as tf from '@tensorflow/tfjs';
import { initBackend, webgpuBufferLimits, type BackendInfo, type BackendName } from '../engine/backend';
import { probeShape } from '../engine/backend-race';
import { httpSource, loadModelFolder, loadTokenizer, readModelConfig, tokenizerConfigOf, type BaseWeights, type LoadedModel } from '../engine/loader';
import { disposePacked, packInPlace } from '../engine/packed-weights';
import { initWeights } from '../engine/model';
import { countParams, loraTargetPresets } from '../engine/params';
import { generalRows } from '../engine/forgetting';
import { Trainer } from '../engine/trainer';
import { checkpointMessage, stateFromFiles } from './run-checkpoints';
import { maxPositions, type Example, type Gpt2Config, type LlamaConfig, type ModelConfig, type StepMetrics, type TrainConfig } from '../engine/types';
import { modelTemplate } from '../data/chat-template';
import { workerRlContext, type RewardFolder } from './rl-reward';
import type { TrainRow } from '../engine/objectives/types';
import type { TrainableState } from '../engine/peft/types';
import { zipBundle } from '../export/bundle';
import type { ExportDtype, ExportKind } from '../export/kinds';
import { exportRun } from '../export/run-export';
import { isCancelled, openModelFolder, type FolderSource } from '../hub/open-folder';
import type { ModelSource, WorkerEvent, WorkerRequest } from './protocol';
import { Playground } from './playground';
import { RunScores } from './run-scores';
import { deviceLostMessage, FaultError, isAllocationFailure, outOfMemoryMessage, type DeviceLike } from './faults';

type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

/** The rows a start-examples request carries. */
type WorkerRows = Extract<WorkerRequest, { type: 'start-examples' }>['train'];

/** The tiny model used by test mode: same tokenizer as the demo model, random weights, trains in seconds. */
export function tinyRandomConfig(vocabSize: number, eosId: number): Gpt2Config {
  return { model_type: 'gpt2', vocab_size: vocabSize, n_positions: 128, n_embd: 32, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, bos_token_id: eosId, eos_token_id: eosId };
}

/** The tiny Llama of test mode: GQA (4 heads, 2 key/value heads), untied head, same tokenizer as the demo. */
export function tinyRandomLlamaConfig(vocabSize: number, eosId: number): LlamaConfig {
  return {
    model_type: 'llama', vocab_size: vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, max_position_embeddings: 128, rms_norm_eps: 1e-6,
    rope_theta: 10000, rope_scaling: null, attention_bias: false, qkv_bias: false, mlp_bias: false, tie_word_embeddings: false,
    bos_token_id: eosId, eos_token_id: eosId,
  };
}

interface Run {
  trainer: Trainer;
  config: TrainConfig;
  trainExamples: number;
  last?: StepMetrics;
  valLoss?: number;
  firstLoss?: number;
  dataFile: string;
  saving: Promise<void>; // checkpoint events in order
  /** The store's run id: once finished, the playground keeps the trainer under it. */
  id?: string;
  /** The run ended with an error (a lost device may be told after it). */
  failed?: boolean;
}

export class TrainSession {
  private model: LoadedModel | null = null;
  private backend: BackendInfo | null = null;
  private run: Run | null = null;
  private running = false;
  private loadAbort: AbortController | null = null;
  private readonly play: Playground;
  private readonly scores: RunScores;
  /** The WebGPU device in use, and a GPU out-of-memory error it reported during the run (faults.ts). */
  private device: DeviceLike | null = null;
  private gpuOutOfMemory: string | null = null;

  constructor(private readonly post: Post) {
    this.play = new Playground(post, () => this.model, () => this.running);
    this.scores = new RunScores(post);
  }

  async handle(req: WorkerRequest): Promise<void> {
    switch (req.type) {
      case 'load':
        this.loadAbort = new AbortController();
        await this.guard('load', () => this.load(req.model, req.backend === 'auto' ? 'auto' : req.backend, req.allowFallbackAdapter, req.baseWeights ?? 'f32'));
        this.loadAbort = null;
        return;
      case 'cancel-load':
        this.loadAbort?.abort();
        return;
      case 'start-examples':
        return this.guard('train', () => this.startExamples(req, req.dataFile ?? 'uploaded data set'));
      case 'pause':
        this.run?.trainer.pause();
        if (this.running) this.post({ type: 'state', state: 'paused' });
        return;
      case 'resume':
        this.run?.trainer.resume();
        if (this.running) this.post({ type: 'state', state: 'running' });
        return;
      case 'stop':
        this.run?.trainer.stop();
        this.scores.stop();
        return;
      case 'export':
        return this.guard('export', () => this.exportRun(req.kind, req.dtype));
      case 'generate':
      case 'cancel-play':
      case 'load-adapter':
      case 'evaluate-adapter':
      case 'compare':
        return this.play.handle(req);
    }
  }

  private async guard(during: 'load' | 'train' | 'export', fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (during === 'load' && isCancelled(e)) return this.post({ type: 'load-cancelled' });
      this.post({ type: 'error', during, message: e instanceof Error ? e.message : String(e), ...(e instanceof FaultError ? { cause: e.fault } : {}) });
    }
  }

  private async load(source: ModelSource, backend: BackendName | 'auto', allowFallbackAdapter: boolean, baseWeights: BaseWeights): Promise<void> {
    if (this.running) throw new Error('A run is in progress: stop it before loading another model');
    this.disposeModel();
    const onProgress = (loaded: number, total: number) => this.post({ type: 'progress', stage: 'Downloading weights', loaded, total });
    let extra: { origin?: string; note?: string } = {};
    // The config first (a small file), so the backend can be chosen by timing this model's shapes; then the weights.
    let open: { config: ModelConfig; load(): Promise<LoadedModel> };
    if (source.kind === 'url') {
      const files = httpSource(source.baseUrl);
      open = { config: await readModelConfig(files), load: () => loadModelFolder(source.name, files, onProgress, baseWeights) };
    } else if (source.kind === 'hub' || source.kind === 'files') {
      const folder = await this.openFolder(source);
      extra = { origin: folder.origin, note: folder.note };
      open = { config: await readModelConfig(folder.source), load: () => loadModelFolder(folder.name, folder.source, undefined, baseWeights) };
    } else {
      const { tokenizer, files } = await loadTokenizer(httpSource(source.tokenizerUrl));
      const make = source.family === 'llama' ? tinyRandomLlamaConfig : tinyRandomConfig;
      const config: ModelConfig = make(tokenizer.vocabSize, tokenizer.eosId);
      open = {
        config,
        load: async () => {
          const weights = initWeights(config, source.seed);
          const packedFormat = baseWeights === 'f32' ? undefined : baseWeights;
          const packed = packedFormat ? await packInPlace(config, weights, packedFormat) : undefined;
          return { name: source.name, config, weights, tokenizer, tokenizerFiles: files, ...(packed ? { packed, packedFormat } : {}) };
        },
      };
    }
    this.post({ type: 'progress', stage: backend === 'auto' ? 'Timing the compute backends on this model' : 'Starting the compute backend', loaded: 0, total: 1 });
    this.backend = await initBackend(backend, { allowFallbackAdapter, race: probeShape(open.config) });
    this.watchDevice();
    if (baseWeights !== 'f32' && this.backend.backend === 'webgl') {
      // Off webgpu a packed weight is widened a block at a time from its words: on WebGL that is a GPU readback
      // for every product.
      throw new Error(`${baseWeights} base weights run on WebGPU and WebAssembly; this model was given WebGL, which would read them back from the GPU for every product: load it as float32, or choose webgpu or wasm`);
    }
    this.model = await open.load();
    const { config } = this.model;
    const gpu = this.backend.backend === 'webgpu' ? await webgpuBufferLimits() : null;
    this.post({
      type: 'ready',
      backend: this.backend.backend,
      adapter: this.backend.adapter,
      limits: gpu && { maxBufferSize: gpu.maxBufferSize, maxStorageBufferBindingSize: gpu.maxStorageBufferBindingSize },
      model: {
        name: this.model.name, params: countParams(config), config: { ...config },
        maxPositions: maxPositions(config), loraTargets: loraTargetPresets(config), ...extra,
        chatTemplate: modelTemplate(tokenizerConfigOf(this.model)) !== null,
        ...(baseWeights === 'f32' ? {} : { baseWeights }),
      },
    });
  }

  /** Downloads a Hub model (cancellable with 'cancel-load') or wraps transferred local files. */
  private openFolder(source: FolderSource) {
    return openModelFolder(source, {
      signal: this.loadAbort?.signal,
      onProgress: (p) => this.post({ type: 'progress', stage: source.kind === 'hub' ? `Downloading ${source.id}` : 'Reading files', ...p }),
    });
  }

  /** Examples encoded by the Data step: checked against this model, cut to the run's sequence length. */
  private async startExamples(req: Extract<WorkerRequest, { type: 'start-examples' }>, dataFile: string): Promise<void> {
    const model = this.model;
    if (!model) throw new Error('Load a model before starting a run');
    if (this.running) throw new Error('A run is already in progress');
    const vocab = model.config.vocab_size;
    if (req.config.objective) {
      // Pairs or KTO answers, already fitted to the sequence length by the Data step (TRL's tokenisation).
      const ids = (r: WorkerRows[number]) => ('ids' in r ? r.ids : [...r.prompt, ...('chosen' in r ? [...r.chosen, ...r.rejected] : 'completion' in r ? r.completion : [])]);
      if ([...req.train, ...req.validation].some((r) => ids(r).some((id) => id >= vocab))) {
        throw new Error(`The Data step encoded token ids beyond this model's vocabulary (${vocab}): it used another tokenizer; reload the data after choosing the model`);
      }
      return this.trainOn(model, { examples: req.train, truncated: req.truncated, droppedNoLoss: req.droppedNoLoss }, req.validation, req.config, dataFile, { runId: req.runId, report: req.report, resumeFiles: req.resumeFiles, rewardModel: req.rewardModel });
    }
    if (![...req.train, ...req.validation].every((r) => 'ids' in r)) throw new Error('These rows are preference pairs: choose a preference objective (DPO, KTO, reward model) to train on them');
    const cut = (examples: Example[]) =>
      examples.map((e) => {
        if (e.ids.some((id) => id >= vocab)) {
          throw new Error(`The Data step encoded token ids beyond this model's vocabulary (${vocab}): it used another tokenizer; reload the data after choosing the model`);
        }
        return e.ids.length > req.config.seqLen ? { ids: e.ids.slice(0, req.config.seqLen), mask: e.mask.slice(0, req.config.seqLen) } : e;
      });
    const train = cut(req.train as Example[]).filter((e) => e.mask.includes(1));
    const enc = { examples: train, truncated: req.truncated, droppedNoLoss: req.droppedNoLoss + req.train.length - train.length };
    if (train.length === 0) throw new Error(`No training example keeps a token to learn at ${req.config.seqLen} tokens: raise the sequence length`);
    const initialState = req.fromAdapter ? await this.play.stateFor(req.fromAdapter, req.config.method, model) : undefined;
    await this.trainOn(model, enc, cut(req.validation as Example[]), req.config, dataFile, { resumeFiles: req.resumeFiles, runId: req.runId, initialState, report: req.report, test: cut(req.test ?? []), instruction: req.instruction });
  }

  private async trainOn(
    model: LoadedModel,
    enc: { examples: TrainRow[]; truncated: number; droppedNoLoss: number },
    validation: TrainRow[],
    config: TrainConfig,
    dataFile: string,
    opts: { resumeFiles?: Record<string, ArrayBuffer>; runId?: string; initialState?: TrainableState; report?: boolean; test?: Example[]; instruction?: boolean; rewardModel?: RewardFolder } = {},
  ): Promise<void> {
    const { resumeFiles, runId, initialState } = opts;
    if (config.seqLen > maxPositions(model.config)) {
      initialState?.dispose();
      throw new Error(`Sequence length ${config.seqLen} is longer than this model's ${maxPositions(model.config)} positions`);
    }
    if (this.run) await this.play.slim(this.run.id, model);
    this.releaseRun();
    // RL's reward (rules, or a reward model loaded for this run and freed when it ends).
    const rl = config.objective?.kind === 'rl' ? await workerRlContext(config.objective, model.tokenizer, opts.rewardModel) : null;
    const run = { config, trainExamples: enc.examples.length, dataFile, saving: Promise.resolve(), id: runId } as Run;
    try {
      run.trainer = new Trainer({ ...model, initialState }, enc.examples, validation, config, {
        onStep: (m) => {
          run.last = m;
          run.firstLoss ??= m.loss;
          this.post({ type: 'step', metrics: m });
        },
        onEval: (m) => {
          run.valLoss = m.valLoss;
          this.post({ type: 'eval', step: m.step, valLoss: m.valLoss, perplexity: m.perplexity, best: m.best, ...(m.metrics ? { metrics: m.metrics } : {}) });
        },
        // Autosave (every checkpointEvery steps and at the end): snapshotted now, posted in order.
        onCheckpoint: (step) => {
          const state = run.trainer.saveState();
          run.saving = run.saving.then(async () => {
            const { files, transfer } = checkpointMessage(await state);
            this.post({ type: 'checkpoint', step, files }, transfer);
          });
        },
      }, { replay: config.replayShare ? generalRows(model.tokenizer, config.seqLen) : [], ...(rl ? { rl: rl.context } : {}) });
      if (resumeFiles) run.trainer.restoreState(stateFromFiles(resumeFiles));
    } catch (e) {
      rl?.dispose();
      throw e;
    }
    this.run = run;
    this.running = true;
    this.post({
      type: 'started',
      totalSteps: config.steps,
      trainableParams: run.trainer.trainableParamCount(),
      trainExamples: enc.examples.length,
      validationExamples: validation.length,
      truncated: enc.truncated,
      droppedNoLoss: enc.droppedNoLoss,
    });
    this.gpuOutOfMemory = null;
    try {
      const device = this.device;
      const result = await run.trainer.run().catch(async (e: unknown) => {
        // A destroyed device fails the step's reads before its `lost` promise settles: wait briefly for it, so
        // the run ends as a lost device (which the page can resume) rather than as the read's error.
        run.failed = true;
        const lost = device && (await Promise.race([device.lost, new Promise<null>((r) => setTimeout(() => r(null), 3000))]));
        if (lost && this.device === device) {
          this.device = null;
          throw new FaultError(deviceLostMessage(lost, run.last?.step ?? 0), 'device-lost');
        }
        if (!isAllocationFailure(e)) throw e;
        throw new FaultError(outOfMemoryMessage(e instanceof Error ? e.message : String(e), (run.last?.step ?? 0) + 1, model.config, config, { backend: this.backend?.backend, weightFormat: model.packedFormat }), 'out-of-memory');
      });
      if (this.gpuOutOfMemory) throw new FaultError(outOfMemoryMessage(this.gpuOutOfMemory, (run.last?.step ?? 0) + 1, model.config, config, { backend: this.backend?.backend, weightFormat: model.packedFormat }), 'out-of-memory');
      await run.saving;
      // Export offers the weights of the lowest validation loss (the last state went out as a checkpoint).
      run.trainer.restoreBest();
      if (run.id) this.play.keepRun(run.id, `${model.name} (${config.method})`, run.trainer, config.method);
      if (opts.report) await this.scores.report(model, run.trainer, config, opts.test ?? [], opts.instruction ?? false);
      this.post({ type: 'done', ...result });
    } finally {
      rl?.dispose();
      this.running = false;
    }
  }

  /** A lost WebGPU device ends the run at once with its cause (its pending reads may never settle); a GPU
   * out-of-memory error stops the run after the step, which then reports it with the memory plan. */
  private watchDevice(): void {
    const device = tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: DeviceLike & Partial<EventTarget> }).device ?? null : null;
    if (device === this.device) return;
    this.device = device;
    if (!device) return;
    void device.lost.then((info) => {
      if (this.device !== device) return;
      this.device = null;
      // The run's own step may already have failed on the destroyed device (lost settles later): still the run's.
      const training = this.running || this.run?.failed === true;
      this.run?.trainer.stop();
      this.post({ type: 'error', during: training ? 'train' : 'load', message: deviceLostMessage(info, this.run?.last?.step ?? 0), cause: 'device-lost' });
    });
    device.addEventListener?.('uncapturederror', (ev) => {
      const error = (ev as Event & { error?: { constructor: { name: string }; message: string } }).error;
      if (!this.running || error?.constructor.name !== 'GPUOutOfMemoryError') return;
      this.gpuOutOfMemory ??= `WebGPU: ${error.message || 'out of memory'}`;
      this.run?.trainer.stop();
    });
  }

  private async exportRun(kind?: ExportKind, dtype?: ExportDtype): Promise<void> {
    const { run, model } = this;
    if (!run || !model) throw new Error('There is no trained model to export yet: start a run first');
    const bundle = await exportRun(run.trainer, model, run.config, {
      steps: run.last?.step ?? 0,
      firstLoss: run.firstLoss ?? NaN,
      lastLoss: run.last?.loss ?? NaN,
      valLoss: run.valLoss,
      trainExamples: run.trainExamples,
      tokens: run.last?.tokens ?? 0,
      backend: this.backend ? `${this.backend.backend} (${this.backend.adapter})` : 'unknown',
      dataFile: run.dataFile,
      ...(model.packedFormat ? { baseWeights: model.packedFormat } : {}),
    }, kind, dtype);
    const zip = zipBundle(bundle);
    const bytes = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer;
    this.post({ type: 'exported', fileName: `${bundle.name}.zip`, bytes, files: Object.keys(bundle.files) }, [bytes]);
  }

  /** The previous run's trainer goes, unless the playground keeps it. */
  private releaseRun(): void {
    if (this.run && !this.play.keeps(this.run.id)) this.run.trainer.dispose();
    this.run = null;
  }

  private disposeModel(): void {
    this.releaseRun();
    this.play.clear();
    this.model?.weights.forEach((t) => t.dispose());
    this.model?.packed?.forEach(disposePacked);
    this.model = null;
  }

  memory(): number {
    return tf.memory().numTensors;
  }
}
