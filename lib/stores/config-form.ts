// The hyperparameter form: typed text per field (so "2e-" can exist mid-edit), read back into a TrainConfig with
// one clear message per invalid field. The method's own fields come from its spec in the registry (method-form.ts).
import { defaultTrainConfig, methodDefaults } from '../engine/defaults';
import { parseDecimal } from '../engine/peft/fields';
import { methodSpec } from '../engine/peft/registry';
import type { Method, ScheduleKind, TrainConfig } from '../engine/types';
import { trainConfigSchema } from '../train-worker/protocol';
import { FIELD_SPECS, type BaseField, type NumericField } from '../ui-copy';
import { methodFormValues, readMethodFields, type MethodFieldKey, type MethodFormValues } from './method-form';
import { choiceOf, type ObjectiveChoice } from './objective-choice';
import { objectiveFormValues, readObjective, type ObjectiveErrorKey, type ObjectiveValues } from './objective-form';

/** Gradient checkpointing as the person chose it: 'auto' turns it on only when the plan does not fit otherwise. */
export type CheckpointingChoice = 'auto' | 'on' | 'off';

export interface ConfigForm extends MethodFormValues {
  method: Method;
  schedule: ScheduleKind;
  checkpointing: CheckpointingChoice;
  /** What the run optimises: SFT, a preference loss or a reward model (objective-choice.ts). */
  objective: ObjectiveChoice;
  /** Every objective's own settings as typed (objective-form.ts); the chosen one's are read. */
  objectiveValues: ObjectiveValues;
  /** Shared numbers and every method's number and layer-list fields, as typed. */
  drafts: Record<BaseField, string> & Partial<Record<MethodFieldKey, string>>;
  /** Fields the person typed into; method switches leave these alone. */
  edited: Partial<Record<NumericField, boolean>>;
}

export type ConfigErrorKey = NumericField | ObjectiveErrorKey | 'form';
export type ConfigErrors = Partial<Record<ConfigErrorKey, string>>;

export interface FormLimits {
  /** The loaded model's context length (n_positions), when known. */
  maxSeqLen?: number;
  /** The reward-model folder picked for RL (its name): it scores the answers, so the reward rules are not read. */
  rewardModel?: string;
}

const BASE_FIELDS: BaseField[] = [
  'steps', 'batchSize', 'seqLen', 'lr', 'warmupSteps', 'minLrRatio', 'weightDecay', 'clipNorm', 'gradAccum', 'seed',
  'evalEvery', 'replayShare', 'beta1', 'beta2', 'epsilon',
];

export function formFromConfig(config: TrainConfig): ConfigForm {
  const drafts = {} as Record<BaseField, string>;
  for (const k of BASE_FIELDS) drafts[k] = String(k === 'replayShare' ? (config.replayShare ?? 0) : config[k]);
  const own = methodFormValues(config);
  const checkpointing: CheckpointingChoice = config.checkpointing === undefined ? 'auto' : config.checkpointing ? 'on' : 'off';
  const objective = choiceOf(config.objective);
  return { method: config.method, schedule: config.schedule, checkpointing, objective, objectiveValues: objectiveFormValues(config.objective, objective), ...own, drafts: { ...drafts, ...own.drafts }, edited: {} };
}

/** The starting form: defaults for LoRA, then any overrides (test-mode URL parameters). */
export function initialForm(overrides: Partial<Record<NumericField, number>> = {}): ConfigForm {
  const form = formFromConfig(defaultTrainConfig('lora'));
  for (const [k, v] of Object.entries(overrides) as [NumericField, number][]) form.drafts[k] = String(v);
  return form;
}

export function setDraft(form: ConfigForm, field: NumericField, text: string): ConfigForm {
  return { ...form, drafts: { ...form.drafts, [field]: text }, edited: { ...form.edited, [field]: true } };
}

/** Applies preset values without marking them as typed by the person. */
export function applyValues(form: ConfigForm, values: Partial<Record<NumericField, number>>): ConfigForm {
  const drafts = { ...form.drafts };
  for (const [k, v] of Object.entries(values) as [NumericField, number][]) drafts[k] = String(v);
  return { ...form, drafts };
}

