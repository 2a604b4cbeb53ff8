// Builds the downloads: a PEFT adapter folder or a full Hugging Face model folder (F32, F16 or BF16 weights), zipped
// with fflate.
import { zipSync, strToU8 } from 'fflate';
import { writeSafetensors } from '../engine/safetensors';
import { isGpt2, type ModelConfig, type HostTensor } from '../engine/types';
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

export type SafetensorsFloat = 'F32' | 'F16' | 'BF16';
const TORCH_DTYPE: Record<SafetensorsFloat, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

const ARCHITECTURES: Record<string, string> = {
  llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM',
};

/** config.json as transformers writes it for this family. */
export function hfConfigJson(config: ModelConfig, dtype: SafetensorsFloat = 'F32'): Record<string, unknown> {
  const torch_dtype = TORCH_DTYPE[dtype];
  if (isGpt2(config)) {
    return { architectures: ['GPT2LMHeadModel'], activation_function: 'gelu_new', tie_word_embeddings: true, ...config, n_ctx: config.n_positions, torch_dtype };
  }
  const out: Record<string, unknown> = { architectures: [ARCHITECTURES[config.model_type]], hidden_act: 'silu', ...config, torch_dtype };
  delete out.qkv_bias; // the engine's flag for qwen2, not an HF key
  return out;
}

/**
 * A transformers-loadable model folder. GPT-2 keys get the `transformer.` prefix that GPT2LMHeadModel.save_pretrained
 * writes (lm_head is tied to wte and so not stored); Llama-family keys are already full HF names.
 */
export function modelFolderBundle(
  name: string,
  config: ModelConfig,
  weights: Record<string, HostTensor>,
  tokenizerFiles: Record<string, Uint8Array>,
  run: RunSummary,
  dtype: SafetensorsFloat = 'F32',
): ExportBundle {
  const prefix = isGpt2(config) ? 'transformer.' : '';
  const prefixed: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(weights)) prefixed[prefix + k] = t;
  const files: Record<string, Uint8Array> = {
    'config.json': json(hfConfigJson(config, dtype)),
    'model.safetensors': writeSafetensors(prefixed, { dtype, metadata: { format: 'pt' } }),
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
