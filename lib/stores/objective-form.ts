// The objective's own fields in the hyperparameter form (objectives/fields.ts): each objective choice keeps its
// values as typed under `${choice}.${key}` (so DPO's beta and GRPO's beta keep their own defaults), and reading the
// chosen one gives TrainConfig.objective or one message per invalid field, named by its label.
import { OBJECTIVE_FIELDS, objectiveFields, type ObjectiveField } from '../engine/objectives/fields';

export type { ObjectiveField } from '../engine/objectives/fields';
import type { ObjectiveConfig } from '../engine/objectives/config';
import { parseRewardTerm } from '../engine/rl/reward-spec';
import { objectiveConfigOf, OBJECTIVE_OPTIONS, type ObjectiveChoice } from './objective-choice';

/** Typed text (numbers, choices, reward rules one per line) and on/off flags, by `${choice}.${key}`. */
export type ObjectiveValues = Record<string, string | boolean>;
/** An objective field's error key (and its control's id suffix): 'objective.beta'. */
export type ObjectiveErrorKey = `objective.${string}`;

export function objectiveFormKey(choice: ObjectiveChoice, key: string): string {
  return `${choice}.${key}`;
}

/** The form's values of every objective choice: the config's own objective for its choice, defaults elsewhere. */
export function objectiveFormValues(current: ObjectiveConfig | undefined, currentChoice: ObjectiveChoice): ObjectiveValues {
  const out: ObjectiveValues = {};
  for (const { id } of OBJECTIVE_OPTIONS) {
    const defaults = objectiveConfigOf(id);
    if (!defaults) continue;
    // The config's own values over the defaults (a reward-model run's config has no reward rules: the default shows).
    const o = id === currentChoice && current ? { ...defaults, ...current } : defaults;
    const rec = o as unknown as Record<string, unknown>;
    for (const key of new Set(OBJECTIVE_FIELDS.map((f) => f.key))) {
      const v = rec[key];
      if (v === undefined) continue;
      out[objectiveFormKey(id, key)] = typeof v === 'boolean' ? v : Array.isArray(v) ? v.join('\n') : String(v);
    }
  }
  return out;
}

function checkNumber(f: Extract<ObjectiveField, { kind: 'number' }>, text: string): { value: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: `${f.label} is required.` };
  const n = Number(t);
  if (!Number.isFinite(n)) return { error: `${f.label} must be a number.` };
  if (f.integer && !Number.isInteger(n)) return { error: `${f.label} must be a whole number.` };
  if (f.minExclusive ? n <= f.min : n < f.min) return { error: `${f.label} must be ${f.minExclusive ? 'greater than' : 'at least'} ${f.min}.` };
  if (f.maxExclusive ? n >= f.max : n > f.max) return { error: `${f.label} must be ${f.maxExclusive ? 'below' : 'at most'} ${f.max.toLocaleString('en-US')}.` };
  return { value: n };
}

/** Reward rules as typed, one per line: each parsed as the CLI's --reward would be, errors by line. */
export function checkRewards(label: string, text: string): { value: string[] } | { error: string } {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return { error: `${label}: give at least one rule (exact, regex:<pattern> or length:<tokens>).` };
  if (lines.length > 16) return { error: `${label}: at most 16 rules (found ${lines.length}).` };
  for (const [i, line] of lines.entries()) {
    if (line.length > 500) return { error: `${label}, line ${i + 1}: a rule is at most 500 characters.` };
    try {
      parseRewardTerm(line);
    } catch (e) {
      const msg = (e as Error).message;
      const prefix = `--reward ${line}: `;
      const why = msg.startsWith(prefix) ? msg.slice(prefix.length) : msg;
      return { error: `${label}, line ${i + 1} (${line}): ${why}` };
    }
  }
  return { value: lines };
}

/** The choice's default objective with its typed choice fields (DPO's loss) applied: which other fields apply
 * depends on them (label smoothing is sigmoid's). */
function withChoices(choice: ObjectiveChoice, values: ObjectiveValues): ObjectiveConfig | undefined {
  const base = objectiveConfigOf(choice);
  if (!base) return undefined;
  const o = { ...base } as Record<string, unknown>;
  for (const f of OBJECTIVE_FIELDS) {
    if (f.kind !== 'choice' || !f.applies(base)) continue;
    const v = values[objectiveFormKey(choice, f.key)];
    if (typeof v === 'string' && f.options.some((x) => x.value === v)) o[f.key] = v;
  }
  return o as unknown as ObjectiveConfig;
}

/** The fields the form shows for a choice, in order. */
export function shownObjectiveFields(choice: ObjectiveChoice, values: ObjectiveValues): ObjectiveField[] {
  return objectiveFields(withChoices(choice, values));
}

/** The chosen objective read from the form (undefined for SFT), with an error per invalid field. `batch` is the run's
 * batch size and grad accumulation when valid (PPO's minibatches must divide them); `rewardModel` names a picked
 * reward-model folder, which replaces the reward rules. */
export function readObjective(choice: ObjectiveChoice, values: ObjectiveValues, batch?: { batchSize: number; gradAccum: number }, rewardModel?: string): { objective: ObjectiveConfig | undefined; errors: Partial<Record<ObjectiveErrorKey, string>> } {
  const errors: Partial<Record<ObjectiveErrorKey, string>> = {};
  const chosen = withChoices(choice, values);
  if (!chosen) return { objective: undefined, errors };
  const o = chosen as unknown as Record<string, unknown>;
  const text = (key: string) => values[objectiveFormKey(choice, key)];
  if (o.kind === 'rl' && rewardModel) delete o.reward; // the picked reward model scores instead of rules
  for (const f of objectiveFields(o as unknown as ObjectiveConfig)) {
    if (f.kind === 'rewards' && rewardModel) continue;
    const v = text(f.key);
    const key: ObjectiveErrorKey = `objective.${f.key}`;
    if (f.kind === 'boolean') o[f.key] = v === true;
    else if (f.kind === 'number') {
      const r = checkNumber(f, typeof v === 'string' ? v : '');
      if ('error' in r) errors[key] = r.error;
      else o[f.key] = r.value;
    } else if (f.kind === 'rewards') {
      const r = checkRewards(f.label, typeof v === 'string' ? v : '');
      if ('error' in r) errors[key] = r.error;
      else o[f.key] = r.value;
    }
  }
  if (o.kind === 'rl' && o.algorithm === 'ppo' && batch && !errors['objective.numMiniBatches']) {
    const answers = batch.batchSize * batch.gradAccum * (o.numGenerations as number);
    const m = o.numMiniBatches as number;
    if (answers % m !== 0) errors['objective.numMiniBatches'] = `Minibatches must divide the ${answers} answers of a step (batch size x grad accumulation); ${m} does not.`;
  }
  return { objective: o as unknown as ObjectiveConfig, errors };
}
