// The worker's RL reward: the config's reward rules, or a reward-model folder the page transferred (the studio's own
// reward-model export or a transformers *ForSequenceClassification folder), loaded for the run and freed after it.
import { localFilesSource } from '../hub/local-files';
import { loadRewardModel } from '../engine/reward-model';
import type { RlConfig } from '../engine/rl/config';
import { rewardModelFor, rlContextFor } from '../engine/rl/context';
import type { RlContext } from '../engine/rl/objective';

export interface RewardFolder {
  name: string;
  files: Record<string, ArrayBuffer>;
}

export async function workerRlContext(objective: RlConfig, tokenizer: { decode(ids: number[]): string; eosId: number }, folder?: RewardFolder): Promise<{ context: RlContext; dispose(): void }> {
  if (!folder) return { context: rlContextFor(objective, tokenizer), dispose: () => {} };
  const rm = await loadRewardModel(folder.name, localFilesSource(folder.files).source);
  return {
    context: { reward: rewardModelFor(rm, tokenizer) },
    dispose: () => {
      rm.weights.forEach((t) => t.dispose());
      rm.score.dispose();
    },
  };
}
