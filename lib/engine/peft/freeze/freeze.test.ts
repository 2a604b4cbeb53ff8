// Freeze-tuning as LLaMA-Factory's `freeze`: which weights train (the chosen parts of the last k blocks), gradients of
// a trained weight vs finite differences, and the exported model: frozen weights as loaded, trained ones changed.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../defaults';
import { causalLmLoss } from '../../loss';
import { disposeWeights, forward, initWeights } from '../../model';
import { parseModelConfig } from '../../model-config';
import { tinyRawConfig } from '../../test-checkpoints';
import { expectGradientMatchesFiniteDifferences, randomExamples, tinyConfig, useCpu, values } from '../../test-utils';
import { Trainer } from '../../trainer';
import type { LlamaConfig } from '../../types';
import { freeze, freezeSpec, freezeTrainedKeys } from '.';

beforeAll(useCpu);

const gpt2 = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 8, n_layer: 3 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 3 })) as LlamaConfig;

describe('freeze-tuning', () => {
  it('trains the chosen parts of the last k blocks only; k beyond the depth means every block', () => {
    expect([...freezeTrainedKeys(gpt2, { topLayers: 1, modules: ['attention'] }).keys()]).toEqual(['h.2.attn.c_attn.weight', 'h.2.attn.c_attn.bias', 'h.2.attn.c_proj.weight', 'h.2.attn.c_proj.bias']);
    const llamaKeys = [...freezeTrainedKeys(llama, { topLayers: 2, modules: ['mlp', 'norms'] }).keys()];
    expect(llamaKeys.every((k) => /^model\.layers\.[12]\.(mlp|input_layernorm|post_attention_layernorm)\./.test(k))).toBe(true);
    expect(llamaKeys).toHaveLength(2 * 5);
    const all = freezeTrainedKeys(gpt2, { topLayers: 99, modules: ['attention', 'mlp', 'norms'] });
    expect(all.size).toBe(3 * 12); // every block weight; embeddings and the final norm stay frozen
    expect(() => freezeTrainedKeys(gpt2, { topLayers: 1, modules: ['lm_head'] })).toThrow(/not parts of a block/);
    expect(freezeSpec.schema.parse({})).toEqual({ topLayers: 2, modules: ['attention', 'mlp', 'norms'] });
  });

  it('the gradient of a trained weight matches finite differences; frozen weights are not variables', () => {
    const w = initWeights(llama, 2);
    const train = freezeSpec.withConfig(defaultTrainConfig('freeze'), { topLayers: 1 });
    const state = freeze.create(llama, w, train, 1);
    expect(state.weights.get('model.layers.0.mlp.up_proj.weight')).toBe(w.get('model.layers.0.mlp.up_proj.weight'));
    const v = state.weights.get('model.layers.2.self_attn.v_proj.weight') as tf.Variable;
    expect(state.variables).toContain(v);
    const x = tf.tensor2d([[1, 5, 3, 19, 0, 7]], [1, 6], 'int32');
    const mask = tf.ones([1, 6]) as tf.Tensor2D;
    expectGradientMatchesFiniteDifferences(v, () => causalLmLoss(forward(llama, state.weights, x, {}), x, mask), 1e-2, 3e-2);
    state.dispose();
    disposeWeights(w);
  });

  it('exports a model folder whose frozen weights are as loaded and whose top block changed', async () => {
    const w = initWeights(gpt2, 3);
    const cfg = { ...freezeSpec.withConfig(defaultTrainConfig('freeze'), { topLayers: 1 }), steps: 3, batchSize: 2, seqLen: 6, evalEvery: 0, warmupSteps: 0, lr: 1e-2 };
    const trainer = new Trainer({ config: gpt2, weights: w }, randomExamples(2, 6, 24, 1), [], cfg);
    await trainer.run();
    const out = await trainer.exportWeights('transformer.');
    expect(Array.from(out['transformer.h.0.mlp.c_fc.weight'].data)).toEqual(Array.from(values(w.get('h.0.mlp.c_fc.weight')!)));
    expect(Array.from(out['transformer.wte.weight'].data)).toEqual(Array.from(values(w.get('wte.weight')!)));
    expect(Array.from(out['transformer.h.2.mlp.c_fc.weight'].data)).not.toEqual(Array.from(values(w.get('h.2.mlp.c_fc.weight')!)));
    expect(trainer.trainableParamCount()).toBe(freezeSpec.trainableParams(gpt2, cfg));
    trainer.dispose();
    disposeWeights(w);
  });
});
