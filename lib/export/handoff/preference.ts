// What a hand-off run optimises, read from TrainConfig.objective for the target writers: supervised fine-tuning,
// preference pairs (DPO's sigmoid / cDPO, hinge, IPO, SimPO, ORPO), KTO's unpaired answers, or a reward model; and
// the records each needs (pairs kept, or split into a desirable and an undesirable answer as TRL's
// unpair_preference_dataset does, which is what our KTO objective trains on).
import type { Conversation } from '../../data/types';
import type { PreferenceLossType } from '../../engine/objectives/config';
import type { TrainConfig } from '../../engine/types';

export type PairLoss = Exclude<PreferenceLossType, 'kto'>;

export type HandoffObjective =
  | { kind: 'sft' }
  | { kind: 'pairs'; loss: PairLoss; beta: number; labelSmoothing: number; simpoGamma: number; precomputeReference: boolean }
  | { kind: 'kto'; beta: number; desirableWeight: number; undesirableWeight: number; precomputeReference: boolean }
  | { kind: 'reward' };

export function handoffObjective(c: TrainConfig): HandoffObjective {
  const o = c.objective;
  if (!o) return { kind: 'sft' };
  if (o.kind === 'reward') return { kind: 'reward' };
  if (o.kind === 'rl') {
    throw new Error(`A ${o.algorithm.toUpperCase()} run cannot be handed off yet: the bundles cover supervised, preference and reward-model runs. Hand off the SFT stage, or train the RL stage here`);
  }
  if (o.lossType === 'kto') return { kind: 'kto', beta: o.beta, desirableWeight: o.desirableWeight, undesirableWeight: o.undesirableWeight, precomputeReference: o.precomputeReference };
  return { kind: 'pairs', loss: o.lossType, beta: o.beta, labelSmoothing: o.labelSmoothing, simpoGamma: o.simpoGamma, precomputeReference: o.precomputeReference };
}

/** A short name for READMEs: "DPO (sigmoid)", "KTO", "reward model", "supervised fine-tuning". */
export function objectiveName(o: HandoffObjective): string {
  if (o.kind === 'sft') return 'supervised fine-tuning';
  if (o.kind === 'reward') return 'reward model';
  if (o.kind === 'kto') return 'KTO';
  return { sigmoid: o.labelSmoothing > 0 ? 'cDPO' : 'DPO', hinge: 'DPO (hinge)', ipo: 'IPO', simpo: 'SimPO', orpo: 'ORPO' }[o.loss];
}

/** The records the objective trains on, checked: SFT refuses pairs, pairs need a rejected answer each, KTO takes
 * pairs (split in two) or answers marked with a label. */
export function objectiveRecords(o: HandoffObjective, records: Conversation[]): Conversation[] {
  if (o.kind === 'sft') {
    const pair = records.find((r) => r.rejected);
    if (pair) throw new Error(`Line ${pair.line} is a preference pair (chosen/rejected) but this run is supervised fine-tuning: pick DPO, KTO or a reward model in Method to hand off preference data`);
    return records;
  }
  if (o.kind === 'pairs' || o.kind === 'reward') {
    const single = records.find((r) => !r.rejected);
    if (single) throw new Error(`Line ${single.line} has no rejected answer: ${objectiveName(o)} needs preference pairs (prompt, chosen, rejected) in every record`);
    return records;
  }
  return records.flatMap((r) => {
    const { rejected, ...rest } = r;
    if (rejected) return [{ ...rest, label: true }, { ...rest, turns: [...r.turns.slice(0, -1), rejected], label: false }];
    if (r.label === undefined) throw new Error(`Line ${r.line} is neither a preference pair nor marked good or bad ("label" / "kto_tag"): KTO needs one of them`);
    return [r];
  });
}
