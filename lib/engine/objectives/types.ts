// The objective seam: what the trainer optimises. An objective turns rows (examples, preference pairs, unpaired
// answers) into host batches, and a batch into a scalar loss (on the tape) plus additive statistics that its
// metrics() turns into the numbers a step or a validation pass reports (TRL's names).
import type * as tf from '@tensorflow/tfjs';
import type { PreferenceExample, PromptExample, UnpairedExample } from '../../data/types';
import type { ForwardOptions } from '../forward-ctx';
import type { Example, ModelConfig, WeightMap } from '../types';

/** What a trainer can be given to train on; each objective says which kind it reads. */
export type TrainRow = Example | PreferenceExample | UnpairedExample | PromptExample;

/** What every batch tells the trainer: `counted` weighs micro-batches against each other (targets for causal
 * LM, pairs or answers for preference losses; 0 = nothing to learn), `tokens` feeds the speed. */
export interface ObjectiveBatch {
  counted: number;
  tokens: number;
}

/** The model as an objective sees it: the policy the optimizer trains, and the reference it is compared with. */
export interface ObjectiveRun {
  config: ModelConfig;
  /** The weights the policy's forward pass reads (variables over the base for full fine-tuning). */
  policy: WeightMap;
  /** The policy's forward options for one pass: adapter, packed weights, dropout and checkpointing as configured. */
  policyOptions(training: boolean, seed: number): ForwardOptions;
  /** The reference model: the loaded base weights, which training never changes (a PEFT policy reads the same
   * tensors with its adapter off; full fine-tuning trains variables over them), and its forward options. */
  reference: WeightMap;
  referenceOptions: ForwardOptions;
}

export interface ObjectiveLoss {
  loss: tf.Scalar; // the micro-batch's mean loss, on the tape
  stats: tf.Tensor1D | null; // [statsLength] sums that add up across micro-batches and validation batches
}

export interface Objective<B extends ObjectiveBatch = ObjectiveBatch> {
  readonly label: string;
  /** Throws a clear error when `rows` are not what this objective reads. */
  checkRows(rows: readonly TrainRow[], what: string): void;
  /** Packing short examples into rows (causal LM only). */
  readonly packs: boolean;
  batch(rows: TrainRow[], seqLen: number, padId: number): B;
  /** Tensors that need no gradient (reference log-probabilities), computed before the gradient tape so none of
   * their intermediates are kept for the backward pass. Freed by the caller. */
  frozen?(run: ObjectiveRun, b: B): tf.Tensor[];
  loss(run: ObjectiveRun, b: B, training: boolean, seed: number, frozen?: tf.Tensor[]): ObjectiveLoss;
  readonly statsLength: number;
  /** The reported metrics from summed stats. */
  metrics(stats: ArrayLike<number>): Record<string, number>;
  /** Trainable tensors the objective adds to the model (a reward model's head), by their transformers key;
   * the optimizer updates them with the method's variables. */
  readonly heads?: Map<string, tf.Variable>;
  /** Frees the heads. */
  dispose?(): void;
  /** Sampling before the gradient tape (RL): turns a drawn batch into the batch the loss reads (completions,
   * rewards, advantages, old and reference log-probabilities). The trainer awaits it for every micro-batch. */
  rollout?(run: ObjectiveRun, b: B, seed: number): Promise<B>;
  /** The step's optimizer updates from its rolled-out micro-batches, each update a list of micro-batches (PPO's
   * epochs x minibatches over one rollout batch). Absent: one update over the step's micro-batches. */
  updates?(batches: B[], seed: number): B[][];
  /** One pass before training (reference log-probabilities cached, when configured). */
  prepare?(run: ObjectiveRun, rows: TrainRow[], batchSize: number, seqLen: number, padId: number): Promise<void>;
}
