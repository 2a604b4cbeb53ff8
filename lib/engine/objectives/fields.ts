// The objectives' own settings declared once (plain data, no tfjs): for each setting of the preference losses and of
// RL, its label, bounds, one line of help and which objectives it applies to. The studio's objective fields read
// these; the values land in TrainConfig.objective (config.ts, rl/config.ts), whose schemas stay the last check.
import { needsReference, type ObjectiveConfig, type PreferenceConfig } from './config';
import type { RlConfig } from '../rl/config';

interface Base {
  key: keyof PreferenceConfig | keyof RlConfig;
  label: string;
  help: string;
  applies(o: ObjectiveConfig): boolean;
}

export type ObjectiveField = Base & (
  | { kind: 'number'; integer: boolean; min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; options: { value: string; label: string }[] }
  /** Programmatic reward specs, one per line (rl/reward-spec.ts). */
  | { kind: 'rewards' }
);

const pref = (test: (o: PreferenceConfig) => boolean) => (o: ObjectiveConfig) => o.kind === 'preference' && test(o);
const rl = (test: (o: RlConfig) => boolean = () => true) => (o: ObjectiveConfig) => o.kind === 'rl' && test(o);
const ppo = rl((o) => o.algorithm === 'ppo');
const num = (integer: boolean, min: number, max: number, extra: { minExclusive?: boolean; maxExclusive?: boolean } = {}) => ({ kind: 'number' as const, integer, min, max, ...extra });

