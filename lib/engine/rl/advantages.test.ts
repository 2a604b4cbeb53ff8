// RL's advantage pieces against values worked by hand from TRL's formulas (GRPOTrainer, RLOOTrainer, PPOTrainer).
import { describe, expect, it } from 'vitest';
import { gae, grpoAdvantages, rlooAdvantages, std, tokenRewards, whiten } from './advantages';

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe('GRPO advantages', () => {
  it('normalise each group by its mean and unbiased std + 1e-4', () => {
    // [1, 0]: mean 0.5, std sqrt(0.5) = 0.707107 -> +-0.5 / 0.707207; [2, 2]: no spread -> 0.
    close(grpoAdvantages([1, 0, 2, 2], 2), [0.5 / 0.7072068, -0.5 / 0.7072068, 0, 0]);
    // [3, 0, 0]: mean 1, std sqrt(6 / 2) = 1.7320508.
    close(grpoAdvantages([3, 0, 0], 3), [2 / 1.7321508, -1 / 1.7321508, -1 / 1.7321508]);
  });
  it('leave the scale out with scale_rewards "none"', () => close(grpoAdvantages([3, 0, 0], 3, false), [2, -1, -1]));
  it('refuse rewards that are not whole groups', () => expect(() => grpoAdvantages([1, 2, 3], 2)).toThrow(/groups of 2/));
});

describe('RLOO advantages', () => {
  it('subtract the mean of the other answers of the group', () => {
    close(rlooAdvantages([3, 0, 0], 3), [3, -1.5, -1.5]);
    close(rlooAdvantages([1, 0, 5, 5], 2), [1, -1, 0, 0]);
  });
  it('whiten over the batch when asked', () => {
    // [1, -1, 0, 0]: mean 0, std sqrt(2 / 3) = 0.816497.
    close(rlooAdvantages([1, 0, 5, 5], 2, true), [1 / 0.816597, -1 / 0.816597, 0, 0]);
  });
});

describe('PPO pieces', () => {
  it('per-token rewards: -kl_coef * kl everywhere, the score at the last token', () => close(tokenRewards(2, [0.1, -0.2, 0.3], 0.5), [-0.05, 0.1, 1.85]));
  it('GAE with gamma 1, lam 0.95 and with gamma 0.9, lam 0.5', () => {
    const a = gae([0, 0, 1], [0.5, 0.4, 0.8], 1, 0.95);
    close(a.advantages, [0.4605, 0.59, 0.2]);
    close(a.returns, [0.9605, 0.99, 1.0]);
    close(gae([0, 0, 1], [0.5, 0.4, 0.8], 0.9, 0.5).advantages, [0.0445, 0.41, 0.2]);
  });
  it('whiten as TRL masked_whiten (unbiased variance, + 1e-8), with and without the mean', () => {
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 6);
    close(whiten([1, 2, 3, 4]), [-1.161895, -0.387298, 0.387298, 1.161895]);
    close(whiten([1, 2, 3, 4], false), [1.338105, 2.112702, 2.887298, 3.661895]);
  });
});
