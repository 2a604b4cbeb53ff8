// Test helper: writes tiny Hugging Face GPT-2 folders (config, safetensors, a byte-level tokenizer) in memory.
import type { FileSource } from './loader';
import { gpt2ParamShapes } from './params';
import { writeSafetensors } from './safetensors';
import type { Gpt2Config, HostTensor } from './types';

/** GPT-2's byte -> printable-unicode table, so every byte is a token of a byte-level BPE. */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const table: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) table[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return table;
}

/** A byte-level BPE tokenizer.json with the 256 byte tokens, a few merges and <|endoftext|> as the last id. */
export function byteTokenizerJson(merges: [string, string][] = [['t', 'h'], ['th', 'e']]): object {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, i) => (vocab[ch] = i));
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const eos = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = eos;
  return {
    version: '1.0',
    added_tokens: [{ id: eos, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
}

export function tinyConfig(over: Partial<Gpt2Config> = {}): Gpt2Config {
  return { model_type: 'gpt2', vocab_size: 259, n_positions: 16, n_embd: 8, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, eos_token_id: 258, bos_token_id: 258, ...over };
}

/** Deterministic, distinct values for every weight, so a wrong key mapping changes results. */
export function tinyWeights(config: Gpt2Config): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  let k = 1;
  for (const [name, shape] of gpt2ParamShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(k * 0.37 + i * 0.11) * 0.1;
    out[name] = { shape, data };
    k++;
  }
  return out;
}

export interface FolderOptions {
  dtype?: 'F32' | 'F16';
  prefix?: boolean; // `transformer.` keys, as GPT2LMHeadModel.save_pretrained writes
  maskBuffers?: boolean; // old checkpoints hold h.{i}.attn.bias causal masks
  drop?: string; // leave one tensor out
}

export function tinyFolder(config: Gpt2Config, weights: Record<string, HostTensor>, o: FolderOptions = {}): Map<string, Uint8Array> {
  const tensors: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(weights)) if (k !== o.drop) tensors[(o.prefix ? 'transformer.' : '') + k] = t;
  if (o.maskBuffers) {
    for (let i = 0; i < config.n_layer; i++) tensors[`h.${i}.attn.bias`] = { shape: [1, 1, 2, 2], data: Float32Array.from([1, 0, 1, 1]) };
  }
  const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
  return new Map([
    ['config.json', enc(config)],
    ['tokenizer.json', enc(byteTokenizerJson())],
    ['tokenizer_config.json', enc({ eos_token: '<|endoftext|>', bos_token: '<|endoftext|>', tokenizer_class: 'GPT2Tokenizer' })],
    ['model.safetensors', writeSafetensors(tensors, { dtype: o.dtype ?? 'F32', metadata: { format: 'pt' } })],
  ]);
}

export function mapSource(files: Map<string, Uint8Array>): FileSource {
  return async (name) => files.get(name) ?? null;
}