/** Switches method; method-dependent defaults (lr, weight decay) follow unless the person edited them. */
export function switchMethod(form: ConfigForm, method: Method): ConfigForm {
  if (form.method === method) return form;
  const d = methodDefaults(method);
  const drafts = { ...form.drafts };
  if (!form.edited.lr) drafts.lr = String(d.lr);
  if (!form.edited.weightDecay) drafts.weightDecay = String(d.weightDecay);
  return { ...form, method, drafts };
}

/** Why `text` is not a valid value for `field`, or null with the number when it is. */
export function checkField(field: NumericField, text: string): { value: number } | { error: string } {
  const spec = FIELD_SPECS[field];
  if (!spec) return { error: `${field} is not a number field.` };
  const t = text.trim();
  if (t === '') return { error: `${spec.label} is required.` };
  const n = parseDecimal(t);
  if (!Number.isFinite(n)) return { error: `${spec.label} must be a number.` };
  if (spec.integer && !Number.isInteger(n)) return { error: `${spec.label} must be a whole number.` };
  if (spec.minExclusive ? n <= spec.min : n < spec.min) {
    return { error: `${spec.label} must be ${spec.minExclusive ? 'greater than' : 'at least'} ${spec.min}.` };
  }
  if (n > spec.max) return { error: `${spec.label} must be at most ${spec.max.toLocaleString('en-US')}.` };
  return { value: n };
}

/** The shared numbers, with an error per invalid one. */
function readBase(form: ConfigForm, limits: FormLimits): { v: Record<BaseField, number>; errors: ConfigErrors } {
  const errors: ConfigErrors = {};
  const v = {} as Record<BaseField, number>;
  for (const k of BASE_FIELDS) {
    const r = checkField(k, form.drafts[k]);
    if ('error' in r) errors[k] = r.error;
    v[k] = 'error' in r ? Number.NaN : r.value;
  }
  if (!errors.seqLen && limits.maxSeqLen !== undefined && v.seqLen > limits.maxSeqLen) {
    errors.seqLen = `This model reads at most ${limits.maxSeqLen} tokens.`;
  }
  return { v, errors };
}

/** Reads the form into a TrainConfig; config is null whenever any error is present. Only the chosen method's
 * fields are read (and can block Start); other methods' settings keep valid defaults. */
export function readForm(form: ConfigForm, limits: FormLimits = {}): { config: TrainConfig | null; errors: ConfigErrors } {
  const base = readBase(form, limits);
  const own = readMethodFields(form.method, form, checkField);
  const batch = base.errors.batchSize || base.errors.gradAccum ? undefined : { batchSize: base.v.batchSize, gradAccum: base.v.gradAccum };
  const objective = readObjective(form.objective, form.objectiveValues, batch, limits.rewardModel);
  const errors: ConfigErrors = { ...base.errors, ...own.errors, ...objective.errors };
  if (!errors.replayShare && base.v.replayShare > 0 && form.objective !== 'sft') {
    errors.replayShare = 'Replay mixes general text into language-model batches: set it to 0 for this objective.';
  }
  if (Object.keys(errors).length > 0) return { config: null, errors };
  const { v } = base;
  const shared: TrainConfig = {
    ...defaultTrainConfig(form.method),
    steps: v.steps, batchSize: v.batchSize, gradAccum: v.gradAccum, seqLen: v.seqLen, lr: v.lr, weightDecay: v.weightDecay,
    beta1: v.beta1, beta2: v.beta2, epsilon: v.epsilon, warmupSteps: v.warmupSteps, schedule: form.schedule,
    minLrRatio: v.minLrRatio, clipNorm: v.clipNorm, seed: v.seed, evalEvery: v.evalEvery,
    ...(v.replayShare > 0 ? { replayShare: v.replayShare } : {}),
    // 'auto' leaves it unset: the memory plan decides (selectMemoryPlan), and Start sends what it decided.
    ...(form.checkpointing === 'auto' ? {} : { checkpointing: form.checkpointing === 'on' }),
    ...(objective.objective ? { objective: objective.objective } : {}),
  };
  const config = methodSpec(form.method).withConfig(shared, own.values);
  // Last guard: the worker validates with the same schema, so catch any gap here, not there.
  const checked = trainConfigSchema.safeParse(config);
  if (!checked.success) {
    return { config: null, errors: { form: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
  }
  return { config, errors };
}
