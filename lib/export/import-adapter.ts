// Imports a PEFT adapter (a folder, or a zip of one: ours or written by huggingface/peft) onto a loaded base model,
// through the method its peft_type names. Before any variable is made, every tensor is checked against the base:
// module names that are not in the model and LoRA sizes that do not fit are listed together, with what differs.
import { unzipSync } from 'fflate';
import type { FileSource } from '../engine/loader';
import { methodForPeftType } from '../engine/peft/methods';
import { packedBaseRefusal } from '../engine/peft/spec';
import type { PeftFiles, TrainableState } from '../engine/peft/types';
import { linearModules } from '../engine/params';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import type { HostTensor, ModelConfig, WeightMap } from '../engine/types';

export class AdapterMismatchError extends Error {
  constructor(readonly problems: string[], baseName: string) {
    super(`This adapter does not fit ${baseName}: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
    this.name = 'AdapterMismatchError';
  }
}

/** adapter_config.json and adapter_model.safetensors from a folder. */
export async function readAdapterFolder(source: FileSource, where = 'the adapter folder'): Promise<PeftFiles> {
  const cfg = await source('adapter_config.json');
  if (!cfg) throw new Error(`${where} has no adapter_config.json (is it a PEFT adapter folder?)`);
  const st = await source('adapter_model.safetensors');
  if (!st) {
    const bin = await source('adapter_model.bin');
    throw new Error(bin ? `${where} has only adapter_model.bin; pickle files can run code when loaded, so only adapter_model.safetensors is read` : `${where} has no adapter_model.safetensors`);
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(cfg));
  } catch (e) {
    throw new Error(`${where}: adapter_config.json is not valid JSON (${(e as Error).message})`);
  }
  const tensors: Record<string, HostTensor> = {};
  for (const [k, e] of readSafetensors(st).tensors) tensors[k] = { shape: e.shape, data: toFloat32(e) };
  return { config, tensors };
}

/** The same from a zip: the folder holding adapter_config.json (at the top or one level down). */
export function readAdapterZip(zip: Uint8Array, where = 'the zip'): Promise<PeftFiles> {
  const files = unzipSync(zip);
  const cfg = Object.keys(files).filter((f) => f === 'adapter_config.json' || f.endsWith('/adapter_config.json')).sort((a, b) => a.length - b.length)[0];
  if (!cfg) throw new Error(`${where} holds no adapter_config.json`);
  const dir = cfg.slice(0, -'adapter_config.json'.length);
  return readAdapterFolder(async (name) => files[dir + name] ?? null, where);
}

const PEFT_KEY = /^base_model\.model\.(.+?)\.(lora_[AB]|lora_magnitude_vector|ia3_l|lora_embedding_[AB])(?:\.default)?(?:\.weight)?$/;

/** Every way the adapter's tensors disagree with the base model's modules (empty when they fit). */
export function adapterMismatches(files: PeftFiles, config: ModelConfig): string[] {
  const modules = linearModules(config);
  const problems: string[] = [];
  const r = Number(files.config.r);
  for (const [key, t] of Object.entries(files.tensors)) {
    const m = PEFT_KEY.exec(key);
    if (!m) continue; // method-specific tensors (prompt embeddings, ...) are the method's to check
    const path = m[1].startsWith('transformer.') ? m[1].slice('transformer.'.length) : m[1];
    const lin = modules.get(path);
    if (!lin) {
      problems.push(`module ${path} is not in this model`);
      continue;
    }
    if (m[2] === 'lora_A' && (t.shape[1] !== lin.fanIn || (r && t.shape[0] !== r))) problems.push(`${path}.lora_A is [${t.shape}], this model's layer needs [${r || 'r'}, ${lin.fanIn}]`);
    if (m[2] === 'lora_B' && (t.shape[0] !== lin.fanOut || (r && t.shape[1] !== r))) problems.push(`${path}.lora_B is [${t.shape}], this model's layer needs [${lin.fanOut}, ${r || 'r'}]`);
  }
  return [...new Set(problems)];
}

/** Loads the adapter onto the model, refusing a mismatched base with the list of what does not match. */
export function importAdapter(files: PeftFiles, model: { name: string; config: ModelConfig; weights: WeightMap; packed?: Map<string, unknown> }): TrainableState {
  const method = methodForPeftType(files.config.peft_type, files.config); // the config tells DoRA from LoRA
  const refusal = model.packed?.size ? packedBaseRefusal(method) : null;
  if (refusal) throw new Error(`This ${method.label} adapter cannot run here: ${refusal.slice(method.label.length + 1)}`);
  const problems = adapterMismatches(files, model.config);
  const base = files.config.base_model_name_or_path;
  if (problems.length) {
    if (typeof base === 'string' && base && base !== model.name) problems.unshift(`it was trained on ${base}`);
    throw new AdapterMismatchError(problems, model.name);
  }
  return method.load!(files, model.config, model.weights);
}
