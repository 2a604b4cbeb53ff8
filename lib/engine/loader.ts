// Loads a Hugging Face model folder (config.json, model.safetensors or a sharded index, tokenizer files) of any
// supported family from any file source: fetch in the browser, the file system in Node. Weights become float32, or
// the block linears are packed straight from the file's bytes (f16 / int8, packed-weights.ts), never held as float32.
import * as tf from '@tensorflow/tfjs';
import { ModelLoadError, parseModelConfig } from './model-config';
import { parseJsonFile } from './model-load-error';
import { disposePacked, packedFromHost, packHost, type PackedFormat, type PackedWeight } from './packed-weights';
import { fanInFanOut, linearModules, paramShapes } from './params';
import { readSafetensors, toFloat32 } from './safetensors';
import { HfTokenizer } from './tokenizer';
import { isGpt2, type ModelConfig, type WeightMap } from './types';

export { ModelLoadError, parseModelConfig, parseGpt2Config, SUPPORTED_MODEL_TYPES } from './model-config';

/** Returns a file's bytes, or null when the folder has no such file. */
export type FileSource = (name: string, onProgress?: (loaded: number, total: number) => void) => Promise<Uint8Array | null>;

export interface LoadedModel {
  name: string;
  config: ModelConfig;
  weights: WeightMap;
  tokenizer: HfTokenizer;
  /** Raw tokenizer files, copied into exported model folders unchanged. */
  tokenizerFiles: Record<string, Uint8Array>;
  /** Loaded with packed frozen weights: the block linears by module path ('h.0.attn.c_attn'), absent from `weights`
   * (embeddings, norms, biases and the head stay float32). Adapter methods that read the base only through the
   * linear product can train on them (methodOnPacked). */
  packed?: Map<string, PackedWeight>;
  /** The format of `packed` (present with it). */
  packedFormat?: PackedFormat;
}

/** How the block linears are kept once loaded: float32 as read, or packed (half or a quarter of the bytes). */
export type BaseWeights = 'f32' | PackedFormat;

/** The loaded folder's tokenizer_config.json (chat template, special tokens); {} when it has none. */
export function tokenizerConfigOf(model: Pick<LoadedModel, 'tokenizerFiles'>): Record<string, unknown> {
  const raw = model.tokenizerFiles['tokenizer_config.json'];
  return raw ? parseJsonFile(new TextDecoder().decode(raw), 'tokenizer_config.json') : {};
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
  return parseJsonFile(new TextDecoder().decode(bytes), name);
}

/** Maps a checkpoint key to ours, or null to skip it (buffers, a tied head, keys of no known family). */
export function weightKey(config: ModelConfig, key: string): string | null {
  if (isGpt2(config)) {
    const k = key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) return null; // causal mask buffers
    if (k === 'lm_head.weight') return null; // GPT-2 ties lm_head to wte
    return k;
  }
  if (key.endsWith('.rotary_emb.inv_freq')) return null; // a buffer older checkpoints saved
  if (key === 'lm_head.weight') return config.tie_word_embeddings ? null : key;
  return key.startsWith('model.') ? key : `model.${key}`; // LlamaModel (no head) saves without `model.`
}

/** Where packed linears go while loading: the format, the module paths to pack, and the map they fill. */
interface PackInto {
  format: PackedFormat;
  modules: Set<string>;
  out: Map<string, PackedWeight>;
}

/** Adds the tensors of one safetensors file to `out` (or packs the block linears into `pack.out`), checking shapes
 * against the config. */
function addTensors(bytes: Uint8Array, file: string, config: ModelConfig, shapes: Map<string, number[]>, out: WeightMap, pack?: PackInto): void {
  for (const [key, entry] of readSafetensors(bytes).tensors) {
    const k = weightKey(config, key);
    const want = k === null ? undefined : shapes.get(k);
    if (k === null || !want) continue; // unknown extras are ignored, as transformers does with a warning
    if (want.join(',') !== entry.shape.join(',')) {
      throw new ModelLoadError(`${key} has shape [${entry.shape}], config.json implies [${want}] (in ${file})`);
    }
    const path = k.slice(0, -'.weight'.length);
    if (pack && k.endsWith('.weight') && pack.modules.has(path)) {
      const [rows, cols] = entry.shape;
      let host;
      try {
        host = packHost(toFloat32(entry), rows, cols, pack.format, fanInFanOut(config) ? 'in-out' : 'out-in');
      } catch (e) {
        throw new ModelLoadError(`${key} cannot be stored as ${pack.format} (in ${file}): ${e instanceof Error ? e.message : String(e)}; load the model in float32`);
      }
      pack.out.set(path, packedFromHost(host));
    } else {
      out.set(k, tf.tensor(toFloat32(entry), entry.shape, 'float32'));
    }
  }
}

