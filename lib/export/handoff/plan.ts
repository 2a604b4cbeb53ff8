// Shared by the hand-off targets: the GPU memory a run needs and the Hugging Face scheduler for ours.
// The GPU memory a hand-off run needs: the studio's memory plan for the same model and settings with no budget
// limit (float32 weights, gradients, AdamW moments and activations, two rows per example for preference
// objectives; bf16 mixed precision needs less).
import { methodSpec } from '../../engine/peft/registry';
import { formatBytes, planMemory, planModelFor } from '../../engine/memory-plan';
import type { ModelConfig, TrainConfig } from '../../engine/types';
import { rowsPerExample } from './preference';

export function handoffMemory(model: ModelConfig, train: TrainConfig): { bytes: number; text: string } {
  const spec = methodSpec(train.method);
  const plan = planMemory(planModelFor(model), {
    method: spec.memoryProfile, trainableParams: spec.trainableParams(model, train), batchSize: train.batchSize * rowsPerExample(train), seqLen: train.seqLen,
    checkpointing: train.checkpointing ?? false,
  }, { budgetBytes: Number.MAX_SAFE_INTEGER });
  return { bytes: plan.total, text: formatBytes(plan.total) };
}

/** HF TrainingArguments' scheduler for ours: cosine down to minLrRatio, linear to zero, constant after warmup. */
export function hfScheduler(c: TrainConfig): { name: string; kwargs?: Record<string, number> } {
  if (c.schedule === 'cosine') return c.minLrRatio > 0 ? { name: 'cosine_with_min_lr', kwargs: { min_lr_rate: c.minLrRatio } } : { name: 'cosine' };
  if (c.schedule === 'linear') return { name: 'linear' };
  return { name: c.warmupSteps > 0 ? 'constant_with_warmup' : 'constant' };
}
