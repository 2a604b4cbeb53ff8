// Comparing and downloading runs: the settings two or more runs differ in (flattened keys, e.g. "lora.r"), and a
// run's metrics as CSV (one row per step, validation loss where a pass ran) or JSON.
import type { EvalPoint, StepPoint } from './run-db';

/** Nested settings as dotted keys with JSON-comparable values ("lora.targetModules" -> '["c_attn"]'). */
export function flattenSettings(o: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [kk, vv] of flattenSettings(v, key)) out.set(kk, vv);
    else if (v !== undefined) out.set(key, JSON.stringify(v));
  }
  return out;
}

export interface SettingDiff {
  key: string;
  values: (string | null)[]; // per run, in the order given; null where a run lacks the setting
}

/** The settings that are not the same in every run, sorted by key. */
export function settingsDiff(configs: object[]): SettingDiff[] {
  const flat = configs.map((c) => flattenSettings(c));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  return keys
    .map((key) => ({ key, values: flat.map((f) => f.get(key) ?? null) }))
    .filter((d) => d.values.some((v) => v !== d.values[0]));
}

/** step,loss,lr,grad_norm,val_loss; val_loss empty where no validation pass ran at that step. */
export function metricsCsv(steps: StepPoint[], evals: EvalPoint[]): string {
  const val = new Map(evals.map((e) => [e.step, e.valLoss]));
  const stepSet = new Set(steps.map((s) => s.step));
  const rows = steps.map((s) => [s.step, s.loss, s.lr, s.gradNorm, val.get(s.step) ?? '']);
  for (const e of evals) if (!stepSet.has(e.step)) rows.push([e.step, '', '', '', e.valLoss]);
  rows.sort((a, b) => Number(a[0]) - Number(b[0]));
  return ['step,loss,lr,grad_norm,val_loss', ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

export function metricsJson(steps: StepPoint[], evals: EvalPoint[]): string {
  return JSON.stringify({
    steps: steps.map(({ step, loss, lr, gradNorm }) => ({ step, loss, lr, gradNorm })),
    evals: evals.map(({ step, valLoss }) => ({ step, valLoss, perplexity: Math.exp(valLoss) })),
  }, null, 2);
}
