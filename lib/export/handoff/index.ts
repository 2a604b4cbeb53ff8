// Hand-off bundles for a job too big for the browser: the cleaned, split data in the target trainer's format, a
// ready configuration with the same base model, method and hyperparameters, and a README with the launch commands
// for one GPU and for several. Targets: Hugging Face TRL (script + accelerate config), Axolotl, LLaMA-Factory.
import { strToU8 } from 'fflate';
import type { Conversation } from '../../data/types';
import type { ModelConfig, TrainConfig } from '../../engine/types';
import type { ExportBundle } from '../bundle';
import type { RunSummary } from '../model-card';
import { axolotlFiles } from './axolotl';
import { llamaFactoryFiles } from './llamafactory';
import { handoffMemory } from './plan';
import { handoffObjective, objectiveName, objectiveRecords, type HandoffObjective } from './preference';
import { dataKind } from './records';
import { trlFiles } from './trl';

export type HandoffTarget = 'trl' | 'axolotl' | 'llamafactory';

export interface HandoffInput {
  baseModel: string;
  modelConfig: ModelConfig;
  train: Conversation[];
  validation: Conversation[];
  config: TrainConfig;
  /** The chat template the studio used: 'chatml', 'llama3', 'alpaca' or 'model' (the tokenizer's own). */
  template: string;
}

/** What every target's writer gets. */
export interface TargetInput extends HandoffInput {
  kind: Conversation['kind'];
  /** What the run optimises; train and validation hold the records it trains on (KTO: pairs split in two). */
  objective: HandoffObjective;
  lora: { r: number; alpha: number; dropout: number; targetModules: string[]; useRslora: boolean; layersToTransform: number[] | null } | null;
}

export interface TargetFiles {
  files: Record<string, string>;
  /** README sections: how to install, the one-GPU and several-GPU commands. */
  install: string;
  oneGpu: string;
  severalGpus: string;
}

export function handoffBundle(target: HandoffTarget, folder: string, input: HandoffInput, summary: RunSummary): ExportBundle {
  const c = input.config;
  if (c.method !== 'lora' && c.method !== 'full') throw new Error(`Hand-off bundles cover LoRA and full fine-tuning; this run's method is ${c.method}`);
  if (input.train.length === 0) throw new Error('The hand-off bundle has no training records');
  const objective = handoffObjective(c);
  const train = objectiveRecords(objective, input.train);
  const validation = objectiveRecords(objective, input.validation);
  const kind = dataKind([...train, ...validation]);
  const lora = c.method === 'lora' ? { ...c.lora, layersToTransform: c.lora.layersToTransform ?? null } : null;
  const t = { trl: trlFiles, axolotl: axolotlFiles, llamafactory: llamaFactoryFiles }[target]({ ...input, train, validation, kind, lora, objective });
  const memory = handoffMemory(input.modelConfig, c);
  const name = { trl: 'Hugging Face TRL', axolotl: 'Axolotl', llamafactory: 'LLaMA-Factory' }[target];
  const how = [c.method === 'lora' ? 'LoRA' : 'full fine-tuning', objective.kind === 'sft' ? '' : `, ${objectiveName(objective)}`].join('');
  const readme = [
    `# ${input.baseModel}: ${how} with ${name}`,
    '',
    `Exported by WebTune Studio for a run too big for the browser: ${train.length} training and ${validation.length} validation records`,
    `(cleaned and split as in the studio${objective.kind === 'kto' ? '; each preference pair is a desirable and an undesirable answer' : ''}), the same base model, method${objective.kind === 'sft' ? '' : ', objective'} and hyperparameters.`,
    '',
    `GPU memory: about ${memory.text} per GPU at batch ${c.batchSize} x ${c.seqLen} tokens${c.objective ? ', two rows per example' : ''} (the studio's float32 plan; bf16 mixed precision needs less).`,
    '',
    '## Install',
    '',
    '```sh',
    t.install,
    '```',
    '',
    '## One GPU',
    '',
    '```sh',
    t.oneGpu,
    '```',
    '',
    '## Several GPUs or nodes',
    '',
    '```sh',
    t.severalGpus,
    '```',
    '',
  ].join('\n');
  const files: Record<string, Uint8Array> = Object.fromEntries(Object.entries(t.files).map(([k, v]) => [k, strToU8(v)]));
  const settings = ['## Studio settings', '', `Base model \`${input.baseModel}\`, method ${summary.method}${summary.dataFingerprint ? `, data ${summary.dataFingerprint}` : ''}.`, '', '```json', JSON.stringify(summary.hyperparameters, null, 2), '```', '', '## Files', '', ...[...Object.keys(files), 'README.md'].map((f) => `- \`${f}\``), ''];
  files['README.md'] = strToU8(readme + '\n' + settings.join('\n'));
  return { name: folder, files };
}
