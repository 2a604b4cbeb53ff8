// Bottleneck adapters' settings (Houlsby: one adapter after attention and one after the MLP of every block): the
// bottleneck size, declared once with default and help, counted for the memory planner. No tfjs here.
import { defineSpec, methodConfigSlot } from '../spec';
import type { MethodField } from '../fields';
import { modelDims } from '../shapes';

export interface BottleneckConfig {
  adapterSize: number; // the bottleneck width (the adapters library's hidden_size / reduction_factor)
}

export const BOTTLENECK_FIELDS = {
  adapterSize: {
    kind: 'number', label: 'Bottleneck size', flag: 'adapter-size', default: 16, integer: true, min: 1, max: 4096,
    help: 'Width of each adapter\'s down-projection; larger learns more, costs more.',
  },
} satisfies Record<keyof BottleneckConfig, MethodField>;

/** Adapters per block: after attention ('attention_adapters') and after the MLP ('output_adapters'). */
export const BOTTLENECK_SITES = [['attn', 'attention_adapters'], ['mlp', 'output_adapters']] as const;

export const bottleneckSpec = defineSpec({
  id: 'adapter' as const,
  label: 'Bottleneck adapters',
  help: 'Adds small down-up MLPs after attention and after the MLP of every block: LoRA-like memory, no merge, a little slower at inference.',
  exports: 'adapter',
  merges: false,
  notPeft: 'PEFT has no bottleneck adapters: the files follow the layout in the WebTune Studio README ("Bottleneck adapter files"), modelled on the `adapters` library; `cli generate --adapter` and the studio load them.',
  folderSuffix: 'bottleneck-adapter',
  cardTag: 'bottleneck-adapter',
  memoryProfile: 'lora',
  optimizer: { lr: 2e-3, weightDecay: 0 },
  fields: BOTTLENECK_FIELDS,
  ...methodConfigSlot<BottleneckConfig>('adapter', BOTTLENECK_FIELDS),
  // Per adapter: down [a, C] + [a], up [C, a] + [C].
  count: (model, c) => {
    const { hidden: C, layers } = modelDims(model);
    return layers * BOTTLENECK_SITES.length * (2 * C * c.adapterSize + c.adapterSize + C);
  },
  shape: (_model, c) => ({ kind: 'bottleneck', modules: [], bottleneck: { size: c.adapterSize, sites: BOTTLENECK_SITES.length } }),
});
