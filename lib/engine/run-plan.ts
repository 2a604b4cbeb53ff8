// The memory planner's request for a training run as the trainer will start it: the method's profile, trainable
// parameters and forward-pass shape from the registry, and the rows a preference objective puts through the model.
// The studio, the CLI (`plan`, `train`'s check) and the hand-off all plan through this, so they agree.
import type { PlanRequest, WeightFormat } from './memory-plan';
import { methodSpec } from './peft/registry';
import { packedBaseRefusal } from './peft/spec';
import { fusedAttentionApplies } from './speedups';
import { isGpt2, type ModelConfig, type TrainConfig } from './types';

/** Rows per example through the taped forward pass: pair objectives (DPO family, reward model) put chosen and
 * rejected through it, RL its k sampled answers per prompt. KTO's KL rows and every reference pass run before the tape, one block's activations at a
 * time, below the taped peak (measured: DPO and KTO plans within 15% of trainer steps, memory-plan.test.ts). */
export function rowsPerExample(train: TrainConfig): number {
  const o = train.objective;
  if (!o) return 1;
  if (o.kind === 'rl') return o.numGenerations; // k sampled answers per prompt go through the taped pass
  return o.kind === 'preference' && o.lossType === 'kto' ? 1 : 2;
}

/** Whether training `model` on `backend` runs attention through the fused kernels (speedups.ts's rule). */
export function fusedAttentionFor(model: ModelConfig, train: TrainConfig, backend: string | null | undefined): boolean {
  return fusedAttentionApplies(backend, isGpt2(model) ? model.n_embd / model.n_head : model.head_dim, train.dropout ?? 0);
}

/** The plan request for `train` on `model`; checkpointing as configured (undefined leaves the choice to the caller).
 * `backend` (the one the run trains on, when known) decides whether attention is fused. */
export function planRequestFor(model: ModelConfig, train: TrainConfig, weightFormat: WeightFormat = 'f32', backend?: string | null): PlanRequest {
  const spec = methodSpec(train.method);
  return {
    ...(fusedAttentionFor(model, train, backend) ? { fusedAttention: true } : {}),
    ...(weightFormat === 'f32' ? {} : { weightFormat }),
    packable: packedBaseRefusal(spec) === null,
    method: spec.memoryProfile,
    trainableParams: spec.trainableParams(model, train),
    batchSize: train.batchSize * rowsPerExample(train),
    seqLen: train.seqLen,
    checkpointing: train.checkpointing,
    shape: spec.planShape(model, train),
  };
}
