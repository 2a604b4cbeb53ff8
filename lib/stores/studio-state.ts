// The studio state's shape and the selectors and helpers derived from it (no side effects here).
import type { ExportDtype, StudioExportKind } from '../export/kinds';
import type { StoreApi } from 'zustand/vanilla';
import type { ModelOption, StudioSettings } from './studio-settings';
import type { NumericField } from '../ui-copy';
import type { MethodFieldKey } from './method-form';
import type { ObjectiveChoice } from './objective-choice';
import type { Method, ScheduleKind, TrainConfig } from '../engine/types';
import type { DataActions } from './data-actions';
import { tokenizerUrlOf, type DataState } from './data-state';
import type { PrepareSettings } from '../data-worker/protocol';
import { resolveUrl, toModelRef } from '../hub/client';
import { baseName } from '../hub/local-files';
import type { BackendChoice } from '../train-worker/protocol';
import type { WeightFormat as BaseWeights } from '../engine/memory-plan';
import { readForm, type CheckpointingChoice, type ConfigErrors, type ConfigForm, type FormLimits } from './config-form';
import type { SampleEntry } from './samples';
import { isRunActive, type WorkerSlices } from './studio-reducer';
import type { ModelSourceActions } from './model-source-actions';
import { sourceKey, type ModelSourceState } from './model-source';
import { memoryPlanFor, type MemoryPlanView } from './memory';
import type { HandoffState } from './handoff-actions';
import type { HandoffTarget } from '../export/handoff';
import type { PlaygroundActions } from './playground-actions';
import type { PlaygroundState } from './playground-reducer';
import type { RunState } from './studio-reducer';
import type { RewardModelPick } from './reward-model-pick';

export interface SamplesState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  entries: SampleEntry[];
  error: string | null;
}

export type { DataState } from './data-state';

export interface StudioActions extends ModelSourceActions, DataActions, PlaygroundActions {
  loadSampleIndex(): Promise<void>;
  selectModel(name: string): void;
  setBackend(choice: BackendChoice): void;
  setAllowFallbackAdapter(allow: boolean): void;
  /** The next load's base weight format (a loaded model keeps its own until it is loaded again). */
  setBaseWeights(format: BaseWeights): void;
  loadModel(): void;
  setMethod(method: Method): void;
  setField(field: NumericField, text: string): void;
  setSchedule(schedule: ScheduleKind): void;
  setObjective(objective: ObjectiveChoice): void;
  /** An objective's own setting (objective-form.ts key `${choice}.${field}`): text as typed, or on/off. */
  setObjectiveField(key: string, value: string | boolean): void;
  /** RL's reward-model folder (checked on the page, sent with Start); clearing goes back to the reward rules. */
  pickRewardModel(files: File[]): Promise<void>;
  clearRewardModel(): void;
  setCheckpointing(choice: CheckpointingChoice): void;
  /** A method's module-list field (e.g. LoRA's target modules): add or remove one name, or set the list. */
  toggleListItem(key: MethodFieldKey, name: string): void;
  setList(key: MethodFieldKey, names: string[]): void;
  /** A method's on/off field (e.g. rsLoRA). */
  setFlag(key: MethodFieldKey, on: boolean): void;
  /** The memory budget field (GiB, as typed); kept in the browser. */
  setMemoryBudget(text: string): void;
  /** Applies the memory plan's suggestion number `index` (smaller batch, shorter sequence or LoRA). */
  applyMemorySuggestion(index: number): void;
  applyPreset(id: string): void;
  resetSettings(): void;
  start(): void;
  /** Resumes a stored run (lib/runs) from its last checkpoint with its own settings, on the Data step's examples. */
  resumeStored(id: string): Promise<void>;
  /** Downloads the active run's stored checkpoint (train state files) as a zip, to resume it elsewhere. */
  downloadCheckpoint(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): void;
  /** Exports the run: the method's own download, or `choice.kind` (merged, GGUF, GGUF LoRA) in `choice.dtype`. */
  exportModel(choice?: { kind: StudioExportKind; dtype?: ExportDtype }): void;
  /** Saves the last exported file again. */
  saveExportAgain(): void;
  /** Builds the hand-off bundle for `target` in the data worker and saves it (lib/stores/handoff-actions.ts). */
  downloadHandoff(target: HandoffTarget): Promise<void>;
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
  /** How the next load keeps the block linears: float32, or packed f16 / int8 (adapter methods; saves GPU memory). */
  baseWeights: BaseWeights;
  /** Memory budget for the plan, in GiB as typed. */
  memoryBudgetGiB: string;
  data: DataState;
  samples: SamplesState;
  form: ConfigForm;
  /** The reward-model folder an RL run scores with, when one is picked (reward-model-pick.ts). */
  rewardModel: RewardModelPick;
  /** The form read as a TrainConfig; null while any field is invalid. */
  config: TrainConfig | null;
  configErrors: ConfigErrors;
  workerAlive: boolean;
  handoff: HandoffState;
  /** Every run of this session by id; `run` is the active one's state (also runs[activeRunId]). */
  runs: Record<string, RunState>;
  activeRunId: string | null;
  playground: PlaygroundState;
  actions: StudioActions;
}

