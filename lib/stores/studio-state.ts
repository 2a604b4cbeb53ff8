// The studio state's shape and the selectors and helpers derived from it (no side effects here).
import type { StoreApi } from 'zustand/vanilla';
import type { ModelOption, NumericField, StudioSettings } from '../defaults';
import type { Method, ScheduleKind, TrainConfig } from '../engine/types';
import type { ParsedDataset, TrainRecord } from '../data/types';
import { splitRecords } from '../data/split';
import type { BackendChoice } from '../protocol';
import { readForm, type ConfigErrors, type ConfigForm, type FormLimits } from './config-form';
import type { SampleEntry } from './samples';
import { isRunActive, type WorkerSlices } from './studio-reducer';
import type { ModelSourceActions } from './model-source-actions';
import { sourceKey, type ModelSourceState } from './model-source';
import { memoryPlanFor, type MemoryPlanView } from './memory';

export interface DataState {
  status: 'empty' | 'reading' | 'ready' | 'error';
  dataset: ParsedDataset | null;
  /** Name of the file being read or last read. */
  source: string | null;
  error: string | null;
  validationPercent: number;
  /** Train / validation sizes for the current data, percentage and seed. */
  split: { train: number; validation: number } | null;
}

export interface SamplesState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  entries: SampleEntry[];
  error: string | null;
}

export interface StudioActions extends ModelSourceActions {
  loadSampleIndex(): Promise<void>;
  loadSample(file: string): Promise<void>;
  loadFile(file: { name: string; text(): Promise<string> }): Promise<void>;
  setValidationPercent(percent: number): void;
  selectModel(name: string): void;
  setBackend(choice: BackendChoice): void;
  setAllowFallbackAdapter(allow: boolean): void;
  loadModel(): void;
  setMethod(method: Method): void;
  setField(field: NumericField, text: string): void;
  setSchedule(schedule: ScheduleKind): void;
  toggleTargetModule(name: string): void;
  setTargetModules(names: string[]): void;
  setRslora(on: boolean): void;
  /** The memory budget field (GiB, as typed); kept in the browser. */
  setMemoryBudget(text: string): void;
  /** Applies the memory plan's suggestion number `index` (smaller batch, shorter sequence or LoRA). */
  applyMemorySuggestion(index: number): void;
  applyPreset(id: string): void;
  resetSettings(): void;
  start(): void;
  pause(): void;
  resume(): void;
  stop(): void;
  exportModel(): void;
  /** Saves the last exported file again. */
  saveExportAgain(): void;
  /** Terminates the worker (page teardown). The store stays usable; a later job starts a new worker. */
  dispose(): void;
}

export interface StudioState extends WorkerSlices {
  settings: StudioSettings;
  modelOptions: ModelOption[];
  /** The bundled model chosen (used when modelSource.kind is 'bundled'). */
  modelName: string;
  /** Bundled, Hub or local folder, with the Hub form and the picked files. */
  modelSource: ModelSourceState;
  backendChoice: BackendChoice;
  allowFallbackAdapter: boolean;
  /** Memory budget for the plan, in GiB as typed. */
  memoryBudgetGiB: string;
  data: DataState;
  samples: SamplesState;
  form: ConfigForm;
  /** The form read as a TrainConfig; null while any field is invalid. */
  config: TrainConfig | null;
  configErrors: ConfigErrors;
  workerAlive: boolean;
  actions: StudioActions;
}

export type StudioStore = StoreApi<StudioState>;

/** The form read into the state's config fields. */
export function formState(form: ConfigForm, limits: FormLimits): Pick<StudioState, 'config' | 'configErrors'> {
  const { config, errors } = readForm(form, limits);
  return { config, configErrors: errors };
}

export function formLimits(s: Pick<StudioState, 'model'>): FormLimits {
  const n = s.model.info?.config.n_positions ?? s.model.info?.config.max_position_embeddings; // GPT-2 ?? Llama family
  return typeof n === 'number' ? { maxSeqLen: n } : {};
}

export function modelKey(s: Pick<StudioState, 'modelName' | 'modelSource' | 'backendChoice' | 'allowFallbackAdapter'>): string {
  return `${sourceKey(s.modelSource, s.modelName)}|${s.backendChoice}|${s.allowFallbackAdapter ? 'fallback' : 'hw'}`;
}

function splitSeed(form: ConfigForm): number {
  const n = Number(form.drafts.seed);
  return Number.isInteger(n) ? n : 0;
}

/** Splits records with the run's seed, as Start will. */
export function splitDataset(records: TrainRecord[], percent: number, seed: number): { train: TrainRecord[]; validation: TrainRecord[] } {
  return splitRecords(records, percent / 100, seed);
}

export function splitCounts(data: DataState, form: ConfigForm): DataState['split'] {
  if (!data.dataset) return null;
  const { train, validation } = splitDataset(data.dataset.records, data.validationPercent, splitSeed(form));
  return { train: train.length, validation: validation.length };
}

/** Why Start is unavailable right now, or null when it can go. */
export function selectStartBlocker(s: StudioState): string | null {
  if (isRunActive(s.run.status)) return 'A run is in progress.';
  if (s.model.status === 'loading') return 'The model is loading.';
  if (s.exporting.status === 'exporting') return 'An export is in progress.';
  if (!s.data.dataset || s.data.dataset.records.length === 0) return 'Load a data set with at least one valid record.';
  if (!s.config) return 'Fix the highlighted settings.';
  if (s.data.split && s.data.split.train === 0) return 'No training records left after the validation split.';
  const plan = selectMemoryPlan(s);
  if (plan && !plan.fits) return 'This setup does not fit in memory: see the memory plan in Method.';
  return null;
}

/** The memory plan for the loaded model and current settings (stable object while its inputs are unchanged). */
export function selectMemoryPlan(s: StudioState): MemoryPlanView | null {
  return memoryPlanFor({ info: s.model.info, config: s.config, budgetText: s.memoryBudgetGiB, limits: s.model.limits });
}

export function selectCanExport(s: StudioState): boolean {
  // A run that ended in an error keeps the weights it reached, as long as the worker lives.
  const finished = s.run.status === 'done' || s.run.status === 'stopped' || s.run.status === 'paused' || s.run.status === 'error';
  return finished && s.workerAlive && !s.run.stale && s.run.points.length > 0 && s.exporting.status !== 'exporting';
}

export function selectModelOption(s: StudioState): ModelOption {
  return s.modelOptions.find((o) => o.name === s.modelName) ?? s.modelOptions[0];
}

export function slices(s: StudioState): WorkerSlices {
  return { model: s.model, run: s.run, exporting: s.exporting };
}
