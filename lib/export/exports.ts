// Every export kind the studio and the command line offer, from one loaded model and (optionally) the method state
// trained or imported onto it: the PEFT adapter, the merged model in Hugging Face layout, GGUF of the merged model,
// the LoRA adapter as GGUF, and the hand-off bundles for TRL, Axolotl and LLaMA-Factory.
import { strToU8 } from 'fflate';
import { tokenizerConfigOf, type LoadedModel } from '../engine/loader';
import { isLoraState } from '../engine/peft/lora';
import { methodSpec } from '../engine/peft/registry';
import type { TrainableState } from '../engine/peft/types';
import { adapterBundle, modelFolderBundle, type ExportBundle } from './bundle';
import { ggufFileName, loraGguf, modelGguf } from './gguf';
import { loraFactors } from './gguf/lora';
import { handoffBundle, type HandoffInput, type HandoffTarget } from './handoff';
import { mergedWeights } from './merged';
import { modelCard, type RunSummary } from './model-card';
import { modelfile } from './modelfile';

import { DEFAULT_DTYPE, type ExportDtype, type ExportKind } from './kinds';

export { EXPORT_DTYPES, EXPORT_KINDS, type ExportDtype, type ExportKind } from './kinds';

export interface ExportInput {
  model: LoadedModel;
  /** The method state on top of the model; absent exports the model as it is. */
  state?: TrainableState;
  summary: RunSummary;
  /** Folder (and zip) name. */
  folder: string;
  /** Data and settings for the hand-off kinds. */
  handoff?: Omit<HandoffInput, 'baseModel' | 'modelConfig'>;
}

const withCard = (files: Record<string, Uint8Array>, summary: RunSummary, ggufBase?: string) => {
  files['README.md'] = strToU8(modelCard(summary, [...Object.keys(files), 'README.md'], ggufBase));
  return files;
};

export async function buildExport(kind: ExportKind, dtype: ExportDtype | undefined, input: ExportInput): Promise<ExportBundle> {
  const d = dtype ?? DEFAULT_DTYPE[kind];
  const { model, state, summary, folder } = input;
  const label = methodSpec(summary.method).label;
  if (kind === 'peft') {
    if (!state?.save) throw new Error(`--to peft needs an adapter (a trained or imported ${label} run has none); use --to merged for a model folder`);
    return adapterBundle(folder, await state.save(model.name), summary);
  }
  if (kind === 'merged') {
    if (d === 'q8_0') throw new Error('--to merged writes safetensors in f32, f16 or bf16; Q8_0 is a GGUF type (use --to gguf)');
    const weights = await mergedWeights(model.weights, state, label, model.packed);
    return modelFolderBundle(folder, model.config, weights, model.tokenizerFiles, summary, d.toUpperCase() as 'F32' | 'F16' | 'BF16');
  }
  if (kind === 'gguf') {
    const weights = await mergedWeights(model.weights, state, label, model.packed);
    const file = ggufFileName(folder, d);
    const files: Record<string, Uint8Array> = { [file]: modelGguf({ name: folder, config: model.config, weights, tokenizerFiles: model.tokenizerFiles }, d) };
    files['Modelfile'] = strToU8(modelfile({ from: file, stop: eosToken(model), hasChatTemplate: hasTemplate(model) }));
    return { name: folder, files: withCard(files, summary) };
  }
  if (kind === 'gguf-lora') {
    if (!isLoraState(state?.adapter)) throw new Error(`--to gguf-lora needs a LoRA adapter (this one is ${label}); --to gguf writes the merged model instead`);
    const base = ggufFileName(baseName(model.name), d);
    const file = ggufFileName(folder, d, true);
    const files: Record<string, Uint8Array> = { [file]: loraGguf(model.config, await loraFactors(state.adapter), { name: folder, dtype: d }) };
    files['Modelfile'] = strToU8(modelfile({ from: base, adapter: file, stop: eosToken(model), hasChatTemplate: hasTemplate(model) }));
    return { name: folder, files: withCard(files, summary, base) };
  }
  if (!input.handoff) throw new Error(`--to ${kind} needs the training data (--data <file>)`);
  return handoffBundle(kind as HandoffTarget, folder, { ...input.handoff, baseModel: model.name, modelConfig: model.config }, summary);
}

/** The base model's own GGUF name, as `--to gguf` on the base model (no adapter) writes it. */
const baseName = (name: string) => (name.split('/').filter(Boolean).pop() ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-');

function eosToken(model: LoadedModel): string | undefined {
  const t = tokenizerConfigOf(model).eos_token;
  return typeof t === 'string' ? t : typeof (t as { content?: unknown })?.content === 'string' ? (t as { content: string }).content : undefined;
}

const hasTemplate = (model: LoadedModel) => tokenizerConfigOf(model).chat_template !== undefined;
