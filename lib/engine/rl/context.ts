// An RL run's reward: the programmatic specs its config names, decoded with the policy's tokenizer, or a loaded
// reward model reading the policy's text in its own tokens. What the CLI and the studio's worker pass the Trainer
// as TrainerOptions.rl.
import type { RewardModel } from '../reward-model';
import { maxPositions } from '../types';
import type { RlConfig } from './config';
import type { RlContext } from './objective';
import { programmaticReward, rewardModelReward, type RewardFunction } from './rewards';

export function rlContextFor(objective: RlConfig, tokenizer: { decode(ids: number[]): string; eosId: number }, onRollout?: RlContext['onRollout']): RlContext {
  if (!objective.reward?.length) throw new Error(`${objective.algorithm.toUpperCase()} needs a reward: give programmatic reward specs (regex:<pattern>, exact, length:<n>) or a reward model`);
  return { reward: programmaticReward(objective.reward, (ids) => tokenizer.decode(ids), tokenizer.eosId), ...(onRollout ? { onRollout } : {}) };
}

/** A reward model's scores of the policy's answers: policy ids become text and the reward model's own ids (the two
 * tokenizers need not agree). */
export function rewardModelFor(rm: RewardModel, policy: { decode(ids: number[]): string; eosId: number }): RewardFunction {
  return rewardModelReward({ config: rm.config, weights: rm.weights, score: rm.score, retokenize: (ids) => rm.tokenizer.encode(policy.decode(ids)) },
    { seqLen: maxPositions(rm.config), padId: rm.padTokenId, eosId: policy.eosId, label: `reward model ${rm.name}` });
}
