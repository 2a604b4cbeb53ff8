// `train --method <id>` and each method's own flags, derived from the registry: every field of every method
// becomes a flag (lora's r: --lora-r, targetModules: --lora-targets, ...), parsed and checked by its schema.
import type { FieldValue, MethodField } from '../engine/peft/fields';
import { fieldFlag, parsePattern } from '../engine/peft/fields';
import { METHOD_IDS, METHOD_SPECS, isMethodId, methodSpec } from '../engine/peft/registry';
import type { Method, ModelConfig, TrainConfig } from '../engine/types';
import { flagNumber } from './flags';

type Option = { type: 'string' } | { type: 'boolean' };
type Values = Record<string, string | boolean | string[] | undefined>;

const fieldsOf = (id: string) => Object.entries(methodSpec(id).fields);

/** parseArgs options for every method's flags. */
export function methodOptions(): Record<string, Option> {
  const out: Record<string, Option> = {};
  for (const spec of METHOD_SPECS) {
    for (const [key, f] of fieldsOf(spec.id)) {
      out[fieldFlag(spec.id, key, f)] = f.kind === 'boolean' ? { type: 'boolean' } : { type: 'string' };
      if (f.kind === 'boolean') out[`no-${fieldFlag(spec.id, key, f)}`] = { type: 'boolean' }; // turns off a default-on flag
    }
  }
  return out;
}

/** One usage line per method with flags: `--lora-r N --lora-alpha X ...`. */
export function methodUsage(): string {
  const lines = METHOD_SPECS.filter((s) => Object.keys(s.fields).length > 0).map((s) =>
    `      ${s.id}: ` + fieldsOf(s.id).map(([k, f]) => `[--${f.kind === 'boolean' ? '(no-)' : ''}${fieldFlag(s.id, k, f)}${f.kind === 'boolean' ? '' : ' ' + placeholder(f)}]`).join(' '));
  return lines.join('\n');
}

function placeholder(f: MethodField): string {
  if (f.kind === 'modules') return f.choices ? 'a,b,...|preset' : 'a,b,...';
  if (f.kind === 'text') return '"..."';
  if (f.kind === 'pattern') return 'name=N,...';
  return f.kind === 'number' ? (f.integer ? 'N' : 'X') : '0,1,...';
}

export function checkMethod(v: string | undefined): Method {
  const id = v ?? 'lora';
  if (!isMethodId(id)) throw new Error(`--method must be ${METHOD_IDS.slice(0, -1).join(', ')} or ${METHOD_IDS[METHOD_IDS.length - 1]}, got "${id}"`);
  return id;
}

function parseValue(flag: string, f: MethodField, raw: string | boolean): FieldValue {
  if (f.kind === 'boolean') return raw === true;
  const text = String(raw);
  if (f.kind === 'text') return text;
  if (f.kind === 'modules') return text.split(',').map((t) => t.trim()).filter(Boolean);
  if (f.kind === 'pattern') {
    const r = parsePattern(f, text);
    if ('error' in r) throw new Error(`--${flag}: ${r.error}`);
    return r.value;
  }
  const nums = text.split(',').map((t) => flagNumber(t.trim()));
  if (nums.some((n) => !Number.isFinite(n))) throw new Error(`--${flag} must be ${f.kind === 'layers' ? 'a comma-separated list of numbers' : 'a number'}, got "${text}"`);
  return f.kind === 'layers' ? nums : nums[0];
}

/** `base` with the chosen method's settings taken from its flags (absent flags keep base's values). */
export function applyMethodFlags(base: TrainConfig, values: Values): TrainConfig {
  const spec = methodSpec(base.method);
  const c: Record<string, unknown> = { ...(spec.configOf(base) as object) };
  for (const [key, f] of fieldsOf(spec.id)) {
    const flag = fieldFlag(spec.id, key, f);
    if (values[flag] !== undefined) c[key] = parseValue(flag, f, values[flag] as string | boolean);
    if (f.kind === 'boolean' && values[`no-${flag}`]) {
      if (values[flag]) throw new Error(`Use --${flag} or --no-${flag}, not both`);
      c[key] = false;
    }
  }
  const checked = spec.strictSchema.safeParse(c);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const key = String(issue.path[0]);
    throw new Error(`--${fieldFlag(spec.id, key, spec.fields[key])}: ${issue.message}`);
  }
  return spec.withConfig(base, checked.data as object);
}

/** The method's module lists fitted to the model: preset names (--lora-targets attention-mlp) become their
 * modules; a list not given as a flag loses names the model lacks, and one left empty (the GPT-2 defaults on a
 * Llama model) becomes the model's first preset (attention). */
export function fitModulesToModel(cfg: TrainConfig, values: Values, model: ModelConfig): TrainConfig {
  const spec = methodSpec(cfg.method);
  const c: Record<string, unknown> = { ...(spec.configOf(cfg) as object) };
  for (const [key, f] of fieldsOf(spec.id)) {
    if (f.kind !== 'modules' || !f.choices) continue;
    const { all, presets } = f.choices(model);
    const named = (c[key] as string[]).flatMap((m) => presets.find((p) => p.id === m)?.modules ?? [m]);
    const given = values[fieldFlag(spec.id, key, f)] !== undefined;
    const kept = given ? named : named.filter((m) => all.includes(m));
    c[key] = kept.length > 0 ? [...new Set(kept)] : [...presets[0].modules];
  }
  return spec.withConfig(cfg, c);
}
