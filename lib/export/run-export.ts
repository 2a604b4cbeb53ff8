// Turns a finished (or paused) run into its download: the method's PEFT adapter files, or the model folder for
// methods that train the model itself (the method's spec says which).
// Shared by the studio's worker and the command line so both write the same files.
import type { LoadedModel } from '../engine/loader';
import type { Trainer } from '../engine/trainer';
import { methodSpec } from '../engine/peft/registry';
import type { TrainConfig } from '../engine/types';
import { adapterBundle, modelFolderBundle, type ExportBundle } from './bundle';
import { rewardModelBundle } from './reward-folder';
import type { RunFacts, RunSummary } from './model-card';

/** The download's folder (and zip) name: the model's own name without its Hub owner ("org/name" -> "name"),
 * in characters every file system takes, plus what it holds. The adapter still names the full id as its base. */
export function exportFolderName(modelName: string, method: TrainConfig['method']): string {
  const base = (modelName.split('/').filter(Boolean).pop() ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '') || 'model';
  return `${base}-${methodSpec(method).folderSuffix}`;
}

export function runSummary(model: LoadedModel, config: TrainConfig, facts: RunFacts): RunSummary {
  const rest: Partial<TrainConfig> = { ...config };
  delete rest.lora;
  delete rest.methodConfig;
  const spec = methodSpec(config.method);
  // The method's own settings under its id (e.g. "lora": {...}); methods without settings add nothing.
  const own = Object.keys(spec.fields).length > 0 ? { [spec.id]: spec.configOf(config) } : {};
  return {
    ...facts,
    baseModel: model.name,
    method: config.method,
    hyperparameters: { ...rest, ...own },
    date: new Date().toISOString().slice(0, 10),
  };
}

export async function exportRun(trainer: Trainer, model: LoadedModel, config: TrainConfig, facts: RunFacts): Promise<ExportBundle> {
  const summary = runSummary(model, config, facts);
  const folder = exportFolderName(model.name, config.method);
  if (config.objective?.kind === 'reward') {
    // A reward model is always a whole classifier folder (the adapter merged), whatever the method trained.
    return rewardModelBundle(`${folder}-reward`, model.config, await trainer.exportWeights(''), await trainer.exportHeads(), model.tokenizerFiles, summary);
  }
  return methodSpec(config.method).exports === 'adapter'
    ? adapterBundle(folder, await trainer.exportAdapter(model.name), summary)
    : modelFolderBundle(folder, model.config, await trainer.exportWeights(''), model.tokenizerFiles, summary);
}
