// Loads a Hugging Face GPT-2 model folder (config.json, model.safetensors, tokenizer files) from any file source:
// fetch in the browser, the file system in Node. Weights are widened to float32 (tfjs has no f16 tensors).
import * as tf from '@tensorflow/tfjs';
import { gpt2ParamShapes } from './params';
import { readSafetensors, toFloat32 } from './safetensors';
import { HfTokenizer } from './tokenizer';
import type { Gpt2Config, WeightMap } from './types';

/** Returns a file's bytes, or null when the folder has no such file. */
export type FileSource = (name: string, onProgress?: (loaded: number, total: number) => void) => Promise<Uint8Array | null>;

export interface LoadedModel {
  name: string;
  config: Gpt2Config;
  weights: WeightMap;
  tokenizer: HfTokenizer;
  /** Raw tokenizer files, copied into exported model folders unchanged. */
  tokenizerFiles: Record<string, Uint8Array>;
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'];

export async function readJson(source: FileSource, name: string, required: true): Promise<Record<string, unknown>>;
export async function readJson(source: FileSource, name: string, required: false): Promise<Record<string, unknown> | null>;
export async function readJson(source: FileSource, name: string, required: boolean): Promise<Record<string, unknown> | null> {
  const bytes = await source(name);
  if (!bytes) {
    if (required) throw new ModelLoadError(`The model folder has no ${name}`);
    return null;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelLoadError(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

export function parseGpt2Config(raw: Record<string, unknown>): Gpt2Config {
  if (raw.model_type !== 'gpt2') {
    throw new ModelLoadError(`model_type "${String(raw.model_type)}" is not supported yet; this version trains GPT-2 architecture models`);
  }
  for (const key of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head']) {
    if (!Number.isInteger(raw[key]) || (raw[key] as number) <= 0) throw new ModelLoadError(`config.json: ${key} must be a positive integer`);
  }
  if ((raw.n_embd as number) % (raw.n_head as number) !== 0) throw new ModelLoadError('config.json: n_embd must be divisible by n_head');
  return { ...raw, model_type: 'gpt2', layer_norm_epsilon: (raw.layer_norm_epsilon as number) ?? 1e-5 } as Gpt2Config;
}

/** Maps checkpoint keys to ours: drops `transformer.`, skips attention mask buffers and the tied lm_head. */
function ourKey(key: string): string | null {
  const k = key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
  if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) return null;
  if (k === 'lm_head.weight') return null; // GPT-2 ties lm_head to wte
  return k;
}

export async function loadWeights(
  bytes: Uint8Array,
  config: Gpt2Config,
): Promise<WeightMap> {
  const file = readSafetensors(bytes);
  const shapes = gpt2ParamShapes(config);
  const weights: WeightMap = new Map();
  try {
    for (const [key, entry] of file.tensors) {
      const k = ourKey(key);
      if (k === null) continue;
      const want = shapes.get(k);
      if (!want) continue; // unknown extras are ignored, as transformers does with a warning
      if (want.join(',') !== entry.shape.join(',')) {
        throw new ModelLoadError(`Tensor ${key} has shape [${entry.shape}], config.json implies [${want}]`);
      }
      weights.set(k, tf.tensor(toFloat32(entry), entry.shape, 'float32'));
    }
    const missing = [...shapes.keys()].filter((k) => !weights.has(k));
    if (missing.length) throw new ModelLoadError(`model.safetensors is missing ${missing.length} tensor(s), e.g. ${missing.slice(0, 3).join(', ')}`);
  } catch (e) {
    weights.forEach((t) => t.dispose());
    throw e;
  }
  return weights;
}

export async function loadTokenizer(source: FileSource): Promise<{ tokenizer: HfTokenizer; files: Record<string, Uint8Array> }> {
  const files: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) {
    const b = await source(name);
    if (b) files[name] = b;
  }
  if (!files['tokenizer.json']) throw new ModelLoadError('The model folder has no tokenizer.json (the fast tokenizer file is required)');
  const parse = (name: string) => JSON.parse(new TextDecoder().decode(files[name]));
  const config = files['tokenizer_config.json'] ? parse('tokenizer_config.json') : {};
  return { tokenizer: new HfTokenizer(parse('tokenizer.json'), config), files };
}

/** Loads config, tokenizer and weights. `onProgress` reports the weight download. */
export async function loadGpt2Folder(
  name: string,
  source: FileSource,
  onProgress?: (loaded: number, total: number) => void,
): Promise<LoadedModel> {
  if (await source('pytorch_model.bin')) {
    if (!(await source('model.safetensors'))) {
      throw new ModelLoadError('This model has only pytorch_model.bin. Pickle checkpoints can run code when loaded, so the studio reads safetensors only.');
    }
  }
  const config = parseGpt2Config(await readJson(source, 'config.json', true));
  const { tokenizer, files } = await loadTokenizer(source);
  const bytes = await source('model.safetensors', onProgress);
  if (!bytes) throw new ModelLoadError('The model folder has no model.safetensors');
  const weights = await loadWeights(bytes, config);
  return { name, config, weights, tokenizer, tokenizerFiles: files };
}

/** A FileSource over HTTP (the demo model under /models/<name>/, or any folder URL). */
export function httpSource(baseUrl: string): FileSource {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  return async (name, onProgress) => {
    const res = await fetch(base + name);
    if (res.status === 404) return null;
    if (!res.ok) throw new ModelLoadError(`Could not download ${name}: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length') ?? 0);
    if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      onProgress(loaded, total || loaded);
    }
    const out = new Uint8Array(loaded);
    let pos = 0;
    for (const c of chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  };
}
