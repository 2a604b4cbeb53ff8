// The train config schema the studio's form, the worker and the CLI share keeps every TrainConfig field: a config
// with every optional field set comes back from parsing unchanged (zod drops unknown keys silently). The literal is
// typed Required<TrainConfig>, so a new TrainConfig field fails type checking here until it is added.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { defaultPreferenceConfig } from '../engine/objectives/config';
import type { TrainConfig } from '../engine/types';
import { trainConfigSchema } from './protocol';

describe('trainConfigSchema', () => {
  it('drops no field', () => {
    const full: Required<TrainConfig> = {
      ...defaultTrainConfig('lora'),
      methodConfig: { ia3: { targetModules: ['c_attn'] } },
      dropout: 0.1, checkpointEvery: 5, packing: true, checkpointing: true,
      objective: defaultPreferenceConfig('sigmoid'),
      earlyStop: { patience: 2, minDelta: 0.01 }, replayShare: 0.1,
    };
    const parsed = trainConfigSchema.safeParse(full);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toEqual(full);
  });
});
