// Turns a finished (or paused) run into its download: the PEFT adapter for LoRA, the model folder for full.
// Shared by the studio's worker and the command line so both write the same files.
import type { LoadedModel } from '../engine/loader';
import type { Trainer } from '../engine/trainer';
import type { TrainConfig } from '../engine/types';
import { adapterBundle, modelFolderBundle, type ExportBundle } from './bundle';
import type { RunFacts, RunSummary } from './model-card';

/** The download's folder (and zip) name: the model's own name without its Hub owner ("org/name" -> "name"),
 * in characters every file system takes, plus what it holds. The adapter still names the full id as its base. */
export function exportFolderName(modelName: string, method: TrainConfig['method']): string {
  const base = (modelName.split('/').filter(Boolean).pop() ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '') || 'model';
  return `${base}-${method === 'lora' ? 'lora' : 'finetuned'}`;
}

export function runSummary(model: LoadedModel, config: TrainConfig, facts: RunFacts): RunSummary {
  const { lora, ...rest } = config;
  return {
    ...facts,
    baseModel: model.name,
    method: config.method,
    hyperparameters: config.method === 'lora' ? { ...rest, lora } : rest,
    date: new Date().toISOString().slice(0, 10),
  };
}

export async function exportRun(trainer: Trainer, model: LoadedModel, config: TrainConfig, facts: RunFacts): Promise<ExportBundle> {
  const summary = runSummary(model, config, facts);
  return config.method === 'lora'
    ? adapterBundle(exportFolderName(model.name, 'lora'), await trainer.exportAdapter(model.name), summary)
    : modelFolderBundle(exportFolderName(model.name, 'full'), model.config, await trainer.exportWeights(''), model.tokenizerFiles, summary);
}
