// Prompt tuning, prefix tuning (with and without its reparametrisation MLP) and bottleneck adapters on GPT-2 and a
// GQA Llama: their files have PEFT's keys, shapes and config fields (bottleneck: the README's layout); a fresh
// bottleneck adapter is exactly the base model; gradients match finite differences and equal their checkpointed
// values; the trainer's loss falls; the text init reads the tokenizer's ids as PEFT does.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalLmLoss } from '../loss';
import { disposeWeights, forward, type ForwardOptions } from '../model';
import { parseModelConfig } from '../model-config';
import { mulberry32, normalArray } from '../random';
import { tinyCheckpointWeights, tinyRawConfig } from '../test-checkpoints';
import { Trainer } from '../trainer';
import { expectGradientMatchesFiniteDifferences, noisyWeights, randomExamples, relErr, tinyConfig, tinyTrainConfig, useCpu, values } from '../test-utils';
import type { ModelConfig, TrainConfig, WeightMap } from '../types';
import { peftMethod } from './methods';
import { promptInitIds } from './prompt';
import { modelDims } from './shapes';
import type { TrainableState } from './types';

beforeAll(useCpu);

const V = 40;
const gpt2 = tinyConfig({ vocab_size: V, n_positions: 64, n_layer: 2, n_embd: 16, n_head: 2 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: V, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24 })) as ModelConfig; // 4 heads, 2 KV, D 4
const FAMILIES: [string, ModelConfig, () => WeightMap][] = [
  ['gpt2', gpt2, () => noisyWeights(gpt2, 3, 0.3)],
  ['llama (GQA)', llama, () => new Map(Object.entries(tinyCheckpointWeights(llama, 4)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]))],
];
/** Each case: method id and its settings. */
const CASES: [string, Record<string, unknown>][] = [
  ['prompt', { numVirtualTokens: 3 }], ['prefix', { numVirtualTokens: 3, prefixProjection: false }], ['prefix', { numVirtualTokens: 2, prefixProjection: true, encoderHiddenSize: 5 }], ['adapter', { adapterSize: 3 }],
];

const train = (id: string, c: Record<string, unknown>, over: Partial<TrainConfig> = {}): TrainConfig => tinyTrainConfig({ method: id as TrainConfig['method'], methodConfig: { [id]: c }, ...over });
const B = 2, T = 6;
const idsData = [1, 5, 3, 19, 0, 7, 2, 2, 2, 11, 4, 6];
const batch = () => tf.tensor2d(idsData, [B, T], 'int32');

function randomize(state: TrainableState, seed: number, std = 0.3): void {
  const rng = mulberry32(seed);
  for (const v of state.variables) v.assign(tf.tensor(normalArray(v.size, std, rng), v.shape));
}

function lossOf(c: ModelConfig, w: WeightMap, opts: ForwardOptions): tf.Scalar {
  return tf.tidy(() => {
    const ids = batch();
    return causalLmLoss(forward(c, w, ids, opts), ids, tf.ones([B, T]) as tf.Tensor2D);
  });
}

