// Shared engine types: model configs, weight maps, training configs and the events a trainer reports.
// Everything here is plain data so it can cross the worker boundary and be written to JSON.
import type * as tf from '@tensorflow/tfjs';
import type { ObjectiveConfig } from './objectives/config';
import type { EarlyStopConfig } from './early-stop';
import type { MethodId } from './peft/registry';
import type { RopeScaling } from './rope';

/** Hugging Face GPT-2 `config.json` fields the engine uses (other keys are kept but ignored). */
export interface Gpt2Config {
  model_type: 'gpt2';
  vocab_size: number;
  n_positions: number; // longest sequence (learned position table)
  n_embd: number; // C
  n_layer: number;
  n_head: number;
  layer_norm_epsilon: number; // 1e-5 in GPT-2
  n_inner?: number | null; // MLP width; null or absent = 4C
  activation_function?: string; // 'gelu_new' (GPT-2), 'gelu', 'relu', ...
  scale_attn_weights?: boolean; // divide scores by sqrt(D); true by default
  scale_attn_by_inverse_layer_idx?: boolean; // also divide by (layer + 1); false by default
  bos_token_id?: number;
  eos_token_id?: number;
  [extra: string]: unknown;
}

/** Llama-family model types sharing one architecture (RMSNorm, RoPE, SwiGLU, grouped-query attention). */
export type LlamaModelType = 'llama' | 'qwen2' | 'mistral';

/** A Llama-family `config.json`, normalised by parseModelConfig: defaults filled, derived sizes explicit. */
export interface LlamaConfig {
  model_type: LlamaModelType;
  vocab_size: number;
  hidden_size: number; // C
  intermediate_size: number; // SwiGLU width
  num_hidden_layers: number;
  num_attention_heads: number; // H
  num_key_value_heads: number; // KV heads (GQA when < H)
  head_dim: number; // D; explicit, or hidden_size / heads
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: RopeScaling | null; // 'linear' or 'llama3' frequency scaling; null for plain RoPE
  attention_bias: boolean; // bias on q, k, v and o (llama)
  qkv_bias: boolean; // bias on q, k, v only (qwen2)
  mlp_bias: boolean;
  tie_word_embeddings: boolean;
  bos_token_id?: number;
  eos_token_id?: number;
  [extra: string]: unknown;
}

/** Every architecture the engine runs, discriminated on model_type. */
export type ModelConfig = Gpt2Config | LlamaConfig;

export function isGpt2(c: ModelConfig): c is Gpt2Config {
  return c.model_type === 'gpt2';
}

/** Longest sequence the model accepts. */
export function maxPositions(c: ModelConfig): number {
  return isGpt2(c) ? c.n_positions : c.max_position_embeddings;
}

/** Width of the residual stream (C). */
export function hiddenSize(c: ModelConfig): number {
  return isGpt2(c) ? c.n_embd : c.hidden_size;
}

/**
 * Weights keyed by Hugging Face checkpoint names. GPT-2: without the `transformer.` prefix, e.g. `wte.weight`
 * [V, C], `h.0.attn.c_attn.weight` [C, 3C] (Conv1D layout: [in, out]). Llama family: the full HF name, e.g.
 * `model.layers.0.self_attn.q_proj.weight` [H*D, C] (nn.Linear layout: [out, in]).
 */
export type WeightMap = Map<string, tf.Tensor>;

/** A tensor as plain data, for files and messages. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface LoraConfig {
  r: number; // rank, 8 by default
  alpha: number; // scaling = alpha / r (alpha / sqrt(r) with rsLoRA)
  dropout: number; // on the LoRA branch input only
  targetModules: string[]; // GPT-2: 'c_attn', 'c_proj', 'c_fc'; Llama: 'q_proj', ..., 'down_proj' (see loraTargetPresets)
  useRslora: boolean;
  layersToTransform?: number[] | null; // PEFT layers_to_transform: block indices that get adapters; absent or null = all
  // PEFT rank_pattern / alpha_pattern: per-module r and alpha, keyed by a module name or regex matched at the end of
  // the PEFT module path (transformer.h.0.attn.c_attn); absent = r and alpha everywhere. Read from adapters.
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
}

/** A method id of the registry (lib/engine/peft/registry.ts): 'lora', 'full', ... */
export type Method = MethodId;
export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface TrainConfig {
  method: Method;
  steps: number; // optimizer steps
  batchSize: number; // sequences per micro-batch
  gradAccum: number; // micro-batches per optimizer step
  seqLen: number; // tokens per sequence (<= n_positions)
  lr: number; // peak learning rate
  weightDecay: number; // decoupled (AdamW); not applied to biases, LayerNorm or LoRA-free params of rank 1
  beta1: number;
  beta2: number;
  epsilon: number; // pass explicitly: webgl's default epsilon differs
  warmupSteps: number;
  schedule: ScheduleKind;
  minLrRatio: number; // final lr = lr * minLrRatio for cosine / linear
  clipNorm: number; // global gradient norm clip; 0 = off
  seed: number;
  evalEvery: number; // steps between validation passes; 0 = off
  lora: LoraConfig; // LoRA's settings (they predate the method registry, so they keep their own field)
  methodConfig?: Record<string, Record<string, unknown>>; // every other method's settings, by method id (lib/engine/peft)
  dropout?: number; // model dropout (residual, embedding, attention) while training; 0 when absent
  checkpointEvery?: number; // onCheckpoint every N steps (and always at the end); 0 or absent = only at the end
  packing?: boolean; // pack training examples into rows of seqLen, attention kept inside each; validation stays unpacked
  checkpointing?: boolean; // gradient checkpointing: recompute each block in the backward pass (less memory, ~30% slower)
  objective?: ObjectiveConfig; // what the loss is (lib/engine/objectives): absent = causal LM on the examples
  earlyStop?: EarlyStopConfig; // stop after `patience` validation passes without improvement (needs evalEvery); absent = never
  replayShare?: number; // share of batch rows drawn from general text (replay, lib/engine/replay.ts); 0 or absent = off
}

/** One training example: token ids and a per-position loss mask (1 = this token is predicted and counts). */
export interface Example {
  ids: number[];
  mask: number[]; // same length as ids; mask[t] = 1 means the loss includes predicting ids[t] from ids[<t]
  segments?: number[]; // packed rows only: example index per token, -1 on padding (lib/data/pack.ts)
}

export interface StepMetrics {
  step: number; // 1-based optimizer step just finished
  totalSteps: number;
  loss: number; // mean over counted tokens of this step
  lr: number;
  gradNorm: number; // before clipping
  tokensPerSec: number;
  tokens: number; // tokens processed so far
  elapsedMs: number;
  metrics?: Record<string, number>; // the objective's own, TRL's names ('rewards/chosen', ...); absent for causal LM
}

export interface EvalMetrics {
  step: number;
  valLoss: number;
  perplexity: number;
  metrics?: Record<string, number>; // the objective's own over the validation rows (as StepMetrics.metrics)
  best?: boolean; // this pass is the lowest validation loss so far (its weights are the kept checkpoint)
}

export interface TrainerEvents {
  onStep?: (m: StepMetrics) => void;
  onEval?: (m: EvalMetrics) => void;
  onCheckpoint?: (step: number) => void;
}

export interface TrainResult {
  steps: number;
  firstLoss: number;
  lastLoss: number;
  stopped: boolean; // true when stop() ended the run early
  earlyStopped: boolean; // true when early stopping ended the run
  bestStep: number | null; // step of the lowest validation loss (the kept weights); null without validation
  bestValLoss: number | null;
}