export type StudioStore = StoreApi<StudioState>;

/** The form read into the state's config fields. */
export function formState(form: ConfigForm, limits: FormLimits): Pick<StudioState, 'config' | 'configErrors'> {
  const { config, errors } = readForm(form, limits);
  return { config, configErrors: errors };
}

export function formLimits(s: Pick<StudioState, 'model' | 'rewardModel'>): FormLimits {
  const n = s.model.info?.config.n_positions ?? s.model.info?.config.max_position_embeddings; // GPT-2 ?? Llama family
  const rm = s.rewardModel.local?.name;
  return { ...(typeof n === 'number' ? { maxSeqLen: n } : {}), ...(rm ? { rewardModel: rm } : {}) };
}

export function modelKey(s: Pick<StudioState, 'modelName' | 'modelSource' | 'backendChoice' | 'allowFallbackAdapter' | 'baseWeights'>): string {
  return `${sourceKey(s.modelSource, s.modelName)}|${s.backendChoice}|${s.allowFallbackAdapter ? 'fallback' : 'hw'}|${s.baseWeights}`;
}

/** The seed as typed (the split uses it even while another field is invalid). */
export function splitSeed(form: ConfigForm): number {
  const n = Number(form.drafts.seed);
  return Number.isInteger(n) ? n : 0;
}

/** Where the Data step reads the chosen model's tokenizer: the bundled folder, the Hub's resolve URL (the data
 * worker fetches the two small files itself), or the picked folder's files. Null when there is none. */
export function dataTokenizer(s: StudioState): { url: string; files?: PrepareSettings['tokenizerFiles'] } | null {
  const src = s.modelSource;
  if (src.kind === 'hub') {
    if (!src.hub.id.trim()) return null;
    return { url: resolveUrl(toModelRef({ id: src.hub.id, baseUrl: src.hub.baseUrl, revision: src.hub.revision }), '') };
  }
  if (src.kind === 'files') {
    const find = (name: string) => src.local?.files.find((f) => baseName(f.webkitRelativePath || f.name) === name);
    const json = find('tokenizer.json');
    if (!src.local || !json) return null;
    const config = find('tokenizer_config.json');
    return { url: `local:${src.local.name}:${src.local.size}`, files: { json: json as unknown as Blob, ...(config ? { config: config as unknown as Blob } : {}) } };
  }
  const url = tokenizerUrlOf(selectModelOption(s).source);
  return url === null ? null : { url };
}

/** Why Start is unavailable right now, or null when it can go. */
export function selectStartBlocker(s: StudioState): string | null {
  if (isRunActive(s.run.status)) return 'A run is in progress.';
  if (s.model.status === 'loading') return 'The model is loading.';
  if (s.exporting.status === 'exporting') return 'An export is in progress.';
  const d = s.data;
  if (d.status !== 'ready' || !d.summary || d.summary.valid === 0) return 'Load a data set with at least one valid record.';
  if (d.summary.issues.length > 0 && !d.excluded) {
    return `${d.summary.issues.length.toLocaleString('en-US')} records have problems: exclude them in the Data step (or fix the file and load it again).`;
  }
  if (!s.config) return 'Fix the highlighted settings.';
  if (dataTokenizer(s) === null) return "The Data step cannot find this model's tokenizer.json: pick the model's whole folder.";
  if (d.reportError) return `Fix the data settings: ${d.reportError}`;
  if (!d.report || d.preparing) return 'The Data step is still preparing the data.';
  if (d.report.split.train === 0) return 'No training records are left after cleaning and the split.';
  const plan = selectMemoryPlan(s);
  if (plan && !plan.fits) return 'This setup does not fit in memory: see the memory plan in Method.';
  return null;
}

/** The memory plan for the loaded model and current settings (stable object while its inputs are unchanged). */
export function selectMemoryPlan(s: StudioState): MemoryPlanView | null {
  return memoryPlanFor({ info: s.model.info, config: s.config, budgetText: s.memoryBudgetGiB, limits: s.model.limits, rewardParams: s.rewardModel.params, backend: s.model.backend });
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
