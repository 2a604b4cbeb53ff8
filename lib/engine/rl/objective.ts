// RL as an objective (objectives/types.ts): each micro-batch of prompts is rolled out before the gradient tape
// (k completions per prompt sampled with the KV cache, scored by the run's reward, old and reference
// log-probabilities computed without gradient), then the loss is GRPO's, RLOO's or PPO's as TRL computes them
// GRPO and RLOO with one optimisation pass per rollout (TRL's num_iterations = 1: the ratio starts at 1); PPO with
// num_ppo_epochs passes of num_mini_batches updates over each rollout batch (ppo-updates.ts, the trainer's `updates`).
import * as tf from '@tensorflow/tfjs';
import type { PromptExample } from '../../data/types';
import { makeBatch } from '../batch';
import type { SequenceBatch } from '../objectives/sequence-logps';
import type { Objective, ObjectiveBatch, ObjectiveRun } from '../objectives/types';
import { mulberry32 } from '../random';
import type { ModelConfig } from '../types';
import { grpoAdvantages, rlooAdvantages } from './advantages';
import type { RlConfig } from './config';
import { detach, grpoLoss, ppoLoss, rlooLoss } from './losses';
import { completionPass, initValueHead, VALUE_HEAD_KEYS, type ValueHead } from './pass';
import { ppoUpdates, type PpoRow } from './ppo-updates';
import type { RewardFunction } from './rewards';
import { sampleGroup } from './rollout';

/** A sampled answer and its reward, as each rollout reports them (for the "sampled answers" panel). */
export interface RolloutSample {
  prompt: number[];
  completion: number[];
  reward: number;
}

/** What an RL run needs beyond its config: the reward, and who hears of each rollout. */
export interface RlContext {
  reward: RewardFunction;
  onRollout?(samples: RolloutSample[]): void;
}

interface Rolled {
  seq: SequenceBatch;
  adv: Float32Array; // [M] per token (GRPO, PPO) or [N] per completion (RLOO)
  old: Float32Array; // [M] old log-probabilities (PPO; for GRPO the KL metric only), RLOO: [N] sums
  ref: Float32Array; // [M]
  weight: Float32Array; // [M] GRPO's normalisation
  member: Float32Array; // [N, M] token -> completion (RLOO's sums)
  oldValues?: Float32Array; // [M] PPO
  returns?: Float32Array; // [M] PPO
  M: number;
  stats: Float32Array;
}

export interface RlBatch extends ObjectiveBatch {
  prompts: PromptExample[];
  seqLen: number;
  padId: number;
  rolled?: Rolled;
  /** PPO: the rollout's answers, which `updates` turns into the step's minibatches. */
  ppoRows?: PpoRow[];
}

const STATS = 5; // reward sum, completions, KL sum over tokens, tokens, entropy sum

export function isPromptExample(r: unknown): r is PromptExample {
  const o = r as Record<string, unknown>;
  return !!o && Array.isArray(o.prompt) && !('chosen' in o) && !('completion' in o) && !('ids' in o);
}

