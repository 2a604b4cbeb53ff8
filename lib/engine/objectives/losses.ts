// The preference losses from per-sequence log-probabilities, as TRL computes them: DPOTrainer.dpo_loss (sigmoid
// with label smoothing = conservative DPO, hinge, ipo), CPOTrainer's simpo, ORPOTrainer.odds_ratio_loss and
// KTOTrainer.kto_loss. Per-example losses and rewards ([B]); the objectives take means and add the NLL ORPO needs.
import * as tf from '@tensorflow/tfjs';
import type { PreferenceConfig } from './config';

/** Policy (and, where the loss has one, reference) log-probabilities of each pair's answers, [B] each. Summed over
 * completion tokens, or averaged per token for ipo, simpo and orpo (averagesLogps). */
export interface PairLogps {
  chosen: tf.Tensor1D;
  rejected: tf.Tensor1D;
  refChosen?: tf.Tensor1D;
  refRejected?: tf.Tensor1D;
}

export interface PairLoss {
  losses: tf.Tensor1D; // [B], what the mean of is the loss (ORPO: plus the chosen NLL)
  chosenRewards: tf.Tensor1D; // [B]
  rejectedRewards: tf.Tensor1D; // [B]
}

/** log sigmoid(x) = -softplus(-x). Not tf.logSigmoid: its gradient reads its input after a tidy has freed it. */
function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/** -logsigmoid(beta x)(1 - eps) - logsigmoid(-beta x) eps: DPO's sigmoid loss with label smoothing eps. */
function smoothedSigmoid(x: tf.Tensor1D, beta: number, eps: number): tf.Tensor1D {
  const bx = tf.mul(x, beta);
  const pos = tf.mul(tf.neg(logSigmoid(bx)), 1 - eps);
  return (eps > 0 ? tf.sub(pos, tf.mul(logSigmoid(tf.neg(bx)), eps)) : pos) as tf.Tensor1D;
}

function reference(lp: PairLogps, what: string): { refChosen: tf.Tensor1D; refRejected: tf.Tensor1D } {
  if (!lp.refChosen || !lp.refRejected) throw new Error(`The ${what} loss needs reference log-probabilities`);
  return { refChosen: lp.refChosen, refRejected: lp.refRejected };
}

/** The pair losses (every loss type but kto). */
export function pairLoss(cfg: PreferenceConfig, lp: PairLogps): PairLoss {
  return tf.tidy(() => {
    const { beta } = cfg;
    const logratios = tf.sub(lp.chosen, lp.rejected) as tf.Tensor1D;
    if (cfg.lossType === 'simpo') {
      // CPOTrainer: logits = pi_logratios - gamma / beta, rewards are beta times the (averaged) policy log-probs.
      const losses = smoothedSigmoid(tf.sub(logratios, cfg.simpoGamma / beta) as tf.Tensor1D, beta, cfg.labelSmoothing);
      return { losses, chosenRewards: tf.mul(lp.chosen, beta) as tf.Tensor1D, rejectedRewards: tf.mul(lp.rejected, beta) as tf.Tensor1D };
    }
    if (cfg.lossType === 'orpo') {
      // log odds(y) = log p - log(1 - p) with p the average per-token probability; loss term -beta logsigmoid(log OR).
      const logOdds = tf.sub(logratios, tf.sub(tf.log1p(tf.neg(tf.exp(lp.chosen))), tf.log1p(tf.neg(tf.exp(lp.rejected)))));
      const losses = tf.mul(logSigmoid(logOdds), -beta) as tf.Tensor1D;
      return { losses, chosenRewards: tf.mul(lp.chosen, beta) as tf.Tensor1D, rejectedRewards: tf.mul(lp.rejected, beta) as tf.Tensor1D };
    }
    if (cfg.lossType === 'kto') throw new Error('kto is not a pair loss: use ktoLoss');
    const { refChosen, refRejected } = reference(lp, cfg.lossType);
    const logits = tf.sub(logratios, tf.sub(refChosen, refRejected)) as tf.Tensor1D; // pi_logratios - ref_logratios
    let losses: tf.Tensor1D;
    if (cfg.lossType === 'sigmoid') losses = smoothedSigmoid(logits, beta, cfg.labelSmoothing);
    else if (cfg.lossType === 'hinge') losses = tf.relu(tf.sub(1, tf.mul(logits, beta))) as tf.Tensor1D;
    else losses = tf.square(tf.sub(logits, 1 / (2 * beta))) as tf.Tensor1D; // ipo
    return {
      losses,
      chosenRewards: tf.mul(tf.sub(lp.chosen, refChosen), beta) as tf.Tensor1D,
      rejectedRewards: tf.mul(tf.sub(lp.rejected, refRejected), beta) as tf.Tensor1D,
    };
  });
}

/** KTO's inputs: summed log-probabilities of unpaired answers [B], which are desirable (1) or not (0), and the
 * batch's KL estimate (a constant: TRL computes it without gradient and clamps it at 0). */
export interface KtoInputs {
  policy: tf.Tensor1D;
  reference: tf.Tensor1D;
  desirable: tf.Tensor1D; // 1 or 0
  kl: tf.Scalar;
}

/** kto_loss: desirable 1 - sigmoid(beta (logratio - KL)), undesirable 1 - sigmoid(beta (KL - logratio)), each
 * weighted; rewards beta * logratio. */
export function ktoLoss(cfg: PreferenceConfig, x: KtoInputs): { losses: tf.Tensor1D; rewards: tf.Tensor1D } {
  return tf.tidy(() => {
    const logratio = tf.sub(x.policy, x.reference);
    const good = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(logratio, x.kl), cfg.beta))), cfg.desirableWeight);
    const bad = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(x.kl, logratio), cfg.beta))), cfg.undesirableWeight);
    const losses = tf.add(tf.mul(good, x.desirable), tf.mul(bad, tf.sub(1, x.desirable))) as tf.Tensor1D;
    return { losses, rewards: tf.mul(logratio, cfg.beta) as tf.Tensor1D };
  });
}
