// The studio's objective picker as plain data: supervised fine-tuning (causal LM), the DPO family and KTO (TRL's
// losses with TRL's defaults, beta 0.1), a reward model or RL (GRPO, RLOO, PPO against a programmatic reward), each with what it needs and costs; and what it means
// for the run's config and for the rows the Data step encodes.
import { defaultRlConfig, RL_HELP, type RlAlgorithm } from '../engine/rl/config';
import { defaultPreferenceConfig, isPreferenceMethod, PREFERENCE_HELP, PREFERENCE_METHODS, REWARD_HELP, type ObjectiveConfig, type PreferenceMethod } from '../engine/objectives/config';

export type ObjectiveChoice = 'sft' | PreferenceMethod | 'reward' | RlAlgorithm;

export interface ObjectiveOption {
  id: ObjectiveChoice;
  label: string;
  help: string;
}

/** The studio's default RL reward: exact match with each record's answer; the reward rules field takes regex and
 * length rules too (objectives/fields.ts). */
const STUDIO_REWARD = 'The reward is the rules below: by default exact match with each record\'s answer (its completion or last assistant turn).';
export const STUDIO_RL_REWARD = ['exact'];

export const OBJECTIVE_OPTIONS: ObjectiveOption[] = [
  { id: 'sft', label: 'Supervised (SFT)', help: 'Any data; learns the answers (preference pairs: the chosen answer). The cheapest.' },
  { id: 'dpo', label: 'DPO', help: PREFERENCE_HELP.dpo },
  { id: 'ipo', label: 'IPO', help: PREFERENCE_HELP.ipo },
  { id: 'simpo', label: 'SimPO', help: PREFERENCE_HELP.simpo },
  { id: 'orpo', label: 'ORPO', help: PREFERENCE_HELP.orpo },
  { id: 'kto', label: 'KTO', help: PREFERENCE_HELP.kto },
  { id: 'reward', label: 'Reward model', help: REWARD_HELP },
  { id: 'grpo', label: 'GRPO (RL)', help: `${RL_HELP.grpo} ${STUDIO_REWARD}` },
  { id: 'rloo', label: 'RLOO (RL)', help: `${RL_HELP.rloo} ${STUDIO_REWARD}` },
  { id: 'ppo', label: 'PPO (RL)', help: `${RL_HELP.ppo} ${STUDIO_REWARD}` },
];

/** TrainConfig.objective for a choice (undefined for SFT). */
export function objectiveConfigOf(choice: ObjectiveChoice): ObjectiveConfig | undefined {
  if (choice === 'sft') return undefined;
  if (choice === 'reward') return { kind: 'reward' };
  if (choice === 'grpo' || choice === 'rloo' || choice === 'ppo') return { ...defaultRlConfig(choice), reward: STUDIO_RL_REWARD };
  return defaultPreferenceConfig(PREFERENCE_METHODS[choice]);
}

/** The picker's choice for a config's objective. */
export function choiceOf(objective: ObjectiveConfig | undefined): ObjectiveChoice {
  if (!objective) return 'sft';
  if (objective.kind === 'reward') return 'reward';
  if (objective.kind === 'rl') return objective.algorithm;
  const named = Object.entries(PREFERENCE_METHODS).find(([, t]) => t === objective.lossType)?.[0];
  return named && isPreferenceMethod(named) ? named : 'dpo'; // hinge: a DPO loss type
}

/** What the Data step encodes for a choice. */
export function rowsFor(objective: ObjectiveConfig | undefined): 'examples' | 'pairs' | 'unpaired' | 'prompts' {
  if (!objective) return 'examples';
  if (objective.kind === 'rl') return 'prompts';
  return objective.kind === 'preference' && objective.lossType === 'kto' ? 'unpaired' : 'pairs';
}
