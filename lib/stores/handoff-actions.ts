// The Export step's hand-off bundle (TRL, Axolotl, LLaMA-Factory): asks the data worker, which holds the cleaned
// records, to build and zip it with the Data step's settings, the loaded model's name and config and the run
// settings, shows its stages, and saves the zip.
import type { DataClient } from '../data-worker/client';
import type { HandoffJob, PrepareSettings } from '../data-worker/protocol';
import type { ModelConfig } from '../engine/types';
import type { HandoffTarget } from '../export/handoff';
import type { StudioState } from './studio-state';

export interface HandoffState {
  status: 'idle' | 'building' | 'done' | 'error';
  target: HandoffTarget | null;
  /** What the worker is doing now, and how far (stages done of all). */
  stage: { name: string; done: number; total: number } | null;
  fileName: string | null;
  files: string[];
  size: number;
  records: { train: number; validation: number } | null;
  error: string | null;
}

export const initialHandoff: HandoffState = { status: 'idle', target: null, stage: null, fileName: null, files: [], size: 0, records: null, error: null };

export const HANDOFF_TARGETS: { id: HandoffTarget; label: string }[] = [
  { id: 'trl', label: 'Hugging Face TRL (script + accelerate config)' },
  { id: 'axolotl', label: 'Axolotl (config.yml)' },
  { id: 'llamafactory', label: 'LLaMA-Factory (train.yaml + dataset_info.json)' },
];

/** Why the hand-off bundle cannot be built now, or null. */
export function selectHandoffBlocker(s: StudioState): string | null {
  if (s.handoff.status === 'building') return 'A hand-off bundle is being built.';
  const d = s.data;
  if (d.status !== 'ready' || !d.summary || d.summary.valid === 0) return 'Load a data set in the Data step first.';
  if (d.summary.issues.length > 0 && !d.excluded) return 'Some records have problems: exclude them in the Data step first.';
  if (!s.model.info) return 'Load the model first: the bundle carries its config and the GPU memory it needs.';
  if (!s.config) return 'Fix the highlighted settings in Method.';
  if (s.config.method !== 'lora' && s.config.method !== 'full') return 'Hand-off bundles cover LoRA and full fine-tuning.';
  if (d.reportError) return `Fix the data settings: ${d.reportError}`;
  if (!d.report || d.preparing) return 'The Data step is still preparing the data.';
  if (d.report.split.train === 0) return 'No training records are left after cleaning and the split.';
  return null;
}

interface Deps {
  get: () => StudioState;
  set: (patch: Partial<StudioState>) => void;
  client: Pick<DataClient, 'handoff'>;
  settings: () => PrepareSettings | null;
  /** The run settings as Start would send them (packing and checkpointing resolved). */
  runConfig: (s: StudioState) => HandoffJob['config'] | null;
  saveFile: (fileName: string, bytes: ArrayBuffer) => void;
}

export function createHandoffAction({ get, set, client, settings, runConfig, saveFile }: Deps) {
  return async (target: HandoffTarget): Promise<void> => {
    const s = get();
    const prep = settings();
    const config = runConfig(s);
    if (selectHandoffBlocker(s) !== null || !prep || !config || !s.model.info || !s.data.summary) return;
    const job: HandoffJob = { target, baseModel: s.model.info.name, modelConfig: s.model.info.config as unknown as ModelConfig, config, dataFile: s.data.summary.fileName };
    set({ handoff: { ...initialHandoff, status: 'building', target } });
    try {
      const zip = await client.handoff(prep, job, (name, done, total) => {
        if (get().handoff.status === 'building') set({ handoff: { ...get().handoff, stage: { name, done, total } } });
      });
      saveFile(zip.fileName, zip.bytes);
      set({ handoff: { ...initialHandoff, status: 'done', target, fileName: zip.fileName, files: zip.files, size: zip.bytes.byteLength, records: { train: zip.train, validation: zip.validation } } });
    } catch (e) {
      set({ handoff: { ...initialHandoff, status: 'error', target, error: `Could not build the hand-off bundle: ${e instanceof Error ? e.message : String(e)}` } });
    }
  };
}
