// A PEFT method in full: its spec (spec.ts) plus what needs tfjs: creating the trainable state for a loaded model
// and reading its PEFT files back. One object per method folder; methods.ts lists them.
import type { ModelConfig, TrainConfig, WeightMap } from '../types';
import type { MethodSpec } from './spec';
import type { PeftFiles, TrainableState } from './types';

/** What some methods need at create() besides the model: the tokenizer (prompt tuning's init text). */
export interface CreateContext {
  tokenizer?: { encode(text: string): number[] };
}

export interface PeftMethod<Id extends string = string> extends MethodSpec<Id> {
  /** The trainable state for a run: variables, the weights the forward pass reads, the forward hook. */
  create(model: ModelConfig, weights: WeightMap, train: TrainConfig, seed: number, context?: CreateContext): TrainableState;
  /** PEFT files back into a state, checked against the model (adapter methods only). */
  load?(files: PeftFiles, model: ModelConfig, weights: WeightMap): TrainableState;
  /** adapter_config.json peft_type values load() reads. */
  peftTypes: string[];
  /** For a peft_type several methods share (LORA: LoRA and DoRA), whether this one reads that config. */
  accepts?(config: Record<string, unknown>): boolean;
}
