// Studio settings: the model choices, backend choices, the default validation share and the test-mode URL
// overrides (?test=1&steps=..&batch=..&seqLen=..&report=1&autosave=..).
import type { BackendChoice, ModelSource } from '../train-worker/protocol';
import type { NumericField } from '../ui-copy';

export const DEFAULT_VALIDATION_PERCENT = 10;
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export interface ModelOption {
  name: string;
  label: string;
  description: string;
  source: ModelSource;
}

export function modelOptions(testMode: boolean): ModelOption[] {
  const demo: ModelOption = {
    name: 'webtune-demo',
    label: 'webtune-demo',
    description: 'Small GPT-2 architecture model bundled with the studio.',
    source: { kind: 'url', name: 'webtune-demo', baseUrl: '/models/webtune-demo/' },
  };
  if (!testMode) return [demo];
  const tiny: ModelOption = {
    name: 'tiny-random',
    label: 'tiny-random (test mode)',
    description: 'A tiny randomly initialised GPT-2 with the demo tokenizer, for fast test runs.',
    source: { kind: 'tiny-random', name: 'tiny-random', tokenizerUrl: '/models/webtune-demo/', seed: 0 },
  };
  return [tiny, demo];
}

export type SearchParams = Record<string, string | string[] | undefined>;

export interface StudioSettings {
  testMode: boolean;
  /** Test-mode overrides of the defaults, read from the URL. */
  overrides: Partial<Record<NumericField, number>>;
  /** Score the forgetting meter and the test split when a run ends: always, except in test mode without ?report=1
   * (scoring thousands of general-text tokens would slow every test run). */
  scoreAtEnd: boolean;
  /** Test mode's ?autosave=N: steps between a stored run's checkpoints (the store's default otherwise). */
  autosaveEvery?: number;
}

const URL_OVERRIDES: Record<string, NumericField> = {
  steps: 'steps',
  batch: 'batchSize',
  seqLen: 'seqLen',
  evalEvery: 'evalEvery',
};

/** Reads ?test=1 and, in test mode only, the numeric overrides. Unparseable values are ignored. */
export function settingsFromSearchParams(params: SearchParams): StudioSettings {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const testMode = first(params.test) === '1' || first(params.test) === 'true';
  const overrides: Partial<Record<NumericField, number>> = {};
  if (testMode) {
    for (const [param, field] of Object.entries(URL_OVERRIDES)) {
      const raw = first(params[param]);
      if (raw === undefined || raw.trim() === '') continue;
      const n = Number(raw);
      if (Number.isFinite(n)) overrides[field] = n;
    }
  }
  const scoreAtEnd = !testMode || first(params.report) === '1';
  const autosave = testMode ? Number(first(params.autosave)) : NaN;
  return { testMode, overrides, scoreAtEnd, ...(Number.isInteger(autosave) && autosave > 0 ? { autosaveEvery: autosave } : {}) };
}
