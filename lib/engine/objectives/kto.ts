// KTO as TRL's KTOTrainer runs it: unpaired answers marked desirable or not; the batch's KL estimate comes from
// mismatched rows (each prompt followed by the previous row's answer), policy minus reference, averaged and
// clamped at 0, all without gradient; then kto_loss (losses.ts) and TRL's reward metrics.
import * as tf from '@tensorflow/tfjs';
import type { UnpairedExample } from '../../data/types';
import { makeBatch } from '../batch';
import type { PreferenceConfig } from './config';
import { ktoLoss } from './losses';
import { answerRow } from './preference';
import { sequenceLogps, type SequenceBatch } from './sequence-logps';
import type { Objective, ObjectiveBatch, TrainRow } from './types';

export interface KtoBatch extends ObjectiveBatch {
  answers: SequenceBatch; // [B, T]: prompt i, answer i
  mismatched: SequenceBatch; // [B, T]: prompt i, answer i - 1 (the KL rows)
  desirable: Float32Array; // [B] 1 or 0
}

export function isUnpairedExample(r: TrainRow): r is UnpairedExample {
  const u = r as UnpairedExample;
  return Array.isArray(u.prompt) && Array.isArray(u.completion) && typeof u.desirable === 'boolean';
}

function ktoBatch(rows: UnpairedExample[], seqLen: number, padId: number): KtoBatch {
  const B = rows.length;
  const answers = rows.map((r) => answerRow(r.prompt, r.completion));
  const shifted = rows.map((r, i) => answerRow(r.prompt, rows[(i + B - 1) % B].completion));
  const b = makeBatch([...answers, ...shifted], seqLen, padId); // one length for both halves
  const half = (k: number): SequenceBatch => ({ ids: b.ids.subarray(k * B * b.T, (k + 1) * B * b.T), mask: b.mask.subarray(k * B * b.T, (k + 1) * B * b.T), N: B, T: b.T });
  return { answers: half(0), mismatched: half(1), desirable: Float32Array.from(rows.map((r) => (r.desirable ? 1 : 0))), counted: B, tokens: makeBatch(answers, seqLen, padId).tokens };
}

export function ktoObjective(cfg: PreferenceConfig): Objective<KtoBatch> {
  const self: Objective<KtoBatch> = {
    label: 'KTO',
    packs: false,
    statsLength: 8,
    checkRows(rows, what) {
      const bad = rows.findIndex((r) => !isUnpairedExample(r));
      if (bad >= 0) throw new Error(`${what} row ${bad} is not an unpaired answer ({prompt, completion, desirable}): KTO trains on answers marked good or bad`);
    },
    batch: (rows, seqLen, padId) => ktoBatch(rows as UnpairedExample[], seqLen, padId),
    // [reference log-probs of the answers [B], the KL estimate []]; the policy's KL pass also runs here, untaped.
    frozen: (run, b) => tf.tidy(() => {
      const ref = sequenceLogps(run.config, run.reference, b.answers, run.referenceOptions);
      const policyKl = sequenceLogps(run.config, run.policy, b.mismatched, { ...run.policyOptions(false, 0), checkpointing: false });
      const refKl = sequenceLogps(run.config, run.reference, b.mismatched, run.referenceOptions);
      return [ref, tf.maximum(tf.mean(tf.sub(policyKl, refKl)), 0)];
    }),
    loss(run, b, training, seed, frozen) {
      const opts = { ...run.policyOptions(training, seed), training: false, dropout: 0 }; // TRL disables dropout
      const fz = frozen ?? self.frozen!(run, b);
      const out = tf.tidy(() => {
        const policy = sequenceLogps(run.config, run.policy, b.answers, opts);
        const desirable = tf.tensor1d(b.desirable);
        const { losses, rewards } = ktoLoss(cfg, { policy, reference: fz[0] as tf.Tensor1D, desirable, kl: fz[1] as tf.Scalar });
        const undesirable = tf.sub(1, desirable);
        const stats = tf.stack([
          tf.sum(tf.mul(rewards, desirable)), tf.sum(desirable), tf.sum(tf.mul(rewards, undesirable)), tf.sum(undesirable),
          tf.sum(tf.mul(policy, desirable)), tf.sum(tf.mul(policy, undesirable)), fz[1], tf.scalar(1),
        ]) as tf.Tensor1D;
        return { loss: tf.mean(losses) as tf.Scalar, stats };
      });
      if (!frozen) tf.dispose(fz);
      return out;
    },
    metrics(s) {
      const out: Record<string, number> = {};
      if (s[1] > 0) Object.assign(out, { 'rewards/chosen': s[0] / s[1], 'logps/chosen': s[4] / s[1] });
      if (s[3] > 0) Object.assign(out, { 'rewards/rejected': s[2] / s[3], 'logps/rejected': s[5] / s[3] });
      if (s[1] > 0 && s[3] > 0) out['rewards/margins'] = out['rewards/chosen'] - out['rewards/rejected'];
      if (s[7] > 0) out.kl = s[6] / s[7];
      return out;
    },
  };
  return self;
}
