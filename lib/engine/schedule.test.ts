// Learning-rate schedule values at warmup, middle and end, worked by hand.
import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleConfig } from './schedule';

const cfg = (over: Partial<ScheduleConfig>): ScheduleConfig => ({ lr: 1e-3, steps: 13, warmupSteps: 2, schedule: 'cosine', minLrRatio: 0.1, ...over });

describe('learningRateAt', () => {
  it('warms up linearly: (step + 1) / (warmup + 1) of the peak', () => {
    expect(learningRateAt(0, cfg({}))).toBeCloseTo(1e-3 / 3, 12);
    expect(learningRateAt(1, cfg({}))).toBeCloseTo(2e-3 / 3, 12);
  });

  // Decay runs over steps 2..12 (10 intervals): progress = (step - 2) / 10.
  it.each([
    ['cosine', 2, 1e-3], // progress 0: peak
    ['cosine', 7, 1e-4 + 0.9e-3 * 0.5], // progress 0.5: cos(pi/2) = 0, halfway between peak and floor
    ['cosine', 12, 1e-4], // last step: floor = lr * minLrRatio
    ['cosine', 4, 1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos(0.2 * Math.PI))],
    ['linear', 7, 1e-4 + 0.9e-3 * 0.5],
    ['linear', 10, 1e-4 + 0.9e-3 * 0.2],
    ['linear', 12, 1e-4],
    ['constant', 12, 1e-3],
    ['constant', 0, 1e-3 / 3], // warmup applies to constant too
  ] as const)('%s at step %i', (schedule, step, want) => {
    expect(learningRateAt(step, cfg({ schedule }))).toBeCloseTo(want, 12);
  });

  it('stays at the floor past the end and handles no warmup', () => {
    expect(learningRateAt(50, cfg({}))).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(0, cfg({ warmupSteps: 0 }))).toBe(1e-3);
  });
});
