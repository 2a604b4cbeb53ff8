// A method's settings declared once: each field's label, bounds, default and one line of help. The zod schema
// (with or without defaults), the UI's fields and the CLI's flags are all derived from these declarations.
import { z } from 'zod';
import type { ModelConfig } from '../types';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Typed text as a number, or NaN unless it is a plain decimal number: "", " 1", "0x10", "1_000" and "Infinity" are
 * not numbers here, though JavaScript's Number() reads them. Shared by the studio's form, the method fields and the
 * CLI's flags, so each refuses the same text.
 */
export function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : NaN;
}

interface FieldBase {
  label: string;
  help: string;
  /** CLI flag without the dashes; `${method}-${kebab-key}` when absent. */
  flag?: string;
  /** data-testid of the UI control; the flag name when absent. */
  testId?: string;
}

export interface NumberField extends FieldBase {
  kind: 'number';
  default: number;
  integer: boolean;
  min: number;
  max: number;
  /** When true, `min` itself is not allowed (e.g. alpha > 0). */
  minExclusive?: boolean;
  step?: number;
}

export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default: boolean;
}

/** A model's module names and named presets: the UI's checkboxes and preset buttons, the CLI's preset names. */
export interface ModuleChoices {
  all: string[];
  presets: { id: string; label: string; modules: string[] }[];
}

/** Module names of the loaded model (PEFT target_modules); the UI offers the model's own and its presets. */
export interface ModulesField extends FieldBase {
  kind: 'modules';
  default: string[];
  choices?(model: ModelConfig): ModuleChoices;
}

/** Free text (e.g. prompt tuning's init text); `default` is usually '' (unset). */
export interface TextField extends FieldBase {
  kind: 'text';
  default: string;
  maxLength: number;
}

/** Layer indices (PEFT layers_to_transform); null means every layer. */
export interface LayersField extends FieldBase {
  kind: 'layers';
  default: number[] | null;
}

/** Numbers by module name or path (PEFT rank_pattern / alpha_pattern): written `q_proj=16, layers.0.mlp.up_proj=4`;
 * empty means none differ. */
export interface PatternField extends FieldBase {
  kind: 'pattern';
  default: Record<string, number>;
  integer: boolean;
  min: number;
  max: number;
  minExclusive?: boolean;
}

export type MethodField = NumberField | BooleanField | ModulesField | LayersField | TextField | PatternField;
export type FieldValue = number | boolean | string | string[] | number[] | Record<string, number> | null;

/** A pattern as the UI and the CLI write it: `name=value` pairs separated by commas. */
export function formatPattern(p: Record<string, number> | undefined): string {
  return Object.entries(p ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** A pattern field's text as an object, or what is wrong with it (which pair, and why). */
export function parsePattern(f: PatternField, text: string): { value: Record<string, number> } | { error: string } {
  const value: Record<string, number> = {};
  for (const part of text.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(part); // keys are PEFT pattern keys: names, paths or regular expressions
    if (!m) return { error: `${f.label}: "${part}" is not name=value (e.g. q_proj=16)` };
    const v = parseDecimal(m[2]);
    const low = f.minExclusive ? v <= f.min : v < f.min;
    if (!Number.isFinite(v) || (f.integer && !Number.isInteger(v)) || low || v > f.max) {
      return { error: `${f.label}: ${m[1]} needs ${f.integer ? 'a whole number' : 'a number'} ${f.minExclusive ? 'above' : 'from'} ${f.min} to ${f.max}, got "${m[2]}"` };
    }
    value[m[1]] = v;
  }
  return { value };
}

function numberSchema(f: NumberField): z.ZodNumber {
  let s = z.number();
  if (f.integer) s = s.int();
  s = f.minExclusive ? s.gt(f.min) : s.gte(f.min);
  return s.lte(f.max);
}

/** The zod schema of one field; `optional` fields (layers, patterns) may be absent in stored configs. */
export function fieldSchema(f: MethodField): z.ZodType {
  switch (f.kind) {
    case 'number':
      return numberSchema(f);
    case 'boolean':
      return z.boolean();
    case 'modules':
      return z.array(z.string()).min(1, `${f.label}: pick at least one`);
    case 'layers':
      return z.array(z.number().int().min(0)).nullable().optional();
    case 'text':
      return z.string().max(f.maxLength, `${f.label}: at most ${f.maxLength} characters`);
    case 'pattern': {
      const n = f.integer ? z.number().int() : z.number();
      return z.record(z.string().min(1), (f.minExclusive ? n.gt(f.min) : n.gte(f.min)).lte(f.max)).optional();
    }
  }
}

/** The config schema: strict (every field required, as the worker checks a run) or filling defaults. */
export function fieldsSchema(fields: Record<string, MethodField>, withDefaults: boolean): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, f] of Object.entries(fields)) {
    const s = fieldSchema(f);
    shape[k] = withDefaults ? (s as z.ZodType<unknown>).default(structuredClone(f.default) as never) : s;
  }
  return z.object(shape);
}

/** Every field's default. */
export function fieldDefaults(fields: Record<string, MethodField>): Record<string, FieldValue> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, structuredClone(f.default)]));
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The CLI flag of a field of method `id` (e.g. lora's r: 'lora-r'). */
export function fieldFlag(id: string, key: string, f: MethodField): string {
  return f.flag ?? `${id}-${kebab(key)}`;
}
