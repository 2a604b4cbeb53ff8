// What a run optimises, as plain data (no tfjs): causal LM (the default, TrainConfig.objective absent) or one of
// TRL's preference losses, with TRL's names and defaults (DPOConfig, CPOConfig for SimPO, ORPOConfig, KTOConfig).
// The UI, the protocol and the CLI read this; the tfjs half is preference.ts, kto.ts and losses.ts.
import { z } from 'zod';
import { rlConfigSchema } from '../rl/config';

/** TRL's loss_type values we compute. sigmoid (DPO; label smoothing makes it conservative DPO), hinge and ipo
 * are DPOTrainer's; simpo is CPOTrainer's; orpo is ORPOTrainer's odds-ratio loss; kto is KTOTrainer's. */
export const PREFERENCE_LOSS_TYPES = ['sigmoid', 'hinge', 'ipo', 'simpo', 'orpo', 'kto'] as const;
export type PreferenceLossType = (typeof PREFERENCE_LOSS_TYPES)[number];

/** The `train --method` names of the family and the loss each starts from (dpo takes --loss-type). */
export const PREFERENCE_METHODS = { dpo: 'sigmoid', ipo: 'ipo', simpo: 'simpo', orpo: 'orpo', kto: 'kto' } as const satisfies Record<string, PreferenceLossType>;
export type PreferenceMethod = keyof typeof PREFERENCE_METHODS;

export function isPreferenceMethod(m: string): m is PreferenceMethod {
  return Object.hasOwn(PREFERENCE_METHODS, m);
}

/** Loss types that need a reference model (SimPO and ORPO are reference-free). */
export function needsReference(t: PreferenceLossType): boolean {
  return t !== 'simpo' && t !== 'orpo';
}

/** Loss types that read length-averaged log-probabilities (as TRL: IPO, SimPO, ORPO); the others sum. */
export function averagesLogps(t: PreferenceLossType): boolean {
  return t === 'ipo' || t === 'simpo' || t === 'orpo';
}

export const preferenceConfigSchema = z.object({
  kind: z.literal('preference'),
  lossType: z.enum(PREFERENCE_LOSS_TYPES),
  /** DPO/IPO/KTO: the KL strength (IPO: the regulariser tau); SimPO: the reward scale; ORPO: the paper's lambda. */
  beta: z.number().positive().max(100),
  /** Conservative DPO (sigmoid only): the assumed share of flipped labels, in [0, 0.5). */
  labelSmoothing: z.number().min(0).lt(0.5),
  /** SimPO's target reward margin gamma (TRL simpo_gamma). */
  simpoGamma: z.number().min(0).max(100),
  /** KTO's weights on desirable and undesirable examples. */
  desirableWeight: z.number().positive(),
  undesirableWeight: z.number().positive(),
  /** Compute the reference log-probabilities of every training pair once before training, saving a forward pass
   * per step (TRL precompute_ref_log_probs). */
  precomputeReference: z.boolean(),
});
export type PreferenceConfig = z.infer<typeof preferenceConfigSchema>;

/** TRL's defaults for a loss type: beta 0.1 everywhere, SimPO gamma 0.5, no smoothing, KTO weights 1. */
export function defaultPreferenceConfig(lossType: PreferenceLossType): PreferenceConfig {
  return { kind: 'preference', lossType, beta: 0.1, labelSmoothing: 0, simpoGamma: 0.5, desirableWeight: 1, undesirableWeight: 1, precomputeReference: false };
}

/** A reward model (TRL RewardTrainer): a scalar head `score.weight` [1, hidden] on the final hidden state of the
 * last token of prompt + answer, trained with the Bradley-Terry loss -logsigmoid(r_chosen - r_rejected). */
export const rewardConfigSchema = z.object({ kind: z.literal('reward') });
export type RewardConfig = z.infer<typeof rewardConfigSchema>;

/** What TrainConfig.objective may hold (absent = causal LM); RL's config is lib/engine/rl/config.ts. */
export const objectiveConfigSchema = z.discriminatedUnion('kind', [preferenceConfigSchema, rewardConfigSchema, rlConfigSchema]);
export type ObjectiveConfig = z.infer<typeof objectiveConfigSchema>;

/** KTO reads unpaired answers; every other objective but causal LM reads pairs. */
export function isUnpaired(o?: ObjectiveConfig): boolean {
  return o?.kind === 'preference' && o.lossType === 'kto';
}

/** One line per method for the picker and the CLI: what it needs and what it costs. */
export const PREFERENCE_HELP: Record<PreferenceMethod, string> = {
  dpo: 'Pairs (prompt, chosen, rejected). A reference forward per step: the base with the adapter off (no copy), or the loaded weights for full fine-tuning; twice the rows of SFT.',
  ipo: 'Pairs. DPO with a squared loss that does not overfit deterministic preferences; same cost as DPO.',
  simpo: 'Pairs, no reference model: length-normalised rewards with a margin gamma; the cheapest of the family.',
  orpo: 'Pairs, no reference model: SFT on the chosen answer plus an odds-ratio penalty; no separate SFT step needed.',
  kto: 'Unpaired answers marked good or bad (pairs are split); a reference forward plus a no-gradient KL estimate per step.',
};

export const REWARD_HELP = 'Pairs. Learns a scalar score of an answer (a reward model for RLHF); no reference pass; exports a transformers *ForSequenceClassification folder.';

/** The metric names TRL logs for the family, in the order steps report them. */
export const PREFERENCE_METRICS = ['rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected'] as const;
