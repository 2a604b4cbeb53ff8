// What a PEFT method is to the rest of the engine: the forward hook it supplies (Adapter), the trainable state it
// creates for a loaded model, and its files. The pure description (id, help, fields) is MethodSpec in spec.ts.
import type * as tf from '@tensorflow/tfjs';
import type { HostTensor, WeightMap } from '../types';

/** What a linear layer tells the adapter about the pass it runs in. */
export interface LinearSite {
  training: boolean;
  /** A fresh dropout seed for this site; call it only when dropout actually applies (seeds follow call order). */
  nextSeed(): number;
}

/** The forward change: ForwardOptions.adapter. Every linear layer of every family calls linear() once. */
export interface Adapter {
  /** Module `path`'s output as the method changes it: x [N, in] the input, y [N, out] = base(x). Returns y
   * itself for modules the method leaves alone. */
  linear(path: string, x: tf.Tensor2D, y: tf.Tensor2D, site: LinearSite): tf.Tensor2D;
  /** The trainable variables linear() reads for modules under `prefix` (e.g. 'h.3.'): gradient checkpointing makes
   * them inputs of a recomputed block, so one missing here would silently get no gradient. */
  variablesUnder(prefix: string): tf.Variable[];
  /** Prompt tuning: n soft-prompt rows [n, C] put before the input embeddings of a pass that starts a sequence
   * (positions 0..n-1); the model returns hidden states of the input tokens only. */
  prompt?: { n: number; embeddings(): tf.Tensor2D };
  /** Prefix tuning: n learned key/value slots per layer ([kvHeads, n, headDim] each, never rotated), seen by every
   * token as an attention cache; input tokens take positions n.. . Read inside each block: list the variables
   * keyValues() reads in variablesUnder. */
  prefix?: { n: number; keyValues(layer: number): { k: tf.Tensor3D; v: tf.Tensor3D } };
  /** Bottleneck adapters: block `layer`'s attention or MLP output h [N, C] (after its projection and dropout,
   * before the residual sum) as the method changes it. */
  blockOutput?(layer: number, sublayer: 'attn' | 'mlp', h: tf.Tensor2D, site: LinearSite): tf.Tensor2D;
}

/** The linear hook of an adapter that leaves every linear layer alone (prompt, prefix, bottleneck). */
export function unchangedLinear(_path: string, _x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return y;
}

/** PEFT's two files: adapter_config.json contents and the adapter_model.safetensors tensors. */
export interface PeftFiles {
  config: Record<string, unknown>;
  tensors: Record<string, HostTensor>;
}

/** A merged-weights view of a state, snapshotted synchronously (so a running step cannot tear an export). */
export interface MergeSnapshot {
  /** The weight `key` with the adapter folded in, or null when the method does not change it. */
  merged(key: string, W: tf.Tensor): tf.Tensor | null;
  dispose(): void;
}

/** What create() and load() return: everything a trainer needs for one run. */
export interface TrainableState {
  /** What the optimizer updates. */
  readonly variables: tf.Variable[];
  /** What the forward pass reads: the base tensors, or (full fine-tuning) variables over them. */
  readonly weights: WeightMap;
  /** The forward change, when the method has one. */
  readonly adapter?: Adapter;
  /** The PEFT files (adapter methods only). */
  save?(baseModel: string): Promise<PeftFiles>;
  /** Merged weights for a model-folder export (methods with a merge). */
  snapshotMerge?(): MergeSnapshot;
  /** Folds the adapter into `weights` in place, only if every merged weight is finite (methods with a merge). */
  merge?(weights: WeightMap): Promise<void>;
  /** Undoes merge() in place. */
  unmerge?(weights: WeightMap): void;
  /** Frees the variables (never the base weights). */
  dispose(): void;
}
