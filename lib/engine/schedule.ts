// Learning-rate schedule: linear warmup to the peak, then cosine or linear decay to lr * minLrRatio, or constant.
import type { TrainConfig } from './types';

export type ScheduleConfig = Pick<TrainConfig, 'lr' | 'steps' | 'warmupSteps' | 'schedule' | 'minLrRatio'>;

/** Learning rate for optimizer step `step` (0-based). Warmup ramps (step+1)/(warmup+1) so the first step
 * already moves; decay starts at step = warmupSteps and reaches the floor at the last step (steps - 1). */
export function learningRateAt(step: number, cfg: ScheduleConfig): number {
  const { lr, steps, warmupSteps: w, schedule } = cfg;
  if (step < w) return (lr * (step + 1)) / (w + 1);
  if (schedule === 'constant') return lr;
  const floor = lr * cfg.minLrRatio;
  const progress = Math.min(1, Math.max(0, (step - w) / Math.max(1, steps - 1 - w)));
  const shape = schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return floor + (lr - floor) * shape;
}
