// The hyperparameter form: typed text per field (so "2e-" can exist mid-edit), read back into a
// TrainConfig with one clear message per invalid field.
import { FIELD_SPECS, type NumericField } from '../ui-copy';
import { defaultTrainConfig, methodDefaults } from '../engine/defaults';
import type { Method, ScheduleKind, TrainConfig } from '../engine/types';
import { trainConfigSchema } from '../train-worker/protocol';

export interface ConfigForm {
  method: Method;
  schedule: ScheduleKind;
  targetModules: string[];
  useRslora: boolean;
  drafts: Record<NumericField, string>;
  /** Fields the person typed into; method switches leave these alone. */
  edited: Partial<Record<NumericField, boolean>>;
}

export type ConfigErrorKey = NumericField | 'targetModules' | 'form';
export type ConfigErrors = Partial<Record<ConfigErrorKey, string>>;

export interface FormLimits {
  /** The loaded model's context length (n_positions), when known. */
  maxSeqLen?: number;
}

const NUMERIC_FIELDS = Object.keys(FIELD_SPECS) as NumericField[];

function numericValues(c: TrainConfig): Record<NumericField, number> {
  return {
    steps: c.steps,
    batchSize: c.batchSize,
    seqLen: c.seqLen,
    lr: c.lr,
    warmupSteps: c.warmupSteps,
    minLrRatio: c.minLrRatio,
    weightDecay: c.weightDecay,
    clipNorm: c.clipNorm,
    gradAccum: c.gradAccum,
    seed: c.seed,
    evalEvery: c.evalEvery,
    beta1: c.beta1,
    beta2: c.beta2,
    epsilon: c.epsilon,
    loraR: c.lora.r,
    loraAlpha: c.lora.alpha,
    loraDropout: c.lora.dropout,
  };
}

export function formFromConfig(config: TrainConfig): ConfigForm {
  const values = numericValues(config);
  const drafts = {} as Record<NumericField, string>;
  for (const k of NUMERIC_FIELDS) drafts[k] = String(values[k]);
  return {
    method: config.method,
    schedule: config.schedule,
    targetModules: [...config.lora.targetModules],
    useRslora: config.lora.useRslora,
    drafts,
    edited: {},
  };
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
  const t = text.trim();
  if (t === '') return { error: `${spec.label} is required.` };
  const n = Number(t);
  if (!Number.isFinite(n)) return { error: `${spec.label} must be a number.` };
  if (spec.integer && !Number.isInteger(n)) return { error: `${spec.label} must be a whole number.` };
  if (spec.minExclusive ? n <= spec.min : n < spec.min) {
    return { error: `${spec.label} must be ${spec.minExclusive ? 'greater than' : 'at least'} ${spec.min}.` };
  }
  if (n > spec.max) return { error: `${spec.label} must be at most ${spec.max.toLocaleString('en-US')}.` };
  return { value: n };
}

/** Reads the form into a TrainConfig; config is null whenever any error is present. */
export function readForm(form: ConfigForm, limits: FormLimits = {}): { config: TrainConfig | null; errors: ConfigErrors } {
  const errors: ConfigErrors = {};
  const v = {} as Record<NumericField, number>;
  for (const k of NUMERIC_FIELDS) {
    // LoRA fields only matter (and only block Start) when LoRA is the method.
    const r = checkField(k, form.drafts[k]);
    if ('error' in r) {
      if (form.method === 'lora' || !k.startsWith('lora')) errors[k] = r.error;
      v[k] = Number.NaN;
    } else {
      v[k] = r.value;
    }
  }
  if (!errors.seqLen && limits.maxSeqLen !== undefined && v.seqLen > limits.maxSeqLen) {
    errors.seqLen = `This model reads at most ${limits.maxSeqLen} tokens.`;
  }
  if (form.method === 'lora' && form.targetModules.length === 0) errors.targetModules = 'Pick at least one target module.';
  if (Object.keys(errors).length > 0) return { config: null, errors };

  const defaults = defaultTrainConfig(form.method);
  const config: TrainConfig = {
    method: form.method,
    steps: v.steps,
    batchSize: v.batchSize,
    gradAccum: v.gradAccum,
    seqLen: v.seqLen,
    lr: v.lr,
    weightDecay: v.weightDecay,
    beta1: v.beta1,
    beta2: v.beta2,
    epsilon: v.epsilon,
    warmupSteps: v.warmupSteps,
    schedule: form.schedule,
    minLrRatio: v.minLrRatio,
    clipNorm: v.clipNorm,
    seed: v.seed,
    evalEvery: v.evalEvery,
    // Full fine-tuning ignores the adapter settings; send valid defaults rather than half-typed values.
    lora:
      form.method === 'lora'
        ? { r: v.loraR, alpha: v.loraAlpha, dropout: v.loraDropout, targetModules: [...form.targetModules], useRslora: form.useRslora }
        : defaults.lora,
  };
  // Last guard: the worker validates with the same schema, so catch any gap here, not there.
  const checked = trainConfigSchema.safeParse(config);
  if (!checked.success) {
    return { config: null, errors: { form: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
  }
  return { config, errors };
}