async function read(t: tf.Tensor | undefined): Promise<Float32Array | undefined> {
  if (!t) return undefined;
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

export function rlObjective(o: RlConfig, config: ModelConfig, ctx: RlContext | undefined, seed: number): Objective<RlBatch> {
  if (!ctx?.reward) throw new Error(`${o.algorithm.toUpperCase()} needs a reward: a reward model (--reward-model) or a programmatic --reward spec`);
  if (o.algorithm !== 'ppo' && o.numGenerations < 2) throw new Error(`${o.algorithm.toUpperCase()} compares each answer with its group: numGenerations must be at least 2 (got ${o.numGenerations})`);
  const reward = ctx.reward;
  const head: ValueHead | undefined = o.algorithm === 'ppo' ? initValueHead(config, seed) : undefined;
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  const k = o.numGenerations;

  async function rollout(run: ObjectiveRun, drawn: RlBatch, rollSeed: number): Promise<RlBatch> {
    let b = drawn;
    const rng = mulberry32(rollSeed);
    const keep = Math.max(1, b.seqLen - o.maxNewTokens); // the prompt loses its start when prompt + answer would not fit
    const maxNew = Math.min(o.maxNewTokens, b.seqLen - 1);
    const items: { prompt: number[]; completion: number[]; answer?: string; entropy: number[] }[] = [];
    for (const p of b.prompts) {
      const prompt = p.prompt.slice(-keep);
      const g = await sampleGroup(run.config, run.policy, run.policyOptions(false, 0), prompt, { k, maxNewTokens: maxNew, temperature: o.temperature, eosId: eos }, rng);
      g.completions.forEach((c, j) => items.push({ prompt, completion: c, answer: p.answer, entropy: g.entropies[j] }));
    }
    const scores = await reward.score(items);
    const rows = items.map((it) => ({ ids: [...it.prompt, ...it.completion], mask: [...it.prompt.map(() => 0), ...it.completion.map(() => 1)] }));
    const mb = makeBatch(rows, b.seqLen, b.padId);
    const seq: SequenceBatch = { ids: mb.ids, mask: mb.mask, N: mb.B, T: mb.T };
    const policy = completionPass(run.config, run.policy, seq, run.policyOptions(false, 0), head, o.temperature);
    const old = (await read(policy.logp))!;
    const oldValues = await read(policy.values);
    const ref = (await read(completionPass(run.config, run.reference, seq, run.referenceOptions, undefined, o.temperature).logp))!;
    const M = old.length;
    const N = items.length;
    const lens = items.map((it) => it.completion.length);
    const starts = lens.map((_, i) => lens.slice(0, i).reduce((a, x) => a + x, 0));
    const seqOf = Int32Array.from(lens.flatMap((n, i) => Array<number>(n).fill(i)));
    const perToken = (f: (seq: number) => number) => Float32Array.from(seqOf, f);
    const k1 = Float32Array.from(old, (x, t) => x - ref[t]);
    const kl = o.algorithm === 'grpo' ? Float32Array.from(old, (x, t) => Math.exp(ref[t] - x) - (ref[t] - x) - 1) : k1;
    const r: Rolled = { seq, adv: new Float32Array(0), old, ref, weight: new Float32Array(0), member: new Float32Array(0), M, stats: new Float32Array(STATS) };
    if (o.algorithm === 'grpo') {
      const a = grpoAdvantages(scores, k, o.scaleRewards);
      r.adv = perToken((s) => a[s]);
      r.weight = perToken((s) => (o.lossType === 'grpo' ? 1 / (lens[s] * N) : 1 / M));
    } else if (o.algorithm === 'rloo') {
      const klSeq = lens.map((n, s) => k1.subarray(starts[s], starts[s] + n).reduce((x, y) => x + y, 0));
      r.adv = rlooAdvantages(scores.map((x, s) => x - o.beta * klSeq[s]), k, o.normalizeAdvantages);
      r.old = Float32Array.from(lens, (n, s) => old.subarray(starts[s], starts[s] + n).reduce((x, y) => x + y, 0));
      r.member = new Float32Array(N * M);
      seqOf.forEach((s, t) => (r.member[s * M + t] = 1));
    } else {
      // PPO: advantages are whitened over the whole rollout batch, so they wait for `updates`.
      const ppoRows = items.map((it, s): PpoRow => ({
        ids: rows[s].ids, mask: rows[s].mask, score: scores[s],
        old: old.slice(starts[s], starts[s] + lens[s]), ref: ref.slice(starts[s], starts[s] + lens[s]), values: oldValues!.slice(starts[s], starts[s] + lens[s]),
        stats: [scores[s], 1, k1.subarray(starts[s], starts[s] + lens[s]).reduce((a, x) => a + x, 0), lens[s], it.entropy.reduce((a, x) => a + x, 0)],
      }));
      b = { ...b, ppoRows };
    }
    const entropy = items.reduce((a, it) => a + it.entropy.reduce((x, y) => x + y, 0), 0);
    r.stats.set([scores.reduce((a, x) => a + x, 0), N, kl.reduce((a, x) => a + x, 0), M, entropy]);
    ctx!.onRollout?.(items.map((it, i) => ({ prompt: it.prompt, completion: it.completion, reward: scores[i] })));
    // GRPO's 'dapo' and PPO average over tokens; GRPO's 'grpo' and RLOO over completions.
    const counted = o.algorithm === 'ppo' || (o.algorithm === 'grpo' && o.lossType === 'dapo') ? M : N;
    return { ...b, rolled: r, counted, tokens: rows.reduce((a, x) => a + Math.min(x.ids.length, mb.T), 0) };
  }

  return {
    label: o.algorithm.toUpperCase(),
    packs: false,
    statsLength: STATS,
    ...(head ? { heads: new Map([[VALUE_HEAD_KEYS.weight, head.weight], [VALUE_HEAD_KEYS.bias, head.bias]]) } : {}),
    checkRows(rows, what) {
      const bad = rows.findIndex((x) => !isPromptExample(x));
      if (bad >= 0) throw new Error(`${what} row ${bad} is not a prompt ({prompt} ids, optional answer): ${o.algorithm.toUpperCase()} samples its own answers from prompts`);
    },
    batch(rows, seqLen, padId) {
      const prompts = rows as PromptExample[];
      return { prompts, seqLen, padId, counted: prompts.length * k, tokens: 0 };
    },
    rollout,
    ...(o.algorithm === 'ppo' ? {
      updates(batches: RlBatch[], seed: number): RlBatch[][] {
        const first = batches[0];
        const microRows = first.prompts.length * k;
        const rows = batches.flatMap((b) => b.ppoRows ?? []);
        return ppoUpdates(rows, { beta: o.beta, gamma: o.gamma, lam: o.lam, whitenRewards: o.whitenRewards, epochs: o.numPpoEpochs ?? 1, miniBatches: o.numMiniBatches ?? 1, microRows, seqLen: first.seqLen, padId: first.padId, seed })
          .map((u) => u.map((m) => ({ ...first, counted: m.M, tokens: 0, rolled: { ...m, ref: new Float32Array(0), weight: new Float32Array(0), member: new Float32Array(0) } })));
      },
    } : {}),
    loss(run, b, training, passSeed) {
      const r = b.rolled;
      if (!r) throw new Error(`${o.algorithm.toUpperCase()} batches must be rolled out before their loss (Objective.rollout)`);
      return tf.tidy(() => {
        const stats = tf.tensor1d(r.stats);
        // Validation scores the policy by its mean reward: lower loss = better answers, so early stopping keeps the best.
        if (!training) return { loss: tf.scalar(-r.stats[0] / r.stats[1]), stats };
        // TRL's PPO trainer turns dropout off; GRPO and RLOO keep the configured dropout.
        const opts = run.policyOptions(true, passSeed);
        const pass = completionPass(run.config, run.policy, r.seq, o.algorithm === 'ppo' ? { ...opts, training: false } : opts, head, o.temperature);
        const t = (x: Float32Array) => tf.tensor1d(x);
        // GRPO, as TRL with num_iterations 1: the old log-probabilities are this pass's, detached.
        if (o.algorithm === 'grpo') return { loss: grpoLoss(pass.logp, detach(pass.logp) as tf.Tensor1D, t(r.ref), t(r.adv), t(r.weight), o.epsilon, o.beta), stats };
        if (o.algorithm === 'rloo') {
          const N = r.seq.N;
          const seqLogp = tf.reshape(tf.matMul(tf.tensor2d(r.member, [N, r.M]), tf.reshape(pass.logp, [-1, 1])), [N]) as tf.Tensor1D;
          return { loss: rlooLoss(seqLogp, t(r.old), t(r.adv), o.epsilon), stats };
        }
        if (!r.returns) throw new Error('PPO batches are optimised through updates(): the trainer calls it after the rollouts');
        const p = ppoLoss(pass.logp, t(r.old), t(r.adv), pass.values!, t(r.oldValues!), t(r.returns!), { cliprange: o.epsilon, cliprangeValue: o.clipRangeValue, vfCoef: o.vfCoef });
        return { loss: p.loss, stats };
      });
    },
    metrics(s) {
      if (!(s[1] > 0)) return {} as Record<string, number>;
      return { reward: s[0] / s[1], kl: s[2] / s[3], entropy: s[4] / s[3], 'completions/mean_length': s[3] / s[1] };
    },
    dispose: () => {
      if (head) tf.dispose([head.weight, head.bias]);
    },
  };
}
