// Each preference loss against known answers from given log-probabilities: TRL's formulas evaluated in PyTorch
// (torch 1.13, F.logsigmoid, written out from dpo_loss, CPO's simpo, odds_ratio_loss and kto_loss), and the
// first of each worked by hand in the comments.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu, values } from '../test-utils';
import { defaultPreferenceConfig, type PreferenceLossType } from './config';
import { ktoLoss, pairLoss } from './losses';

beforeAll(useCpu);

// Summed log-probs of three pairs; pi_logratios - ref_logratios = [1.5, -1.5, 1.5].
const lp = () => ({
  chosen: tf.tensor1d([-5, -12, -3.5]), rejected: tf.tensor1d([-7, -10, -3]),
  refChosen: tf.tensor1d([-6, -11, -4]), refRejected: tf.tensor1d([-6.5, -10.5, -2]),
});
// Per-token averages for the length-normalised, reference-free losses.
const avg = () => ({ chosen: tf.tensor1d([-0.5, -1.2, -0.35]), rejected: tf.tensor1d([-0.7, -1.0, -0.3]) });

function run(lossType: PreferenceLossType, over: object, input: ReturnType<typeof lp> | ReturnType<typeof avg>) {
  const r = pairLoss({ ...defaultPreferenceConfig(lossType), ...over }, input);
  return { losses: Array.from(values(r.losses)), chosen: Array.from(values(r.chosenRewards)), rejected: Array.from(values(r.rejectedRewards)) };
}

const close = (a: number[], b: number[], digits = 5) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], digits));

describe('pair losses (TRL dpo_loss and friends)', () => {
  it('sigmoid (DPO): -logsigmoid(beta * logits); rewards beta * (policy - reference)', () => {
    // beta 0.1, logits 1.5: -log sigmoid(0.15) = log(1 + e^-0.15) = 0.620957.
    const r = run('sigmoid', {}, lp());
    close(r.losses, [0.62095708, 0.77095711, 0.62095708]);
    close(r.chosen, [0.1, -0.1, 0.05]);
    close(r.rejected, [-0.05, 0.05, -0.1]);
  });

  it('conservative DPO: label smoothing 0.2 mixes in the flipped label', () => {
    // 0.8 * 0.620957 + 0.2 * log(1 + e^0.15) = 0.8 * 0.620957 + 0.2 * 0.770957 = 0.650957.
    close(run('sigmoid', { labelSmoothing: 0.2 }, lp()).losses, [0.65095711, 0.74095708, 0.65095711]);
  });

  it('hinge: relu(1 - beta * logits)', () => {
    close(run('hinge', {}, lp()).losses, [0.85, 1.15, 0.85]); // 1 - 0.15, 1 + 0.15
    close(run('hinge', { beta: 2 }, lp()).losses, [0, 4, 0]); // 1 - 3 clipped at 0; 1 + 3
  });

  it('ipo: (logits - 1 / (2 beta))^2', () => {
    close(run('ipo', {}, lp()).losses, [12.25, 42.25, 12.25], 4); // (1.5 - 5)^2, (-1.5 - 5)^2
  });

  it('simpo: -logsigmoid(beta * (pi_logratios - gamma / beta)), reference-free; rewards beta * logps', () => {
    // beta 2, gamma 0.5: 2 * (0.2 - 0.25) = -0.1, log(1 + e^0.1) = 0.744397.
    const r = run('simpo', { beta: 2, simpoGamma: 0.5 }, avg());
    close(r.losses, [0.74439669, 1.24115396, 1.03748798]);
    close(r.chosen, [-1, -2.4, -0.7]);
  });

  it('orpo: -beta * logsigmoid(log odds ratio) of average per-token probabilities', () => {
    close(run('orpo', {}, avg()).losses, [0.04946478, 0.08545234, 0.07874656]);
  });

  it('losses that need a reference refuse without one', () => {
    expect(() => pairLoss(defaultPreferenceConfig('sigmoid'), avg())).toThrow(/reference log-probabilities/);
  });
});

describe('kto_loss', () => {
  it('desirable 1 - sigmoid(beta (logratio - KL)), undesirable weighted 1 - sigmoid(beta (KL - logratio))', () => {
    // First: logratio 1, KL 0.3: 1 - sigmoid(0.07) = 0.482507.
    const cfg = { ...defaultPreferenceConfig('kto'), undesirableWeight: 1.5 };
    const r = ktoLoss(cfg, {
      policy: tf.tensor1d([-5, -12, -3.5, -8]), reference: tf.tensor1d([-6, -11, -4, -8.5]),
      desirable: tf.tensor1d([1, 0, 1, 0]), kl: tf.scalar(0.3),
    });
    close(Array.from(values(r.losses)), [0.48250711, 0.7013185, 0.49500012, 0.75749964]);
    close(Array.from(values(r.rewards)), [0.1, -0.1, 0.05, 0.05]);
  });
});
