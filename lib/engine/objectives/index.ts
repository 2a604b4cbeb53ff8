// The objective a training config asks for: causal LM by default, else the preference loss it names.
import type { TrainConfig } from '../types';
import { causalLm } from './causal-lm';
import { ktoObjective } from './kto';
import { pairObjective } from './preference';
import type { Objective } from './types';

export function objectiveFor(cfg: TrainConfig): Objective {
  const o = cfg.objective;
  if (!o) return causalLm as Objective;
  return (o.lossType === 'kto' ? ktoObjective(o) : pairObjective(o)) as Objective;
}
