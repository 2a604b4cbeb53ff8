// The objective a training config asks for: causal LM by default, else the preference loss or reward model it names.
import type { ModelConfig, TrainConfig } from '../types';
import { causalLm } from './causal-lm';
import { ktoObjective } from './kto';
import { pairObjective } from './preference';
import { rewardObjective } from './reward';
import type { Objective } from './types';

export function objectiveFor(cfg: TrainConfig, model: ModelConfig): Objective {
  const o = cfg.objective;
  if (!o) return causalLm as Objective;
  if (o.kind === 'reward') return rewardObjective(model, cfg.seed) as Objective;
  return (o.lossType === 'kto' ? ktoObjective(o) : pairObjective(o)) as Objective;
}
