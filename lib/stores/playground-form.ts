// The playground's sampling settings as typed (labels, bounds, defaults, help) and how they read into the
// worker's Sampling: greedy switches temperature, top-k and top-p off; stop sequences one per line.
import type { Sampling } from '../train-worker/play-protocol';

export type SamplingField = 'maxNewTokens' | 'temperature' | 'topK' | 'topP' | 'repetitionPenalty' | 'seed';

export interface SamplingFieldSpec {
  key: SamplingField;
  label: string;
  help: string;
  default: number;
  integer: boolean;
  min: number;
  max: number;
  /** The lower bound itself is not allowed (top-p > 0). */
  minExclusive?: boolean;
  /** Not used when greedy is on. */
  sampledOnly?: boolean;
}

export const SAMPLING_FIELDS: SamplingFieldSpec[] = [
  { key: 'maxNewTokens', label: 'Max new tokens', help: 'Longest answer, in tokens.', default: 48, integer: true, min: 1, max: 4096 },
  { key: 'temperature', label: 'Temperature', help: 'Higher is more varied; 0 is greedy.', default: 0.8, integer: false, min: 0, max: 10, sampledOnly: true },
  { key: 'topK', label: 'Top-k', help: 'Draw only from the k most likely tokens (0 = all).', default: 40, integer: true, min: 0, max: 1_000_000, sampledOnly: true },
  { key: 'topP', label: 'Top-p', help: 'Draw from the most likely tokens whose probabilities add up to p (1 = all).', default: 0.95, integer: false, min: 0, max: 1, minExclusive: true, sampledOnly: true },
  { key: 'repetitionPenalty', label: 'Repetition penalty', help: 'Above 1 discourages tokens already written (1 = off).', default: 1.1, integer: false, min: 0, max: 10, minExclusive: true },
  { key: 'seed', label: 'Seed', help: 'The same seed gives the same draws for base and tuned.', default: 0, integer: true, min: -2147483648, max: 2147483647 },
];

export interface SamplingForm {
  drafts: Record<SamplingField, string>;
  greedy: boolean;
  /** One stop sequence per line. */
  stopText: string;
}

export function initialSamplingForm(): SamplingForm {
  const drafts = Object.fromEntries(SAMPLING_FIELDS.map((f) => [f.key, String(f.default)])) as Record<SamplingField, string>;
  return { drafts, greedy: true, stopText: '' };
}

/** The form read: the settings, or null with an error per field that does not read. */
export function readSampling(form: SamplingForm): { sampling: Sampling | null; errors: Partial<Record<SamplingField, string>> } {
  const errors: Partial<Record<SamplingField, string>> = {};
  const values = {} as Record<SamplingField, number>;
  for (const f of SAMPLING_FIELDS) {
    if (form.greedy && f.sampledOnly) continue;
    const text = form.drafts[f.key].trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) errors[f.key] = `${f.label} must be a number`;
    else if (f.integer && !Number.isInteger(n)) errors[f.key] = `${f.label} must be a whole number`;
    else if (n < f.min || n > f.max || (f.minExclusive && n === f.min)) errors[f.key] = `${f.label} must be ${f.minExclusive ? 'above' : 'at least'} ${f.min} and at most ${f.max}`;
    else values[f.key] = n;
  }
  if (Object.keys(errors).length > 0) return { sampling: null, errors };
  const stop = form.stopText.split('\n').map((s) => s.replace(/\\n/g, '\n')).filter((s) => s !== '');
  const sampled = form.greedy ? { temperature: 0, topK: 0, topP: 1 } : { temperature: values.temperature, topK: values.topK, topP: values.topP };
  return { sampling: { maxNewTokens: values.maxNewTokens, ...sampled, repetitionPenalty: values.repetitionPenalty, seed: values.seed, stop: stop.slice(0, 16) }, errors };
}
