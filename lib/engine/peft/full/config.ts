// Full fine-tuning as a method: no settings of its own, every weight trainable. No tfjs here.
import { countParams } from '../../params';
import type { TrainConfig } from '../../types';
import { defineSpec } from '../spec';

export const fullSpec = defineSpec({
  id: 'full' as const,
  label: 'Full fine-tuning',
  help: 'Trains every weight. Slower and heavier; exports the whole model.',
  exports: 'model',
  merges: true,
  folderSuffix: 'finetuned',
  cardTag: 'full-fine-tune',
  memoryProfile: 'full',
  optimizer: { lr: 3e-4, weightDecay: 0.01 },
  fields: {},
  configOf: () => ({}),
  store: (train): TrainConfig => train,
  count: (model) => countParams(model),
});