describe.each(FAMILIES)('%s', (_, c, makeWeights) => {
  const d = modelDims(c);

  it('prompt tuning saves PEFT PROMPT_TUNING: prompt_embeddings [n, token_dim] and its config fields', async () => {
    const w = makeWeights();
    const tokenizer = { encode: (t: string) => [...t].map((ch) => ch.charCodeAt(0) % V) };
    const state = peftMethod('prompt').create(c, w, train('prompt', { numVirtualTokens: 5, initText: 'abc' }), 1, { tokenizer });
    const files = await state.save!('org/base');
    expect(Object.keys(files.tensors)).toEqual(['prompt_embeddings']);
    expect(files.tensors.prompt_embeddings.shape).toEqual([5, d.hidden]);
    expect(files.config).toMatchObject({
      peft_type: 'PROMPT_TUNING', task_type: 'CAUSAL_LM', base_model_name_or_path: 'org/base', inference_mode: true, num_virtual_tokens: 5,
      token_dim: d.hidden, num_transformer_submodules: 1, num_attention_heads: d.heads, num_layers: d.layers,
      prompt_tuning_init: 'TEXT', prompt_tuning_init_text: 'abc', tokenizer_name_or_path: 'org/base',
    });
    // TEXT init: the text's ids repeated to n (a b c a b), each row that token's embedding.
    const want = values(tf.tidy(() => tf.gather(w.get(d.embedKey)!, tf.tensor1d([97, 98, 99, 97, 98].map((x) => x % V), 'int32'))));
    expect(Array.from(files.tensors.prompt_embeddings.data)).toEqual(Array.from(want));
    state.dispose();
    disposeWeights(w);
  });

  it('prefix tuning saves PEFT PREFIX_TUNING with the KV heads: [n, layers*2*head_dim*kv_heads], projected when reparametrised', async () => {
    const w = makeWeights();
    const E = d.headDim * d.kvHeads;
    for (const projection of [false, true]) {
      const state = peftMethod('prefix').create(c, w, train('prefix', { numVirtualTokens: 4, prefixProjection: projection, encoderHiddenSize: 7 }), 1);
      randomize(state, 5);
      const files = await state.save!('org/base');
      expect(Object.keys(files.tensors)).toEqual(['prompt_embeddings']);
      expect(files.tensors.prompt_embeddings.shape).toEqual([4, d.layers * 2 * E]);
      expect(files.config).toMatchObject({
        peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', inference_mode: true, num_virtual_tokens: 4, token_dim: E,
        num_transformer_submodules: 1, num_attention_heads: d.kvHeads, num_layers: d.layers, encoder_hidden_size: 7, prefix_projection: projection,
      });
      // What the file holds is what the model attends to: the loaded (flat) prefix gives the same logits.
      const tuned = values(tf.tidy(() => forward(c, w, batch(), { adapter: state.adapter })));
      const loaded = peftMethod('prefix').load!(files, c, w);
      expect(relErr(values(tf.tidy(() => forward(c, w, batch(), { adapter: loaded.adapter }))), tuned)).toBeLessThan(1e-5);
      expect(state.variables.reduce((s, v) => s + v.size, 0)).toBe(projection ? 4 * E + (E * 7 + 7) + (7 * d.layers * 2 * E + d.layers * 2 * E) : 4 * d.layers * 2 * E);
      [state, loaded].forEach((s) => s.dispose());
    }
    disposeWeights(w);
  });

  it('bottleneck adapters: up = 0 gives exactly the base logits; files follow the documented layout', async () => {
    const w = makeWeights();
    const state = peftMethod('adapter').create(c, w, train('adapter', { adapterSize: 3 }), 1);
    const base = values(tf.tidy(() => forward(c, w, batch())));
    expect(values(tf.tidy(() => forward(c, w, batch(), { adapter: state.adapter })))).toEqual(base);
    const files = await state.save!('org/base');
    const block = `${d.peftRoot}${d.blockPrefix}1`;
    expect(files.tensors[`${block}.attention_adapters.adapters.default.adapter_down.0.weight`].shape).toEqual([3, d.hidden]);
    expect(files.tensors[`${block}.attention_adapters.adapters.default.adapter_down.0.bias`].shape).toEqual([3]);
    expect(files.tensors[`${block}.output_adapters.adapters.default.adapter_up.weight`].shape).toEqual([d.hidden, 3]);
    expect(files.tensors[`${block}.output_adapters.adapters.default.adapter_up.bias`].shape).toEqual([d.hidden]);
    expect(Object.keys(files.tensors)).toHaveLength(d.layers * 2 * 4);
    expect(files.config).toMatchObject({ peft_type: 'BOTTLENECK', task_type: 'CAUSAL_LM', adapter_size: 3, hidden_size: d.hidden, non_linearity: 'swish', mh_adapter: true, output_adapter: true });
    state.dispose();
    disposeWeights(w);
  });

  it.each(CASES)('%s %j: gradients match finite differences', (id, mc) => {
    const w = makeWeights();
    const state = peftMethod(id).create(c, w, train(id, mc), 2);
    randomize(state, 6, 0.5);
    for (const v of state.variables) expectGradientMatchesFiniteDifferences(v, () => lossOf(c, w, { adapter: state.adapter }), 1e-2, 3e-2);
    state.dispose();
    disposeWeights(w);
  });

  it.each(CASES)('%s %j: checkpointed gradients equal the plain ones, with model dropout', (id, mc) => {
    const w = makeWeights();
    const state = peftMethod(id).create(c, w, train(id, mc), 2);
    randomize(state, 7);
    const grads = (checkpointing: boolean) => {
      const { value, grads: g } = tf.variableGrads(() => lossOf(c, w, { adapter: state.adapter, training: true, dropout: 0.1, seed: 3, checkpointing }), state.variables);
      const out = { loss: values(value)[0], g: state.variables.map((v) => Float32Array.from(values(g[v.name]))) };
      tf.dispose([value, ...Object.values(g)]);
      return out;
    };
    const plain = grads(false);
    const ck = grads(true);
    expect(Math.abs(ck.loss - plain.loss)).toBeLessThan(1e-6 * Math.abs(plain.loss));
    plain.g.forEach((g, i) => {
      expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(0);
      expect(relErr(ck.g[i], g)).toBeLessThan(1e-5);
    });
    state.dispose();
    disposeWeights(w);
  });

  it.each(CASES)('%s %j: the trainer lowers the loss on a small fixture (packed rows too)', async (id, mc) => {
    for (const packing of [false, true]) {
      const w = makeWeights();
      // One memorisable sequence (random ids in [1, V)), four times: a few soft-prompt rows can already fit it.
      const [seq] = randomExamples(1, 8, V, 12);
      const data = [seq, seq, seq, seq];
      const trainer = new Trainer({ config: c, weights: w }, data, [], train(id, mc, { steps: 25, batchSize: 4, seqLen: 16, packing, lr: id === 'adapter' ? 1e-2 : 5e-2 }));
      const r = await trainer.run();
      expect(r.lastLoss, `packing ${packing}`).toBeLessThan(0.8 * r.firstLoss);
      trainer.dispose();
      disposeWeights(w);
    }
  });
});

