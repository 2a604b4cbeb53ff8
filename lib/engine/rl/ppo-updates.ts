// PPO's optimisation of one rollout batch, as TRL's PPOTrainer does it: per-token rewards (the score at the last
// token, -kl_coef * k1 at every token), optional reward whitening, GAE, advantages whitened over the whole batch;
// then num_ppo_epochs passes, each over a fresh permutation of the batch's answers split into num_mini_batches
// minibatches, one optimizer update per minibatch, each minibatch in micro-batches of the run's batch size.
// Host arrays only: the trainer runs each update's micro-batches through the objective's loss.
import { makeBatch } from '../batch';
import type { SequenceBatch } from '../objectives/sequence-logps';
import { mulberry32 } from '../random';
import { gae, tokenRewards, whiten } from './advantages';

/** One sampled answer as the rollout left it: its row (prompt + completion, completion tokens counted), the
 * rollout policy's log-probabilities and values and the reference's log-probabilities per completion token, its
 * score, and its share of the step's stats (reward, 1, KL sum, tokens, entropy sum). */
export interface PpoRow {
  ids: number[];
  mask: number[];
  old: Float32Array;
  ref: Float32Array;
  values: Float32Array;
  score: number;
  stats: number[];
}

/** One micro-batch of an update: what ppoLoss reads, flat over its completion tokens. */
export interface PpoMicro {
  seq: SequenceBatch;
  old: Float32Array;
  adv: Float32Array;
  oldValues: Float32Array;
  returns: Float32Array;
  M: number;
  /** The rows' stats in the first epoch, zeros after: summed over a step they count each answer once. */
  stats: Float32Array;
}

export interface PpoSchedule {
  beta: number; // kl_coef
  gamma: number;
  lam: number;
  whitenRewards: boolean;
  epochs: number;
  miniBatches: number;
  /** Rows per micro-batch (the run's batch size times the answers per prompt). */
  microRows: number;
  seqLen: number;
  padId: number;
  seed: number;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Advantages and returns per row, whitened over every completion token of the batch (TRL masked_whiten). */
export function ppoAdvantages(rows: PpoRow[], o: Pick<PpoSchedule, 'beta' | 'gamma' | 'lam' | 'whitenRewards'>): { adv: Float32Array[]; returns: Float32Array[] } {
  let rewards = rows.map((r) => tokenRewards(r.score, Float32Array.from(r.old, (x, t) => x - r.ref[t]), o.beta));
  if (o.whitenRewards) rewards = split(whiten(concat(rewards), false), rows);
  const g = rows.map((r, i) => gae(rewards[i], r.values, o.gamma, o.lam));
  return { adv: split(whiten(concat(g.map((x) => x.advantages))), rows), returns: g.map((x) => x.returns) };
}

function split(flat: Float32Array, rows: PpoRow[]): Float32Array[] {
  let at = 0;
  return rows.map((r) => flat.slice(at, (at += r.old.length)));
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The step's optimizer updates: epochs x minibatches, each a list of micro-batches. */
export function ppoUpdates(rows: PpoRow[], o: PpoSchedule): PpoMicro[][] {
  const R = rows.length;
  if (R % o.miniBatches !== 0) {
    throw new Error(`PPO: the rollout batch of ${R} answers (batch size x grad accumulation x answers per prompt) does not split into ${o.miniBatches} minibatches (num_mini_batches): choose a divisor of ${R}`);
  }
  const { adv, returns } = ppoAdvantages(rows, o);
  const size = R / o.miniBatches;
  const updates: PpoMicro[][] = [];
  for (let e = 0; e < o.epochs; e++) {
    const order = permutation(R, o.seed + e);
    for (let m = 0; m < o.miniBatches; m++) {
      const mini = order.slice(m * size, (m + 1) * size);
      const micros: PpoMicro[] = [];
      for (let s = 0; s < mini.length; s += o.microRows) micros.push(micro(mini.slice(s, s + o.microRows), e === 0));
      updates.push(micros);
    }
  }
  return updates;

  function micro(idx: number[], first: boolean): PpoMicro {
    const b = makeBatch(idx.map((i) => ({ ids: rows[i].ids, mask: rows[i].mask })), o.seqLen, o.padId);
    const old = concat(idx.map((i) => rows[i].old));
    const stats = new Float32Array(rows[0].stats.length);
    if (first) for (const i of idx) rows[i].stats.forEach((x, j) => (stats[j] += x));
    return {
      seq: { ids: b.ids, mask: b.mask, N: b.B, T: b.T }, old, adv: concat(idx.map((i) => adv[i])), oldValues: concat(idx.map((i) => rows[i].values)),
      returns: concat(idx.map((i) => returns[i])), M: old.length, stats,
    };
  }
}
