// Typed messages between the studio UI and the training worker, checked with zod where they cross.
// This is the only module both sides import.
import { z } from 'zod';
import { objectiveConfigSchema } from '../engine/objectives/config';
import { EXPORT_DTYPES, STUDIO_EXPORT_KINDS } from '../export/kinds';
import { loraSpec } from '../engine/peft/lora/config';
import { METHOD_IDS, methodSpec } from '../engine/peft/registry';
import { playRequestSchemas, type PlayEvent } from './play-protocol';
import type { ForgettingReport } from '../engine/forgetting';
import type { TestMetrics } from '../engine/run-report';

export const trainConfigSchema = z.object({
  method: z.enum(METHOD_IDS),
  steps: z.number().int().min(1).max(100_000),
  batchSize: z.number().int().min(1).max(256),
  gradAccum: z.number().int().min(1).max(64),
  seqLen: z.number().int().min(8).max(8192),
  lr: z.number().positive().max(1),
  weightDecay: z.number().min(0).max(1),
  beta1: z.number().min(0).max(1),
  beta2: z.number().min(0).max(1),
  epsilon: z.number().positive(),
  warmupSteps: z.number().int().min(0),
  schedule: z.enum(['cosine', 'linear', 'constant']),
  minLrRatio: z.number().min(0).max(1),
  clipNorm: z.number().min(0),
  seed: z.number().int(),
  evalEvery: z.number().int().min(0),
  lora: loraSpec.strictSchema, // LoRA's settings (r, alpha, ...), as the method's fields declare them
  /** Other methods' settings by method id; the chosen method's are checked against its schema below. */
  methodConfig: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** Pack short training examples into rows of seqLen, attention kept inside each example (validation unpacked). */
  packing: z.boolean().optional(),
  /** Gradient checkpointing: each block recomputed in the backward pass (far less memory, about a third slower). */
  checkpointing: z.boolean().optional(),
  /** Preference optimisation (DPO family, KTO) or a reward model instead of causal LM; absent = causal LM. */
  objective: objectiveConfigSchema.optional(),
  /** Model dropout (residual, embedding, attention) while training; 0 when absent. */
  dropout: z.number().min(0).max(0.9).optional(),
  /** Autosave: a 'checkpoint' event (the train state files) every N steps; 0 or absent = only at the end. */
  checkpointEvery: z.number().int().min(0).optional(),
  earlyStop: z.object({ patience: z.number().int().min(0), minDelta: z.number().min(0) }).optional(),
  /** Share of batch rows from the shipped general text (replay against forgetting). */
  replayShare: z.number().min(0).max(0.95).optional(),
}).superRefine((c, ctx) => {
  // The chosen method's settings, wherever it keeps them, must pass its strict schema.
  const spec = methodSpec(c.method);
  const own = c.methodConfig?.[c.method];
  if (own === undefined) return;
  for (const issue of spec.strictSchema.safeParse(own).error?.issues ?? []) {
    ctx.addIssue({ code: 'custom', path: ['methodConfig', c.method, ...issue.path.map(String)], message: issue.message });
  }
});

export const backendChoiceSchema = z.enum(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']);
export const baseWeightsSchema = z.enum(['f32', 'f16', 'int8']);
export type BackendChoice = z.infer<typeof backendChoiceSchema>;

/** Where the worker gets its base model. */
export const modelSourceSchema = z.discriminatedUnion('kind', [
  // A Hugging Face folder served over HTTP (the bundled demo model lives at /models/<name>/).
  z.object({ kind: z.literal('url'), name: z.string(), baseUrl: z.string() }),
  // A tiny randomly initialised model that shares a tokenizer folder: fast runs for tests (test mode).
  // `family` picks the architecture (GPT-2 when absent).
  z.object({ kind: z.literal('tiny-random'), name: z.string(), tokenizerUrl: z.string(), seed: z.number().int(), family: z.enum(['gpt2', 'llama']).optional() }),
  // A model on the Hugging Face Hub or a mirror (baseUrl), downloaded and cached by the worker.
  z.object({ kind: z.literal('hub'), id: z.string().min(1), baseUrl: z.string().url(), revision: z.string().min(1).optional() }),
  // A model folder the person picked or dropped: file name -> bytes, transferred (not copied) to the worker.
  z.object({ kind: z.literal('files'), name: z.string(), files: z.record(z.string(), z.instanceof(ArrayBuffer)) }),
]);
export type ModelSource = z.infer<typeof modelSourceSchema>;

/** A stored checkpoint's train state files (a 'checkpoint' event's files): the run continues from them. */
const resumeFilesSchema = z.record(z.string(), z.instanceof(ArrayBuffer)).optional();

/** One example the Data step encoded with the model's tokenizer: ids and a loss mask (1 = learned). */
const tokenExampleSchema = z.object({ ids: z.array(z.number().int().min(0)), mask: z.array(z.number().int().min(0).max(1)) });
const idsSchema = z.array(z.number().int().min(0));
/** Or, for preference objectives, pairs and KTO's marked answers (lib/data/types.ts), tokenised as TRL does. */
const trainingRowSchema = z.union([
  tokenExampleSchema,
  z.object({ prompt: idsSchema, chosen: idsSchema, rejected: idsSchema }),
  z.object({ prompt: idsSchema, completion: idsSchema, desirable: z.boolean() }),
  z.object({ prompt: idsSchema, answer: z.string().optional() }), // RL prompts (last: a pair would match it too)
]);
export const requestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('load'),
    model: modelSourceSchema,
    backend: backendChoiceSchema,
    allowFallbackAdapter: z.boolean(),
    /** Keep the block linears packed (half or a quarter of float32's memory; adapter methods train on them). */
    baseWeights: baseWeightsSchema.optional(),
  }),
  /** Stops a model download in progress; the worker answers 'load-cancelled'. */
  z.object({ type: z.literal('cancel-load') }),
  // Train on what the Data step produced (cleaned, split, templated and encoded in the data worker).
  z.object({
    type: z.literal('start-examples'),
    train: z.array(trainingRowSchema).min(1),
    validation: z.array(trainingRowSchema),
    config: trainConfigSchema,
    /** Shown in the exported model card. */
    dataFile: z.string().optional(),
    /** Training records cut at the sequence length, and left out for lack of loss tokens, by the Data step. */
    truncated: z.number().int().min(0),
    droppedNoLoss: z.number().int().min(0),
    resumeFiles: resumeFilesSchema,
    /** The store's id of this run: the worker keeps its trained adapter under it (playground). */
    runId: z.string().min(1).optional(),
    /** Continue training an adapter the worker keeps (loaded from files), instead of a fresh one. */
    fromAdapter: z.string().min(1).optional(),
    /** report: score the forgetting meter and the test split (token examples) when the run ends; instruction: the
     * test split's exact match of greedy answers too. */
    report: z.boolean().optional(),
    test: z.array(tokenExampleSchema).optional(),
    instruction: z.boolean().optional(),
    /** RL: a reward-model folder (file name -> bytes, transferred) that scores the sampled answers. */
    rewardModel: z.object({ name: z.string(), files: z.record(z.string(), z.instanceof(ArrayBuffer)) }).optional(),
  }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('stop') }),
  /** kind and dtype absent: the method's own download (adapter or model folder). */
  z.object({ type: z.literal('export'), kind: z.enum(STUDIO_EXPORT_KINDS).optional(), dtype: z.enum(EXPORT_DTYPES).optional() }),
  ...playRequestSchemas,
]);
export type WorkerRequest = z.infer<typeof requestSchema>;

