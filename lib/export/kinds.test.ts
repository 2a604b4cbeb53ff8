// What the Export step offers each method comes from the registry's `merges`, and `merges` says what the method
// really does: a whole-model export (merged weights) succeeds for exactly the methods that claim it.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { initWeights } from '../engine/model';
import { peftMethod } from '../engine/peft/methods';
import { METHOD_SPECS } from '../engine/peft/registry';
import { tinyConfig } from '../engine/test-utils';
import { mergedWeights } from './merged';
import { studioExportsFor } from './kinds';

const model = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 32, n_layer: 2 });

describe('export kinds per method', () => {
  it.each(METHOD_SPECS.map((s) => [s.id, s] as const))('%s: merged/GGUF offered iff a merged export works; GGUF LoRA only for LoRA', async (id, spec) => {
    await tf.setBackend('cpu');
    const weights = initWeights(model, 3);
    const state = peftMethod(id).create(model, weights, defaultTrainConfig(id), 5);
    const works = await mergedWeights(weights, state).then(() => true, (e: Error) => {
      expect(e.message).toMatch(/has no merge into the base weights/);
      return false;
    });
    expect(spec.merges).toBe(works);
    const kinds = studioExportsFor(spec).map((e) => e.kind);
    expect(kinds.includes('merged') && kinds.includes('gguf')).toBe(works);
    expect(kinds.includes('gguf-lora')).toBe(id === 'lora');
    state.dispose();
    weights.forEach((t) => t.dispose());
  });

  it('prompt and prefix tuning and bottleneck adapters (id "adapter") have no merge; LoRA, DoRA, IA3, freezing and full do', () => {
    expect(METHOD_SPECS.filter((s) => !s.merges).map((s) => s.id).sort()).toEqual(['adapter', 'prefix', 'prompt']);
  });
});
