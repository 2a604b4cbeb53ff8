// GGUF files for llama.cpp, Ollama and LM Studio: a merged model (weights, metadata, tokenizer) or a LoRA adapter.
import { isGpt2, type HostTensor, type ModelConfig } from '../../engine/types';
import { addModelMetadata, addModelTensors, ggufUnsupported, type GgufDtype } from './model';
import { addTokenizerMetadata } from './tokenizer';
import { GgufWriter } from './writer';

export { loraGguf } from './lora';
export type { GgufDtype } from './model';

export interface GgufModelInput {
  name: string;
  config: ModelConfig;
  /** Every weight under our keys (no `transformer.` prefix), adapter already merged. */
  weights: Record<string, HostTensor>;
  tokenizerFiles: Record<string, Uint8Array>;
}

const parse = (files: Record<string, Uint8Array>, name: string): Record<string, unknown> => {
  const b = files[name];
  if (!b) return {};
  return JSON.parse(new TextDecoder().decode(b));
};

/** The whole model as one GGUF file of `dtype` (2-D weights; norms, biases and position tables stay F32). */
export function modelGguf(m: GgufModelInput, dtype: GgufDtype): Uint8Array {
  const why = ggufUnsupported(m.config);
  if (why) throw new Error(`GGUF export: ${why}`);
  if (!m.tokenizerFiles['tokenizer.json']) throw new Error('GGUF export needs the model folder\'s tokenizer.json');
  const w = new GgufWriter();
  addModelMetadata(w, m.config, { name: m.name, dtype });
  addTokenizerMetadata(w, {
    tokenizerJson: parse(m.tokenizerFiles, 'tokenizer.json'),
    tokenizerConfig: parse(m.tokenizerFiles, 'tokenizer_config.json'),
    vocabSize: m.config.vocab_size,
    bosId: m.config.bos_token_id,
    eosId: m.config.eos_token_id,
  });
  addModelTensors(w, m.config, m.weights, dtype);
  return w.toBytes();
}

/** The file name llama.cpp's converter would suggest: <name>-<DTYPE>.gguf. */
export function ggufFileName(name: string, dtype: GgufDtype, adapter = false): string {
  return `${name}${adapter && !name.endsWith('-lora') ? '-lora' : ''}-${dtype.toUpperCase()}.gguf`;
}

export const ggufFamily = (c: ModelConfig) => (isGpt2(c) ? 'GPT-2' : 'Llama');