/** WebGPU buffer limits of the device training runs on (bytes); absent on other backends. */
export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface ModelInfo {
  name: string;
  params: number; // parameter count of the base model
  config: Record<string, unknown>;
  /** Longest sequence the model takes (GPT-2 n_positions, Llama max_position_embeddings). */
  maxPositions?: number;
  /** LoRA target-module names of this architecture and named presets ('attention', 'all-linear'). */
  loraTargets?: { all: string[]; presets: Record<string, string[]> };
  /** Where the files came from: a host name, "browser cache", "local files" (Hub and files sources). */
  origin?: string;
  /** Something the person should know about the load (e.g. it could not be cached). */
  note?: string;
  /** tokenizer_config.json has a chat_template (the playground renders prompts with it). */
  chatTemplate?: boolean;
  /** How the block linears were loaded; float32 when absent. */
  baseWeights?: 'f16' | 'int8';
}

/** Download figures on a progress event (Hub downloads): rate in bytes/s, eta in seconds. */
export interface DownloadFigures {
  rate?: number;
  etaSeconds?: number | null;
  file?: string;
}

export interface StepEvent {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  tokens: number;
  elapsedMs: number;
  /** Preference runs: TRL's metrics ('rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', ...). */
  metrics?: Record<string, number>;
}

/** Faults the page answers with more than the message: a lost GPU device (resume, maybe on wasm), memory. */
export type FaultCause = 'device-lost' | 'out-of-memory';

export type WorkerEvent =
  | ({ type: 'progress'; stage: string; loaded: number; total: number } & DownloadFigures)
  | { type: 'load-cancelled' }
  | { type: 'ready'; backend: string; adapter: string; model: ModelInfo; trainableParams?: number; limits?: GpuLimits | null }
  | {
      type: 'started';
      totalSteps: number;
      trainableParams: number;
      trainExamples: number;
      validationExamples: number;
      /** Training records cut at the sequence length (kept, shorter). */
      truncated: number;
      /** Training records left out because the cut removed every token that carries loss. */
      droppedNoLoss: number;
    }
  | { type: 'step'; metrics: StepEvent }
  | { type: 'eval'; step: number; valLoss: number; perplexity: number; metrics?: Record<string, number>; best?: boolean }
  /** The train state files (lib/engine/train-state.ts) at `step`: autosaved every checkpointEvery steps and at the end. */
  | { type: 'checkpoint'; step: number; files: Record<string, ArrayBuffer> }
  | { type: 'state'; state: 'running' | 'paused' }
  | { type: 'done'; steps: number; firstLoss: number; lastLoss: number; stopped: boolean; earlyStopped?: boolean; bestStep?: number | null; bestValLoss?: number | null }
  /** End-of-run scores (before 'done'): what is being scored now, the test split's metrics, the forgetting meter. */
  | { type: 'report'; evaluating?: string; test?: TestMetrics; forgetting?: ForgettingReport & { replayShare: number }; error?: string }
  | { type: 'exported'; fileName: string; bytes: ArrayBuffer; files: string[] }
  /** `cause`: a fault the page offers a way out of (lib/train-worker/faults.ts). */
  | { type: 'error'; during: 'load' | 'train' | 'export' | 'play' | 'message'; message: string; cause?: FaultCause }
  | PlayEvent;

export function parseRequest(data: unknown): WorkerRequest {
  return requestSchema.parse(data);
}
