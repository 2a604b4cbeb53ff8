// An RL run's reward from its config alone: the programmatic specs it names, decoded with the policy's tokenizer.
// What the CLI (without --reward-model) and the studio's worker pass the Trainer as TrainerOptions.rl.
import type { RlConfig } from './config';
import type { RlContext } from './objective';
import { programmaticReward } from './rewards';

export function rlContextFor(objective: RlConfig, tokenizer: { decode(ids: number[]): string; eosId: number }, onRollout?: RlContext['onRollout']): RlContext {
  if (!objective.reward?.length) throw new Error(`${objective.algorithm.toUpperCase()} needs a reward: give programmatic reward specs (regex:<pattern>, exact, length:<n>) or a reward model`);
  return { reward: programmaticReward(objective.reward, (ids) => tokenizer.decode(ids), tokenizer.eosId), ...(onRollout ? { onRollout } : {}) };
}
