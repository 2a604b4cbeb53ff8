// Freeze-tuning's settings, as LLaMA-Factory's `finetuning_type: freeze` (freeze_trainable_layers,
// freeze_trainable_modules): full training of the top k blocks, or chosen parts of them; the rest stays frozen.
// Which weights that is, and their count for the planner, come from the config alone. No tfjs here.
import { paramShapes } from '../../params';
import { isGpt2, type ModelConfig } from '../../types';
import type { MethodField } from '../fields';
import { defineSpec, methodConfigSlot } from '../spec';

export interface FreezeConfig {
  topLayers: number;
  modules: string[]; // 'attention', 'mlp', 'norms'
}

/** Block parts by family-neutral name: the key fragments (after `<block prefix>`) of each family's weights. */
const PARTS: Record<string, { gpt2: string[]; llama: string[] }> = {
  attention: { gpt2: ['attn.'], llama: ['self_attn.'] },
  mlp: { gpt2: ['mlp.'], llama: ['mlp.'] },
  norms: { gpt2: ['ln_1.', 'ln_2.'], llama: ['input_layernorm.', 'post_attention_layernorm.'] },
};
const PART_NAMES = Object.keys(PARTS);

const FREEZE_FIELDS = {
  topLayers: {
    kind: 'number', label: 'Trained blocks', flag: 'freeze-top-layers', default: 2, integer: true, min: 1, max: 1024,
    help: 'How many of the last transformer blocks are trained in full (LLaMA-Factory freeze_trainable_layers); the rest stay frozen.',
  },
  modules: {
    kind: 'modules', label: 'Trained parts', flag: 'freeze-modules', default: PART_NAMES, choices: () => ({ all: PART_NAMES, presets: [{ id: 'all', label: 'Whole blocks', modules: PART_NAMES }] }),
    help: 'Which parts of those blocks train: attention, MLP, layer norms (freeze_trainable_modules; all by default).',
  },
} satisfies Record<keyof FreezeConfig, MethodField>;

function layersOf(model: ModelConfig): number {
  return isGpt2(model) ? model.n_layer : model.num_hidden_layers;
}

/** The weight keys freeze-tuning trains, with their shapes: the chosen parts of the last `topLayers` blocks. */
export function freezeTrainedKeys(model: ModelConfig, c: FreezeConfig): Map<string, number[]> {
  const unknown = c.modules.filter((m) => !PARTS[m]);
  if (unknown.length > 0) throw new Error(`Freeze-tuning modules ${JSON.stringify(unknown)} are not parts of a block (use ${PART_NAMES.join(', ')})`);
  const n = layersOf(model);
  const first = Math.max(0, n - c.topLayers);
  const family = isGpt2(model) ? 'gpt2' : 'llama';
  const blockPrefix = isGpt2(model) ? 'h.' : 'model.layers.';
  const fragments = c.modules.flatMap((m) => PARTS[m][family]);
  const out = new Map<string, number[]>();
  for (const [key, shape] of paramShapes(model)) {
    const m = key.startsWith(blockPrefix) ? /^(\d+)\.(.*)$/.exec(key.slice(blockPrefix.length)) : null;
    if (m && Number(m[1]) >= first && fragments.some((f) => m[2].startsWith(f))) out.set(key, shape);
  }
  return out;
}

export function countFreezeParams(model: ModelConfig, c: FreezeConfig): number {
  let n = 0;
  for (const shape of freezeTrainedKeys(model, c).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

export const freezeSpec = defineSpec({
  id: 'freeze' as const,
  label: 'Freeze-tuning',
  help: 'Trains the top blocks in full and freezes the rest: more capacity than an adapter for a fraction of full fine-tuning memory; exports the whole model.',
  exports: 'model',
  merges: true,
  folderSuffix: 'freeze',
  cardTag: 'freeze-tuning',
  memoryProfile: 'lora', // the base stays frozen below the trained blocks; weights count the trained copy
  optimizer: { lr: 3e-4, weightDecay: 0.01 },
  fields: FREEZE_FIELDS,
  ...methodConfigSlot<FreezeConfig>('freeze', FREEZE_FIELDS),
  count: (model, c) => countFreezeParams(model, c),
});
