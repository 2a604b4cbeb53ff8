// Turns a finished (or paused) run into its download: the method's PEFT adapter files, or the model folder for
// methods that train the model itself (the method's spec says which).
// Shared by the studio's worker and the command line so both write the same files.
import type { LoadedModel } from '../engine/loader';
import type { Trainer } from '../engine/trainer';
import { methodSpec } from '../engine/peft/registry';
import type { TrainConfig } from '../engine/types';
import { adapterBundle, modelFolderBundle, type ExportBundle } from './bundle';
import { buildExport } from './exports';
import type { ExportDtype, ExportKind } from './kinds';
import { rewardModelBundle } from './reward-folder';
import type { RunFacts, RunSummary } from './model-card';

/** The download's folder (and zip) name: the model's own name without its Hub owner ("org/name" -> "name"),
 * in characters every file system takes, plus what it holds. The adapter still names the full id as its base. */
export function exportFolderName(modelName: string, method: TrainConfig['method']): string {
  const base = (modelName.split('/').filter(Boolean).pop() ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '') || 'model';
  return `${base}-${methodSpec(method).folderSuffix}`;
}

/** The model card's hyperparameters: the shared settings plus the method's own under its id (e.g. "lora": {...}). */
export function hyperparametersOf(config: TrainConfig): Record<string, unknown> {
  const rest: Partial<TrainConfig> = { ...config };
  delete rest.lora;
  delete rest.methodConfig;
  const spec = methodSpec(config.method);
  const own = Object.keys(spec.fields).length > 0 ? { [spec.id]: spec.configOf(config) } : {};
  return { ...rest, ...own };
}

export function runSummary(model: Pick<LoadedModel, 'name'>, config: TrainConfig, facts: Partial<RunFacts>): RunSummary {
  return { ...facts, baseModel: model.name, method: config.method, hyperparameters: hyperparametersOf(config), date: new Date().toISOString().slice(0, 10) };
}

/** A run's download: by default the method's own (adapter or model folder); or the kind asked for (a merged model,
 * GGUF, the GGUF LoRA) through buildExport, from the trainer's state. */
export async function exportRun(trainer: Trainer, model: LoadedModel, config: TrainConfig, facts: RunFacts, kind?: ExportKind, dtype?: ExportDtype): Promise<ExportBundle> {
  const summary = runSummary(model, config, { ...facts, dataFingerprint: facts.dataFingerprint ?? `rows:${trainer.dataFingerprint()}` });
  const folder = exportFolderName(model.name, config.method);
  if (config.objective?.kind === 'reward') {
    // A reward model is always a whole classifier folder (the adapter merged), whatever the method trained.
    return rewardModelBundle(`${folder}-reward`, model.config, await trainer.exportWeights(''), await trainer.exportHeads(), model.tokenizerFiles, summary);
  }
  if (kind) {
    const name = kind === 'merged' || kind === 'gguf' ? folder.replace(/-(lora|finetuned)$/, '') + '-merged' : folder;
    return buildExport(kind, dtype, { model, state: trainer.trainable, summary, folder: name });
  }
  return methodSpec(config.method).exports === 'adapter'
    ? adapterBundle(folder, await trainer.exportAdapter(model.name), summary)
    : modelFolderBundle(folder, model.config, await trainer.exportWeights(''), model.tokenizerFiles, summary);
}