/** Reads every weight from the given safetensors files (one, or a sharded checkpoint's shards) one file at a time.
 * With `pack`, the block linears go packed into `pack.out` instead of the returned map. */
export async function loadWeights(files: string[], read: (file: string) => Promise<Uint8Array>, config: ModelConfig, pack?: PackInto): Promise<WeightMap> {
  const shapes = paramShapes(config);
  const weights: WeightMap = new Map();
  try {
    for (const file of files) addTensors(await read(file), file, config, shapes, weights, pack);
    const missing = [...shapes.keys()].filter((k) => !weights.has(k) && !pack?.out.has(k.slice(0, -'.weight'.length)));
    if (missing.length) throw new ModelLoadError(`The checkpoint is missing ${missing.length} tensor(s), e.g. ${missing.slice(0, 3).join(', ')}`);
  } catch (e) {
    weights.forEach((t) => t.dispose());
    pack?.out.forEach(disposePacked);
    throw e;
  }
  return weights;
}

/** The weight files: model.safetensors, or the shards a model.safetensors.index.json weight_map names. */
export async function weightFiles(source: FileSource): Promise<string[]> {
  const index = await readJson(source, 'model.safetensors.index.json', false);
  if (!index) return ['model.safetensors'];
  const map = index.weight_map as Record<string, unknown> | undefined;
  if (!map || typeof map !== 'object') throw new ModelLoadError('model.safetensors.index.json has no weight_map');
  const files = [...new Set(Object.values(map).map(String))];
  for (const f of files) if (!/^[\w.-]+\.safetensors$/.test(f)) throw new ModelLoadError(`model.safetensors.index.json names an unexpected file "${f}"`);
  return files;
}

export async function loadTokenizer(source: FileSource): Promise<{ tokenizer: HfTokenizer; files: Record<string, Uint8Array> }> {
  const files: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) {
    const b = await source(name);
    if (b) files[name] = b;
  }
  if (!files['tokenizer.json']) throw new ModelLoadError('The model folder has no tokenizer.json (the fast tokenizer file is required)');
  const parse = (name: string) => parseJsonFile(new TextDecoder().decode(files[name]), name);
  const config = files['tokenizer_config.json'] ? parse('tokenizer_config.json') : {};
  return { tokenizer: new HfTokenizer(parse('tokenizer.json'), config), files };
}

/** The folder's config.json, checked (the weights are not read). */
export async function readModelConfig(source: FileSource): Promise<ModelConfig> {
  return parseModelConfig(await readJson(source, 'config.json', true));
}

/** Loads config, tokenizer and weights of any supported family. `onProgress` reports the weight download;
 * `baseWeights` f16 / int8 packs the block linears as they are read. */
export async function loadModelFolder(name: string, source: FileSource, onProgress?: (loaded: number, total: number) => void, baseWeights: BaseWeights = 'f32'): Promise<LoadedModel> {
  const config = await readModelConfig(source);
  const files = await weightFiles(source);
  const first = await source(files[0], progress(0, files.length, onProgress));
  if (!first) {
    if (await source('pytorch_model.bin')) {
      throw new ModelLoadError('This model has only pytorch_model.bin. Pickle checkpoints can run code when loaded, so the studio reads safetensors only.');
    }
    throw new ModelLoadError(`The model folder has no ${files[0]}`);
  }
  const { tokenizer, files: tokenizerFiles } = await loadTokenizer(source);
  const read = async (file: string) => {
    const i = files.indexOf(file);
    const bytes = i === 0 ? first : await source(file, progress(i, files.length, onProgress));
    if (!bytes) throw new ModelLoadError(`The model folder has no ${file} (named in model.safetensors.index.json)`);
    return bytes;
  };
  const pack = baseWeights === 'f32' ? undefined : { format: baseWeights, modules: new Set(linearModules(config).keys()), out: new Map<string, PackedWeight>() };
  const weights = await loadWeights(files, read, config, pack);
  return { name, config, weights, tokenizer, tokenizerFiles, ...(pack ? { packed: pack.out, packedFormat: pack.format } : {}) };
}

/** Progress over n shards: shard i's own fraction, scaled into [i/n, (i+1)/n] of one. */
function progress(i: number, n: number, onProgress?: (loaded: number, total: number) => void) {
  if (!onProgress) return undefined;
  return (loaded: number, total: number) => onProgress(i * total + loaded, n * total);
}

/** Kept for existing callers: loads any supported family, GPT-2 included. */
export const loadGpt2Folder = loadModelFolder;

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
