// Curated Hub models that fit in a browser, with the facts a person needs before a download: size,
// architecture, licence. Sizes are the safetensors weights as published (GPT-2s in F32, the rest in BF16).
// Left out: roneneldan/TinyStories-33M, a GPT-Neo model (local/global attention) the engine does not run.

export type PresetArchitecture = 'gpt2' | 'llama' | 'qwen2';

export interface HubPreset {
  id: string;
  label: string;
  architecture: PresetArchitecture;
  /** Parameters, as the model card states them. */
  params: number;
  licence: string;
  tokenizer: string;
  contextLength: number;
  /** Approximate download in bytes (weights plus tokenizer files). */
  downloadBytes: number;
  instruct: boolean;
}

const GPT2_TOKENIZER = 'GPT-2 byte-level BPE, 50,257 tokens';
const SMOL_TOKENIZER = 'SmolLM byte-level BPE, 49,152 tokens';
const QWEN_TOKENIZER = 'Qwen2 byte-level BPE, 151,665 tokens';
const MB = 1e6;

export const HUB_PRESETS: HubPreset[] = [
  { id: 'distilbert/distilgpt2', label: 'DistilGPT-2', architecture: 'gpt2', params: 82e6, licence: 'apache-2.0', tokenizer: GPT2_TOKENIZER, contextLength: 1024, downloadBytes: 355 * MB, instruct: false },
  { id: 'openai-community/gpt2', label: 'GPT-2 (124M)', architecture: 'gpt2', params: 124e6, licence: 'mit', tokenizer: GPT2_TOKENIZER, contextLength: 1024, downloadBytes: 550 * MB, instruct: false },
  { id: 'openai-community/gpt2-medium', label: 'GPT-2 Medium', architecture: 'gpt2', params: 355e6, licence: 'mit', tokenizer: GPT2_TOKENIZER, contextLength: 1024, downloadBytes: 1522 * MB, instruct: false },
  { id: 'HuggingFaceTB/SmolLM2-135M', label: 'SmolLM2 135M', architecture: 'llama', params: 135e6, licence: 'apache-2.0', tokenizer: SMOL_TOKENIZER, contextLength: 8192, downloadBytes: 273 * MB, instruct: false },
  { id: 'HuggingFaceTB/SmolLM2-135M-Instruct', label: 'SmolLM2 135M Instruct', architecture: 'llama', params: 135e6, licence: 'apache-2.0', tokenizer: SMOL_TOKENIZER, contextLength: 8192, downloadBytes: 273 * MB, instruct: true },
  { id: 'HuggingFaceTB/SmolLM2-360M', label: 'SmolLM2 360M', architecture: 'llama', params: 362e6, licence: 'apache-2.0', tokenizer: SMOL_TOKENIZER, contextLength: 8192, downloadBytes: 728 * MB, instruct: false },
  { id: 'HuggingFaceTB/SmolLM2-360M-Instruct', label: 'SmolLM2 360M Instruct', architecture: 'llama', params: 362e6, licence: 'apache-2.0', tokenizer: SMOL_TOKENIZER, contextLength: 8192, downloadBytes: 728 * MB, instruct: true },
  { id: 'Qwen/Qwen2.5-0.5B', label: 'Qwen2.5 0.5B', architecture: 'qwen2', params: 494e6, licence: 'apache-2.0', tokenizer: QWEN_TOKENIZER, contextLength: 32768, downloadBytes: 995 * MB, instruct: false },
  { id: 'Qwen/Qwen2.5-0.5B-Instruct', label: 'Qwen2.5 0.5B Instruct', architecture: 'qwen2', params: 494e6, licence: 'apache-2.0', tokenizer: QWEN_TOKENIZER, contextLength: 32768, downloadBytes: 995 * MB, instruct: true },
];

/** Architectures this build of the engine trains (the Llama family lands with the Llama engine work). */
export const SUPPORTED_ARCHITECTURES: PresetArchitecture[] = ['gpt2'];

export function findPreset(id: string): HubPreset | undefined {
  return HUB_PRESETS.find((p) => p.id === id || p.id.split('/')[1] === id);
}
