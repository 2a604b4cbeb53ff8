// Builds the downloads: a PEFT LoRA adapter folder or a full Hugging Face model folder, zipped with fflate.
import { zipSync, strToU8 } from 'fflate';
import { writeSafetensors } from '../engine/safetensors';
import type { Gpt2Config, HostTensor } from '../engine/types';
import { modelCard, type RunSummary } from './model-card';

export interface ExportBundle {
  /** Folder name inside the zip and default download name (without .zip). */
  name: string;
  files: Record<string, Uint8Array>;
}

const json = (o: unknown) => strToU8(JSON.stringify(o, null, 2) + '\n');

/** PEFT's on-disk adapter: adapter_config.json + adapter_model.safetensors (metadata format=pt). */
export function adapterBundle(
  name: string,
  adapter: { config: object; tensors: Record<string, HostTensor> },
  run: RunSummary,
): ExportBundle {
  const files: Record<string, Uint8Array> = {
    'adapter_config.json': json(adapter.config),
    'adapter_model.safetensors': writeSafetensors(adapter.tensors, { metadata: { format: 'pt' } }),
  };
  files['README.md'] = strToU8(modelCard(run, [...Object.keys(files), 'README.md']));
  return { name, files };
}

/**
 * A transformers-loadable GPT-2 folder. Keys get the `transformer.` prefix that GPT2LMHeadModel.save_pretrained
 * writes; lm_head is tied to wte and so not stored.
 */
export function modelFolderBundle(
  name: string,
  config: Gpt2Config,
  weights: Record<string, HostTensor>,
  tokenizerFiles: Record<string, Uint8Array>,
  run: RunSummary,
): ExportBundle {
  const prefixed: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(weights)) prefixed[`transformer.${k}`] = t;
  const fullConfig = {
    architectures: ['GPT2LMHeadModel'],
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    ...config,
    n_ctx: config.n_positions,
    torch_dtype: 'float32',
  };
  const files: Record<string, Uint8Array> = {
    'config.json': json(fullConfig),
    'model.safetensors': writeSafetensors(prefixed, { metadata: { format: 'pt' } }),
    ...tokenizerFiles,
  };
  if (config.eos_token_id !== undefined) {
    files['generation_config.json'] = json({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id });
  }
  files['README.md'] = strToU8(modelCard(run, [...Object.keys(files), 'README.md']));
  return { name, files };
}

/** Zips a bundle as a single folder, so unzipping gives one directory to pass to from_pretrained. */
export function zipBundle(bundle: ExportBundle): Uint8Array {
  const tree: Record<string, Uint8Array> = {};
  for (const [file, bytes] of Object.entries(bundle.files)) tree[`${bundle.name}/${file}`] = bytes;
  // safetensors barely compresses; level 1 keeps the zip fast without giving up the JSON savings.
  return zipSync(tree, { level: 1 });
}
