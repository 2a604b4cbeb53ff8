// The method's own fields in the hyperparameter form, generic over the registry: each field of each method gets a
// flat form key (lora's r: 'loraR'), typed text for numbers and layer lists, a flag for booleans, a list for modules.
import { fieldFlag, formatPattern, parsePattern, type FieldValue, type MethodField, type ModuleChoices } from '../engine/peft/fields';
import { METHOD_SPECS, methodSpec, type MethodId } from '../engine/peft/registry';
import type { ModelConfig, TrainConfig } from '../engine/types';
import type { ModelInfo } from '../train-worker/protocol';

/** A method field's key in the form: method id + capitalised field key ('loraR', 'loraTargetModules'). */
export type MethodFieldKey = `${MethodId}${Capitalize<string>}`;

export interface MethodFormValues {
  drafts: Partial<Record<MethodFieldKey, string>>; // number and layers fields, as typed
  flags: Partial<Record<MethodFieldKey, boolean>>;
  lists: Partial<Record<MethodFieldKey, string[]>>;
}

export function formKey(id: string, key: string): MethodFieldKey {
  return `${id}${key[0].toUpperCase()}${key.slice(1)}` as MethodFieldKey;
}

/** [form key, field key, field] of every field of method `id`. */
export function methodFields(id: string): [MethodFieldKey, string, MethodField][] {
  return Object.entries(methodSpec(id).fields).map(([k, f]) => [formKey(id, k), k, f]);
}

/** The data-testid of a method field's control: declared, or its CLI flag name ('lora-r'). */
export function fieldTestId(id: string, key: string, f: MethodField): string {
  return f.testId ?? fieldFlag(id, key, f);
}

/** A modules field's module names and presets for the loaded model (the worker posts its parsed config); null
 * before a model is loaded. */
export function moduleChoices(f: MethodField, info: ModelInfo | null): ModuleChoices | null {
  if (f.kind !== 'modules' || !f.choices || !info || typeof info.config.model_type !== 'string') return null;
  return f.choices(info.config as unknown as ModelConfig);
}

/** The form values of every method's fields, from a config (each method reads its own settings from it). */
export function methodFormValues(config: TrainConfig): MethodFormValues {
  const out: MethodFormValues = { drafts: {}, flags: {}, lists: {} };
  for (const spec of METHOD_SPECS) {
    const c = spec.configOf(config) as Record<string, FieldValue | undefined>;
    for (const [fk, k, f] of methodFields(spec.id)) {
      const v = c[k] ?? f.default;
      if (f.kind === 'boolean') out.flags[fk] = Boolean(v);
      else if (f.kind === 'modules') out.lists[fk] = [...(v as string[])];
      else if (f.kind === 'pattern') out.drafts[fk] = formatPattern(v as Record<string, number>);
      else out.drafts[fk] = Array.isArray(v) ? v.join(', ') : v === null ? '' : String(v); // numbers, layers, text
    }
  }
  return out;
}

/** A layers field's text ('0, 2'; empty for every layer) as indices, or an error. */
export function parseLayers(label: string, text: string): { value: number[] | null } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: null };
  const parts = t.split(/[\s,]+/).filter(Boolean).map(Number);
  if (parts.some((n) => !Number.isInteger(n) || n < 0)) return { error: `${label}: list block numbers such as 0, 1 (empty means every block).` };
  return { value: [...new Set(parts)].sort((a, b) => a - b) };
}

/** The active method's settings read from the form (numbers checked by the caller's checkNumber), with errors. */
export function readMethodFields(
  id: MethodId, v: MethodFormValues, checkNumber: (key: MethodFieldKey, text: string) => { value: number } | { error: string },
): { values: Record<string, FieldValue>; errors: Partial<Record<MethodFieldKey, string>> } {
  const values: Record<string, FieldValue> = {};
  const errors: Partial<Record<MethodFieldKey, string>> = {};
  for (const [fk, k, f] of methodFields(id)) {
    if (f.kind === 'boolean') values[k] = v.flags[fk] ?? f.default;
    else if (f.kind === 'modules') {
      values[k] = [...(v.lists[fk] ?? f.default)];
      if ((values[k] as string[]).length === 0) errors[fk] = `Pick at least one of the ${f.label.toLowerCase()}.`;
    } else if (f.kind === 'text') values[k] = v.drafts[fk] ?? f.default;
    else if (f.kind === 'pattern') {
      const r = parsePattern(f, v.drafts[fk] ?? '');
      if ('error' in r) errors[fk] = r.error;
      else values[k] = r.value;
    } else {
      const r = f.kind === 'number' ? checkNumber(fk, v.drafts[fk] ?? '') : parseLayers(f.label, v.drafts[fk] ?? '');
      if ('error' in r) errors[fk] = r.error;
      else values[k] = r.value;
    }
  }
  return { values, errors };
}