export const OBJECTIVE_FIELDS: ObjectiveField[] = [
  {
    key: 'lossType', label: 'DPO loss', kind: 'choice', applies: pref((o) => o.lossType === 'sigmoid' || o.lossType === 'hinge'),
    options: [{ value: 'sigmoid', label: 'sigmoid (DPO)' }, { value: 'hinge', label: 'hinge (SLiC)' }],
    help: 'TRL loss_type: sigmoid is the DPO paper\'s loss; hinge pushes the margin past 1/β and then stops.',
  },
  { key: 'beta', label: 'Beta (β)', ...num(false, 0, 100, { minExclusive: true }), applies: pref((o) => o.lossType !== 'simpo' && o.lossType !== 'orpo'), help: 'How far the policy may drift from the reference: larger keeps it closer (IPO: the regulariser τ). TRL beta, default 0.1.' },
  { key: 'beta', label: 'Reward scale (β)', ...num(false, 0, 100, { minExclusive: true }), applies: pref((o) => o.lossType === 'simpo'), help: 'SimPO\'s scale of the length-averaged log-probabilities (TRL beta; the paper uses about 2).' },
  { key: 'beta', label: 'Odds-ratio weight (λ)', ...num(false, 0, 100, { minExclusive: true }), applies: pref((o) => o.lossType === 'orpo'), help: 'ORPO\'s weight of the odds-ratio term beside the SFT loss on the chosen answer (TRL beta).' },
  { key: 'labelSmoothing', label: 'Label smoothing', ...num(false, 0, 0.5, { maxExclusive: true }), applies: pref((o) => o.lossType === 'sigmoid'), help: 'Conservative DPO: the share of pairs assumed flipped, from 0 up to (not including) 0.5.' },
  { key: 'simpoGamma', label: 'Target margin (γ)', ...num(false, 0, 100), applies: pref((o) => o.lossType === 'simpo'), help: 'SimPO\'s reward margin the chosen answer must clear (TRL simpo_gamma, default 0.5).' },
  { key: 'desirableWeight', label: 'Desirable weight', ...num(false, 0, 100, { minExclusive: true }), applies: pref((o) => o.lossType === 'kto'), help: 'Weight of the answers marked good (TRL desirable_weight); raise it when good answers are rarer.' },
  { key: 'undesirableWeight', label: 'Undesirable weight', ...num(false, 0, 100, { minExclusive: true }), applies: pref((o) => o.lossType === 'kto'), help: 'Weight of the answers marked bad (TRL undesirable_weight).' },
  { key: 'precomputeReference', label: 'Precompute reference log-probabilities', kind: 'boolean', applies: pref((o) => needsReference(o.lossType)), help: 'One pass over the training pairs before training instead of a reference forward every step (TRL precompute_ref_log_probs).' },

  { key: 'reward', label: 'Reward rules', kind: 'rewards', applies: rl(), help: 'One rule per line, added up: exact (the record\'s answer), regex:<pattern>, length:<tokens>[:<penalty>], each optionally <weight>*<rule>.' },
  { key: 'numGenerations', label: 'Answers per prompt (k)', ...num(true, 2, 64), applies: rl((o) => o.algorithm !== 'ppo'), help: 'Completions sampled per prompt and compared with each other (TRL num_generations); the memory plan counts k rows per prompt.' },
  { key: 'maxNewTokens', label: 'Most new tokens', ...num(true, 1, 4096), applies: rl(), help: 'Longest sampled answer (TRL max_completion_length); the prompt keeps its end when prompt and answer would not fit.' },
  { key: 'temperature', label: 'Sampling temperature', ...num(false, 0, 10, { minExclusive: true }), applies: rl(), help: 'Softmax temperature of the rollouts; log-probabilities are of the same distribution.' },
  { key: 'beta', label: 'KL strength (β)', ...num(false, 0, 100), applies: rl(), help: 'Penalty on drifting from the reference policy (GRPO/RLOO beta, PPO kl_coef); 0 turns it off.' },
  { key: 'epsilon', label: 'Clip range (ε)', ...num(false, 0, 10, { minExclusive: true }), applies: rl(), help: 'How far one update may move each probability ratio from 1 (TRL epsilon / cliprange).' },
  {
    key: 'lossType', label: 'GRPO normalisation', kind: 'choice', applies: rl((o) => o.algorithm === 'grpo'),
    options: [{ value: 'dapo', label: 'dapo (every token of the step)' }, { value: 'grpo', label: 'grpo (per answer, then over answers)' }],
    help: 'TRL loss_type: how the per-token loss is averaged.',
  },
  { key: 'scaleRewards', label: 'Scale by the group\'s spread', kind: 'boolean', applies: rl((o) => o.algorithm === 'grpo'), help: 'Divide each advantage by its group\'s standard deviation (TRL scale_rewards "group").' },
  { key: 'normalizeAdvantages', label: 'Whiten advantages', kind: 'boolean', applies: rl((o) => o.algorithm === 'rloo'), help: 'Normalise RLOO\'s advantages over the batch (TRL normalize_advantages).' },
  { key: 'numPpoEpochs', label: 'PPO epochs', ...num(true, 1, 64), applies: ppo, help: 'Passes over each rollout batch, reshuffled each time (TRL num_ppo_epochs, default 4).' },
  { key: 'numMiniBatches', label: 'Minibatches', ...num(true, 1, 256), applies: ppo, help: 'Optimizer updates per pass: the batch size x grad accumulation answers split evenly (TRL num_mini_batches).' },
  { key: 'gamma', label: 'Discount (γ)', ...num(false, 0, 1), applies: ppo, help: 'GAE discount per token (TRL gamma, default 1).' },
  { key: 'lam', label: 'GAE λ', ...num(false, 0, 1), applies: ppo, help: 'Bias-variance trade-off of the advantage estimate (TRL lam, default 0.95).' },
  { key: 'vfCoef', label: 'Value-loss weight', ...num(false, 0, 100), applies: ppo, help: 'Weight of the value head\'s loss beside the policy loss (TRL vf_coef).' },
  { key: 'clipRangeValue', label: 'Value clip range', ...num(false, 0, 100, { minExclusive: true }), applies: ppo, help: 'How far one update may move a value prediction (TRL cliprange_value).' },
  { key: 'whitenRewards', label: 'Whiten rewards', kind: 'boolean', applies: ppo, help: 'Normalise the per-token rewards over the batch before GAE (TRL whiten_rewards).' },
  { key: 'sampleEvery', label: 'Show answers every', ...num(true, 0, 100_000), applies: rl(), help: 'Steps between the sampled answers shown under the chart; 0 shows none.' },
];

/** The settings that apply to an objective, in display order. */
export function objectiveFields(o: ObjectiveConfig | undefined): ObjectiveField[] {
  return o ? OBJECTIVE_FIELDS.filter((f) => f.applies(o)) : [];
}
