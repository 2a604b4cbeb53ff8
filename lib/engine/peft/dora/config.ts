// DoRA's settings (PEFT LoraConfig with use_dora: true): LoRA's own fields and flags (--lora-r, --lora-targets, ...),
// kept in TrainConfig.lora as LoRA's are, so switching between the two keeps them. No tfjs here.
import { adaptedModules, countLoraParams, planModules } from '../../params';
import type { LoraConfig, ModelConfig } from '../../types';
import { fieldFlag, type MethodField } from '../fields';
import { LORA_FIELDS, storeLora } from '../lora/config';
import { defineSpec } from '../spec';

/** LoRA's fields under LoRA's flag names, so `--method dora --lora-r 16` reads as PEFT's LoraConfig(use_dora=True). */
const DORA_FIELDS = Object.fromEntries(
  Object.entries(LORA_FIELDS as Record<string, MethodField>).map(([k, f]) => [k, { ...f, flag: fieldFlag('lora', k, f) }]),
) as Record<keyof LoraConfig, MethodField>;

/** LoRA's factors plus one magnitude per output feature of every adapted module. */
export function countDoraParams(model: ModelConfig, c: LoraConfig): number {
  let magnitudes = 0;
  for (const { fanOut } of adaptedModules(model, c).values()) magnitudes += fanOut;
  return countLoraParams(model, c) + magnitudes;
}

export const doraSpec = defineSpec({
  id: 'dora' as const,
  label: 'DoRA',
  help: 'LoRA split into direction and a learned magnitude per output; often closer to full fine-tuning than LoRA at the same rank; about 2x slower per step.',
  exports: 'adapter',
  needsFloatBase: "it normalises each adapted weight's columns on every step",
  merges: true,
  folderSuffix: 'dora',
  cardTag: 'dora',
  memoryProfile: 'lora',
  optimizer: { lr: 2e-3, weightDecay: 0 },
  fields: DORA_FIELDS,
  configOf: (train) => train.lora,
  store: storeLora,
  count: (model, c) => countDoraParams(model, c),
  shape: (model, c) => ({ kind: 'dora', modules: planModules(adaptedModules(model, c)) }),
});
