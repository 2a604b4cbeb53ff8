// Prompt tuning's settings as PEFT's PromptTuningConfig (num_virtual_tokens, prompt_tuning_init,
// prompt_tuning_init_text): declared once with defaults and help, counted for the memory planner. No tfjs here.
import { defineSpec, methodConfigSlot } from '../spec';
import type { MethodField } from '../fields';
import { modelDims } from '../shapes';

export interface PromptConfig {
  numVirtualTokens: number;
  initText: string; // '' = rows of randomly drawn vocabulary embeddings
}

export const PROMPT_FIELDS = {
  numVirtualTokens: {
    kind: 'number', label: 'Virtual tokens', flag: 'num-virtual-tokens', default: 16, integer: true, min: 1, max: 512,
    help: 'Soft-prompt vectors put before every input; each takes one position of the context.',
  },
  initText: {
    kind: 'text', label: 'Init text', flag: 'prompt-init-text', default: '', maxLength: 2000,
    help: 'Start the soft prompt from the embeddings of this text (repeated to fill); empty: random vocabulary rows.',
  },
} satisfies Record<keyof PromptConfig, MethodField>;

export const promptSpec = defineSpec({
  id: 'prompt' as const,
  label: 'Prompt tuning',
  help: 'Learns only a soft prompt of a few embeddings: the fewest parameters and tiny files; weaker than LoRA on small models, costs context positions.',
  exports: 'adapter',
  merges: false,
  folderSuffix: 'prompt-tuning',
  cardTag: 'prompt-tuning',
  memoryProfile: 'lora',
  optimizer: { lr: 3e-2, weightDecay: 0 }, // PEFT's prompt-tuning examples use 3e-2
  fields: PROMPT_FIELDS,
  ...methodConfigSlot<PromptConfig>('prompt', PROMPT_FIELDS),
  count: (model, c) => c.numVirtualTokens * modelDims(model).hidden,
  shape: (_model, c) => ({ kind: 'none', modules: [], virtualInputs: c.numVirtualTokens }),
});
