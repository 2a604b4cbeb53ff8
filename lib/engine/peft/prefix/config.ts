// Prefix tuning's settings as PEFT's PrefixTuningConfig (num_virtual_tokens, prefix_projection,
// encoder_hidden_size): declared once with defaults and help, counted for the memory planner. No tfjs here.
import type { ModelConfig } from '../../types';
import { defineSpec, methodConfigSlot } from '../spec';
import type { MethodField } from '../fields';
import { modelDims } from '../shapes';

export interface PrefixConfig {
  numVirtualTokens: number;
  prefixProjection: boolean;
  encoderHiddenSize: number; // 0 = token_dim
}

export const PREFIX_FIELDS = {
  numVirtualTokens: {
    kind: 'number', label: 'Prefix length', flag: 'num-virtual-tokens', default: 16, integer: true, min: 1, max: 512,
    help: 'Learned key/value slots every layer attends to before the input; each takes one position.',
  },
  prefixProjection: {
    kind: 'boolean', label: 'Reparametrise', flag: 'prefix-projection', default: true,
    help: 'Train the prefix through a two-layer MLP (far steadier; more parameters while training only); saved projected.',
  },
  encoderHiddenSize: {
    kind: 'number', label: 'MLP width', flag: 'prefix-encoder-hidden-size', default: 0, integer: true, min: 0, max: 65536,
    help: 'Hidden size of the reparametrisation MLP; 0 uses the key/value width.',
  },
} satisfies Record<keyof PrefixConfig, MethodField>;

/** PEFT's token_dim for prefix tuning: the key/value width (head_dim * num_key_value_heads for GQA models). */
export function prefixTokenDim(model: ModelConfig): number {
  const d = modelDims(model);
  return d.headDim * d.kvHeads;
}

export function prefixHidden(model: ModelConfig, c: PrefixConfig): number {
  return c.encoderHiddenSize > 0 ? c.encoderHiddenSize : prefixTokenDim(model);
}

export const prefixSpec = defineSpec({
  id: 'prefix' as const,
  label: 'Prefix tuning',
  help: 'Learns key/value prefixes for every layer, the base stays frozen: tiny files, no change to the weights; below LoRA in quality, costs context positions.',
  exports: 'adapter',
  merges: false,
  folderSuffix: 'prefix-tuning',
  cardTag: 'prefix-tuning',
  memoryProfile: 'lora',
  optimizer: { lr: 1e-2, weightDecay: 0 },
  fields: PREFIX_FIELDS,
  ...methodConfigSlot<PrefixConfig>('prefix', PREFIX_FIELDS),
  count: (model, c) => {
    const n = c.numVirtualTokens, E = prefixTokenDim(model), out = modelDims(model).layers * 2 * E;
    if (!c.prefixProjection) return n * out;
    const h = prefixHidden(model, c);
    return n * E + (E * h + h) + (h * out + out);
  },
  // The reparametrisation MLP's activations ([n, h] and [n, layers * 2E], a few of each kept) do not grow with the batch.
  shape: (model, c) => {
    const out = modelDims(model).layers * 2 * prefixTokenDim(model);
    const fixedFloats = c.prefixProjection ? 3 * c.numVirtualTokens * (prefixHidden(model, c) + out) : c.numVirtualTokens * out;
    return { kind: 'none', modules: [], virtualKeys: c.numVirtualTokens, fixedFloats };
  },
});
