// Shared by the hand-off targets: the GPU memory a run needs and the Hugging Face scheduler for ours.
// The GPU memory a hand-off run needs: the studio's memory plan for the same model and settings with no budget
// limit (float32 weights, gradients, AdamW moments and activations, preference rows counted as planRequestFor
// does; bf16 mixed precision needs less), with attention that keeps no [B, H, T, T] weights, as PyTorch's SDPA
// kernels on a GPU do (transformers' default attention) and as the studio's WebGPU plan counts it.
import { formatBytes, planMemory, planModelFor } from '../../engine/memory-plan';
import { planRequestFor } from '../../engine/run-plan';
import type { ModelConfig, TrainConfig } from '../../engine/types';

export function handoffMemory(model: ModelConfig, train: TrainConfig): { bytes: number; text: string } {
  const plan = planMemory(planModelFor(model), { ...planRequestFor(model, train), fusedAttention: true, checkpointing: train.checkpointing ?? false },
    { budgetBytes: Number.MAX_SAFE_INTEGER });
  return { bytes: plan.total, text: formatBytes(plan.total) };
}

/** HF TrainingArguments' scheduler for ours: cosine down to minLrRatio, linear to zero, constant after warmup. */
export function hfScheduler(c: TrainConfig): { name: string; kwargs?: Record<string, number> } {
  if (c.schedule === 'cosine') return c.minLrRatio > 0 ? { name: 'cosine_with_min_lr', kwargs: { min_lr_rate: c.minLrRatio } } : { name: 'cosine' };
  if (c.schedule === 'linear') return { name: 'linear' };
  return { name: c.warmupSteps > 0 ? 'constant_with_warmup' : 'constant' };
}
