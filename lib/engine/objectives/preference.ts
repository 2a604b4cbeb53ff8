// Paired preference optimisation as TRL's DPOTrainer runs it (and CPOTrainer's SimPO, ORPOTrainer): each batch
// of B pairs is one forward pass over 2B rows (every chosen answer, then every rejected one, each after its
// prompt), per-sequence log-probabilities of the answer tokens, the reference model's in a pass without
// gradient (or cached from one pass before training), then the loss and TRL's metrics.
import * as tf from '@tensorflow/tfjs';
import type { PreferenceExample } from '../../data/types';
import { makeBatch } from '../batch';
import type { Example } from '../types';
import { averagesLogps, needsReference, type PreferenceConfig } from './config';
import { pairLoss } from './losses';
import { countsPerRow, sequenceLogps, type SequenceBatch } from './sequence-logps';
import type { Objective, ObjectiveBatch, ObjectiveRun, TrainRow } from './types';

export interface PairBatch extends SequenceBatch, ObjectiveBatch {
  pairs: number; // B; N = 2B rows: chosen 0..B-1, rejected B..2B-1
  counts: Float32Array; // [2B] answer tokens per row
  ref?: Float32Array; // [2B] cached reference log-probabilities (summed), when precomputed
  rows: PreferenceExample[];
}

export function isPreferenceExample(r: TrainRow): r is PreferenceExample {
  const p = r as PreferenceExample;
  return Array.isArray(p.prompt) && Array.isArray(p.chosen) && Array.isArray(p.rejected);
}

/** Prompt then answer; the mask counts the answer tokens only. */
export function answerRow(prompt: number[], answer: number[]): Example {
  return { ids: [...prompt, ...answer], mask: [...prompt.map(() => 0), ...answer.map(() => 1)] };
}

/** 2B padded rows for B pairs (the length bucket and cap of makeBatch). */
export function pairBatch(rows: PreferenceExample[], seqLen: number, padId: number): PairBatch {
  const B = rows.length;
  const b = makeBatch([...rows.map((r) => answerRow(r.prompt, r.chosen)), ...rows.map((r) => answerRow(r.prompt, r.rejected))], seqLen, padId);
  return { ids: b.ids, mask: b.mask, N: 2 * B, T: b.T, pairs: B, counted: B, tokens: b.tokens, counts: countsPerRow(b.mask, 2 * B, b.T), rows };
}

/** Per-token averages where the loss type reads them (ipo, simpo, orpo), else the sums. */
function scaled(cfg: PreferenceConfig, sums: tf.Tensor1D, counts: Float32Array): tf.Tensor1D {
  return averagesLogps(cfg.lossType) ? (tf.div(sums, tf.tensor1d(counts.map((c) => Math.max(c, 1)))) as tf.Tensor1D) : sums;
}

/** The objective for one paired loss type (sigmoid, hinge, ipo, simpo, orpo). */
export function pairObjective(cfg: PreferenceConfig): Objective<PairBatch> {
  if (cfg.lossType === 'kto') throw new Error('kto reads unpaired answers: use ktoObjective');
  const cache = new WeakMap<PreferenceExample, [number, number]>(); // summed reference log-probs (chosen, rejected)
  const referenceSums = (run: ObjectiveRun, b: PairBatch): tf.Tensor1D =>
    b.ref ? tf.tensor1d(b.ref) : sequenceLogps(run.config, run.reference, b, run.referenceOptions);
  const self: Objective<PairBatch> = {
    label: `preference optimisation (${cfg.lossType})`,
    packs: false,
    statsLength: 7,
    checkRows(rows, what) {
      const bad = rows.findIndex((r) => !isPreferenceExample(r));
      if (bad >= 0) throw new Error(`${what} row ${bad} is not a preference pair ({prompt, chosen, rejected} ids): the ${cfg.lossType} loss trains on pairs`);
    },
    batch(rows, seqLen, padId) {
      const b = pairBatch(rows as PreferenceExample[], seqLen, padId);
      const cached = b.rows.map((r) => cache.get(r));
      if (cached.every((c) => c !== undefined)) b.ref = Float32Array.from([...cached.map((c) => c![0]), ...cached.map((c) => c![1])]);
      return b;
    },
    frozen: (run, b) => (needsReference(cfg.lossType) ? [tf.tidy(() => scaled(cfg, referenceSums(run, b), b.counts))] : []),
    loss(run, b, training, seed, frozen) {
      // TRL disables dropout for preference training (disable_dropout=True): the policy and the reference see
      // the same deterministic model until the first update.
      const opts = { ...run.policyOptions(training, seed), training: false, dropout: 0 };
      const ref = frozen ?? self.frozen!(run, b);
      const out = tf.tidy(() => {
        const sums = sequenceLogps(run.config, run.policy, b, opts); // [2B]
        const lp = scaled(cfg, sums, b.counts);
        const B = b.pairs;
        const half = (t: tf.Tensor1D, k: number) => tf.slice(t, [k * B], [B]);
        const refLp = ref[0] as tf.Tensor1D | undefined;
        const chosen = half(lp, 0);
        const rejected = half(lp, 1);
        const { losses, chosenRewards, rejectedRewards } = pairLoss(cfg, {
          chosen, rejected, refChosen: refLp && half(refLp, 0), refRejected: refLp && half(refLp, 1),
        });
        let loss = tf.mean(losses) as tf.Scalar;
        if (cfg.lossType === 'orpo') {
          // ORPO adds the chosen answers' NLL, averaged over all their tokens in the batch (TRL policy_nll_loss).
          const chosenTokens = b.counts.subarray(0, B).reduce((a, c) => a + c, 0);
          loss = tf.add(tf.div(tf.neg(tf.sum(half(sums, 0))), Math.max(1, chosenTokens)), loss) as tf.Scalar;
        }
        const margins = tf.sub(chosenRewards, rejectedRewards);
        const stats = tf.stack([
          tf.sum(chosenRewards), tf.sum(rejectedRewards), tf.sum(tf.cast(tf.greater(margins, 0), 'float32')), tf.sum(margins),
          tf.sum(chosen), tf.sum(rejected), tf.scalar(B),
        ]) as tf.Tensor1D;
        return { loss, stats };
      });
      if (!frozen) tf.dispose(ref);
      return out;
    },
    metrics(s) {
      const n = s[6];
      if (!(n > 0)) return {} as Record<string, number>;
      return {
        'rewards/chosen': s[0] / n, 'rewards/rejected': s[1] / n, 'rewards/accuracies': s[2] / n, 'rewards/margins': s[3] / n,
        'logps/chosen': s[4] / n, 'logps/rejected': s[5] / n,
      };
    },
    async prepare(run, rows, batchSize, seqLen, padId) {
      if (!cfg.precomputeReference || !needsReference(cfg.lossType)) return;
      const pairs = (rows as PreferenceExample[]).filter((r) => !cache.has(r));
      for (let i = 0; i < pairs.length; i += batchSize) {
        const b = pairBatch(pairs.slice(i, i + batchSize), seqLen, padId);
        const t = tf.tidy(() => sequenceLogps(run.config, run.reference, b, run.referenceOptions));
        const v = await t.data();
        t.dispose();
        b.rows.forEach((r, k) => cache.set(r, [v[k], v[b.pairs + k]]));
      }
    },
  };
  return self;
}