describe('prompt init ids', () => {
  it('repeats or cuts the text to n (PEFT TEXT); draws vocabulary ids without text; refuses text without a tokenizer', () => {
    const tokenizer = { encode: () => [4, 5] };
    expect(promptInitIds({ numVirtualTokens: 5, initText: 'x' }, 10, 1, { tokenizer })).toEqual([4, 5, 4, 5, 4]);
    expect(promptInitIds({ numVirtualTokens: 1, initText: 'x' }, 10, 1, { tokenizer })).toEqual([4]);
    const random = promptInitIds({ numVirtualTokens: 50, initText: '' }, 10, 1);
    expect(random.every((i) => Number.isInteger(i) && i >= 0 && i < 10)).toBe(true);
    expect(new Set(random).size).toBeGreaterThan(5);
    expect(() => promptInitIds({ numVirtualTokens: 2, initText: 'x' }, 10, 1)).toThrow(/needs the model's tokenizer/);
  });
});

describe('loading refuses adapters made for another model', () => {
  it('names the field that disagrees', () => {
    const w = noisyWeights(gpt2, 1, 0.1);
    const flat = (n: number, m: number) => ({ shape: [n, m], data: new Float32Array(n * m) });
    expect(() => peftMethod('prompt').load!({ config: { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 2, token_dim: 99 }, tensors: { prompt_embeddings: flat(2, 99) } }, gpt2, w)).toThrow(/token_dim is 99 but this model's hidden size is 16/);
    expect(() => peftMethod('prefix').load!({ config: { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 2, token_dim: 16 }, tensors: { prompt_embeddings: flat(2, 10) } }, gpt2, w)).toThrow(/prompt_embeddings is \[2,10\] but this model needs \[2,64\]/);
    expect(() => peftMethod('adapter').load!({ config: { peft_type: 'BOTTLENECK', adapter_size: 3 }, tensors: { 'transformer.h.9.x': flat(1, 1) } }, gpt2, w)).toThrow(/Unexpected tensor in bottleneck adapter: transformer.h.9.x/);
    disposeWeights(w);
  });
});
