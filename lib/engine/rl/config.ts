// What an RL run is, as plain data (no tfjs): GRPO and RLOO (critic-free: k samples per prompt, advantages from
// the group) and PPO (a value head, GAE), with TRL's names and defaults (GRPOConfig, RLOOConfig, PPOConfig), and the
// programmatic reward specs when no reward model scores (a reward model is given at run time).
import { z } from 'zod';

export const RL_ALGORITHMS = ['grpo', 'rloo', 'ppo'] as const;
export type RlAlgorithm = (typeof RL_ALGORITHMS)[number];

export function isRlMethod(m: string): m is RlAlgorithm {
  return (RL_ALGORITHMS as readonly string[]).includes(m);
}

export const rlConfigSchema = z.object({
  kind: z.literal('rl'),
  algorithm: z.enum(RL_ALGORITHMS),
  /** Completions sampled per prompt (TRL num_generations); GRPO and RLOO need at least 2, PPO samples 1. */
  numGenerations: z.number().int().min(1).max(64),
  /** KL strength: GRPO's beta (k3 per token, in the loss), RLOO's beta (k1 summed, off the reward), PPO's kl_coef. */
  beta: z.number().min(0).max(100),
  /** Clipping of the probability ratio (GRPO/RLOO epsilon, PPO cliprange). */
  epsilon: z.number().positive().max(10),
  /** Most tokens sampled per completion (TRL max_completion_length / response_length). */
  maxNewTokens: z.number().int().min(1).max(4096),
  temperature: z.number().positive().max(10),
  /** GRPO's normalisation: 'grpo' averages each completion over its tokens, then over completions; 'dapo' (TRL's
   * default) averages over every completion token of the step. */
  lossType: z.enum(['grpo', 'dapo']),
  /** GRPO: divide advantages by the group's standard deviation (TRL scale_rewards "group"). */
  scaleRewards: z.boolean(),
  /** RLOO: whiten the advantages over the batch (TRL normalize_advantages). */
  normalizeAdvantages: z.boolean(),
  /** PPO: GAE discount and lambda, value-loss weight and clip, and reward whitening (TRL's names). */
  gamma: z.number().min(0).max(1),
  lam: z.number().min(0).max(1),
  vfCoef: z.number().min(0).max(100),
  clipRangeValue: z.number().positive().max(100),
  whitenRewards: z.boolean(),
  /** PPO: passes over each rollout batch (TRL num_ppo_epochs, a fresh shuffle each) and the optimizer updates per
   * pass (TRL num_mini_batches: the batch's batchSize x gradAccum answers split evenly); absent = 1. */
  numPpoEpochs: z.number().int().min(1).max(64).optional(),
  numMiniBatches: z.number().int().min(1).max(256).optional(),
  /** Programmatic reward specs (rewards.ts: regex:<pattern>, exact, length:<n>[:<penalty>], summed); absent when a
   * reward model scores the answers (given at run time). */
  reward: z.array(z.string().min(1).max(500)).max(16).optional(),
  /** Every this many steps the run reports a few sampled answers (0 = never). */
  sampleEvery: z.number().int().min(0),
});
export type RlConfig = z.infer<typeof rlConfigSchema>;

/** TRL's defaults per algorithm, except shorter completions (browser-sized) and GRPO's beta 0.04 (TRL's default
 * before 0.17; today's 0.0 turns the KL term off). */
export function defaultRlConfig(algorithm: RlAlgorithm): RlConfig {
  const common = { kind: 'rl' as const, algorithm, epsilon: 0.2, maxNewTokens: 32, lossType: 'dapo' as const, scaleRewards: true, normalizeAdvantages: false, gamma: 1, lam: 0.95, vfCoef: 0.1, clipRangeValue: 0.2, whitenRewards: false, sampleEvery: 10 };
  if (algorithm === 'grpo') return { ...common, numGenerations: 8, beta: 0.04, temperature: 1 };
  if (algorithm === 'rloo') return { ...common, numGenerations: 2, beta: 0.05, temperature: 1 };
  return { ...common, numGenerations: 1, beta: 0.05, temperature: 0.7, numPpoEpochs: 4, numMiniBatches: 1 };
}

/** One line per algorithm for the picker and the CLI: what it needs and what it costs. */
export const RL_HELP: Record<RlAlgorithm, string> = {
  grpo: 'Prompts and a reward (a reward model or a --reward rule). k sampled answers per prompt, each scored against its group; a reference pass, no critic.',
  rloo: 'Prompts and a reward. k answers per prompt, each judged against the mean of the others (leave-one-out); KL taken off the reward.',
  ppo: 'Prompts and a reward. One answer per prompt, a value head on the policy learns expected reward (GAE); a reference pass and a value head.',
};

/** The metric names RL steps report (TRL's: reward, kl, entropy, completions/mean_length). */
export const RL_METRICS = ['reward', 'kl', 'entropy', 'completions/mean_length'] as const;
