// The objective a training config asks for: causal LM by default, else the preference loss, reward model or RL
// algorithm it names.
import { rlObjective, type RlContext } from '../rl/objective';
import type { ModelConfig, TrainConfig } from '../types';
import { causalLm } from './causal-lm';
import { ktoObjective } from './kto';
import { pairObjective } from './preference';
import { rewardObjective } from './reward';
import type { Objective } from './types';

/** `rl` carries what an RL run needs at run time (its reward); other objectives ignore it. */
export function objectiveFor(cfg: TrainConfig, model: ModelConfig, rl?: RlContext): Objective {
  const o = cfg.objective;
  if (!o) return causalLm as Objective;
  if (o.kind === 'rl') return rlObjective(o, model, rl, cfg.seed) as unknown as Objective;
  if (o.kind === 'reward') return rewardObjective(model, cfg.seed) as Objective;
  return (o.lossType === 'kto' ? ktoObjective(o) : pairObjective(o)) as Objective;
}
