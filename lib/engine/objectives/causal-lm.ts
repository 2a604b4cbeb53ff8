// Causal language modelling as an objective: padded (or packed) example rows, the mean NLL over the tokens that
// carry loss (objective.ts), no extra metrics. The default when TrainConfig.objective is absent.
import { makeBatch, type Batch } from '../batch';
import { causalLmBatchLoss } from '../objective';
import type { Example } from '../types';
import type { Objective, TrainRow } from './types';

function isExample(r: TrainRow): r is Example {
  return Array.isArray((r as Example).ids) && Array.isArray((r as Example).mask);
}

export const causalLm: Objective<Batch> = {
  label: 'causal language modelling',
  packs: true,
  statsLength: 0,
  checkRows(rows, what) {
    const bad = rows.findIndex((r) => !isExample(r));
    if (bad >= 0) throw new Error(`${what} row ${bad} is not a token example ({ids, mask}): causal LM training reads encoded examples, not preference pairs`);
  },
  batch: (rows, seqLen, padId) => makeBatch(rows as Example[], seqLen, padId),
  loss: (run, b, training, seed) => ({ loss: causalLmBatchLoss(run.config, run.policy, b, run.policyOptions(training, seed)), stats: null }),
  metrics: () => ({}),
};
