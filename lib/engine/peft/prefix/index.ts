// Prefix tuning as PEFT's PREFIX_TUNING: per layer n learned key/value slots (Adapter.prefix), never rotated, that
// every input token attends to; optionally trained through PEFT's reparametrisation MLP (prefix_projection:
// embedding [n, E] -> Linear(E, h) -> tanh -> Linear(h, layers*2*E)). Saved as PEFT saves it: `prompt_embeddings`
// [n, layers*2*E], the projected values, with E = head_dim * kv_heads; row layout (2*layer + kv)*E + head*D + d,
// i.e. PEFT's view [n, layers*2, heads, D] permuted to [layers*2, heads, n, D], even = key, odd = value.
import * as tf from '@tensorflow/tfjs';
import { mulberry32, normalArray, uniformArray } from '../../random';
import type { ModelConfig, WeightMap } from '../../types';
import { hostVariable, readHost } from '../host';
import type { PeftMethod } from '../method';
import { configInt, expectField, modelDims } from '../shapes';
import { unchangedLinear, type PeftFiles, type TrainableState } from '../types';
import { prefixHidden, prefixSpec, prefixTokenDim, type PrefixConfig } from './config';

export { prefixSpec } from './config';

/** The trained tensors: the flat prefix [n, layers*2*E], or the MLP's input rows and weights (torch layouts). */
type PrefixParams = { kind: 'flat'; table: tf.Variable } | { kind: 'mlp'; emb: tf.Variable; w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable };

function paramList(p: PrefixParams): tf.Variable[] {
  return p.kind === 'flat' ? [p.table] : [p.emb, p.w1, p.b1, p.w2, p.b2];
}

/** Columns [from, from + width) of the prefix [n, width], computed through the MLP when there is one. */
function prefixColumns(p: PrefixParams, from: number, width: number): tf.Tensor2D {
  if (p.kind === 'flat') return tf.slice(p.table as tf.Tensor2D, [0, from], [-1, width]);
  const h = tf.tanh(tf.add(tf.matMul(p.emb, p.w1, false, true), p.b1)) as tf.Tensor2D; // [n, hidden]
  const w2 = tf.slice(p.w2, [from, 0], [width, -1]) as tf.Tensor2D; // [width, hidden]
  return tf.add(tf.matMul(h, w2, false, true), tf.slice(p.b2, [from], [width])) as tf.Tensor2D;
}

function trainable(config: PrefixConfig, params: PrefixParams, model: ModelConfig, weights: WeightMap): TrainableState {
  const d = modelDims(model);
  const E = prefixTokenDim(model);
  const n = config.numVirtualTokens;
  const vars = paramList(params);
  // [n, E] columns of one key or value -> [kvHeads, n, D]
  const heads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [n, d.kvHeads, d.headDim]), [1, 0, 2]) as tf.Tensor3D;
  const keyValues = (layer: number) => {
    const kv = prefixColumns(params, 2 * layer * E, 2 * E); // [n, 2E]: key then value
    const [k, v] = tf.split(kv, 2, 1) as tf.Tensor2D[];
    return { k: heads(k), v: heads(v) };
  };
  return {
    variables: vars,
    weights,
    // Every block reads the shared prefix tensors: checkpointing lists them under each block.
    adapter: { linear: unchangedLinear, variablesUnder: (prefix) => (prefix.startsWith(d.blockPrefix) ? vars : []), prefix: { n, keyValues } },
    save: async (baseModel): Promise<PeftFiles> => ({
      config: {
        peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, revision: null, inference_mode: true,
        num_virtual_tokens: n, token_dim: E, num_transformer_submodules: 1, num_attention_heads: d.kvHeads, num_layers: d.layers,
        encoder_hidden_size: prefixHidden(model, config), prefix_projection: config.prefixProjection, modules_to_save: null,
      },
      tensors: { prompt_embeddings: await readHost(tf.tidy(() => prefixColumns(params, 0, d.layers * 2 * E))) },
    }),
    dispose: () => vars.forEach((v) => v.dispose()),
  };
}

/** New prefix: as PEFT, nn.Embedding rows N(0, 1) and nn.Linear's U(+-1/sqrt(fan_in)) weights and biases. */
function createParams(model: ModelConfig, c: PrefixConfig, seed: number): PrefixParams {
  const rng = mulberry32(seed);
  const E = prefixTokenDim(model), n = c.numVirtualTokens, out = modelDims(model).layers * 2 * E;
  if (!c.prefixProjection) return { kind: 'flat', table: hostVariable(normalArray(n * out, 1, rng), [n, out]) };
  const h = prefixHidden(model, c);
  const lin = (o: number, i: number) => hostVariable(uniformArray(o * i, 1 / Math.sqrt(i), rng), o === 1 ? [i] : [o, i]);
  return {
    kind: 'mlp', emb: hostVariable(normalArray(n * E, 1, rng), [n, E]),
    w1: lin(h, E), b1: hostVariable(uniformArray(h, 1 / Math.sqrt(E), rng), [h]),
    w2: lin(out, h), b2: hostVariable(uniformArray(out, 1 / Math.sqrt(h), rng), [out]),
  };
}

export const prefix: PeftMethod<'prefix'> = {
  ...prefixSpec,
  peftTypes: ['PREFIX_TUNING'],
  create: (model, weights, train, seed) => {
    const c = prefixSpec.configOf(train);
    return trainable(c, createParams(model, c, seed), model, weights);
  },
  // A saved prefix is the projected one: it loads (and trains on) as the flat table, as PEFT's inference mode reads it.
  load: (files, model, weights) => {
    const raw = files.config;
    if (raw.peft_type !== 'PREFIX_TUNING') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not PREFIX_TUNING`);
    const n = configInt(raw, 'num_virtual_tokens');
    const d = modelDims(model);
    const E = prefixTokenDim(model);
    expectField(raw, 'token_dim', E, 'key/value width (head_dim * num_key_value_heads)');
    expectField(raw, 'num_layers', d.layers, 'number of layers');
    expectField(raw, 'num_attention_heads', d.kvHeads, 'number of key/value heads');
    if ((raw.num_transformer_submodules ?? 1) !== 1) throw new Error('adapter_config.json: num_transformer_submodules must be 1 for a causal LM');
    const t = files.tensors.prompt_embeddings;
    const want = [n, d.layers * 2 * E];
    if (!t) throw new Error(`adapter_model.safetensors has no prompt_embeddings tensor (it has ${Object.keys(files.tensors).join(', ') || 'none'})`);
    if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) throw new Error(`prompt_embeddings is [${t.shape}] but this model needs [${want}] (num_virtual_tokens, layers*2*token_dim)`);
    const hidden = typeof raw.encoder_hidden_size === 'number' && raw.encoder_hidden_size > 0 ? raw.encoder_hidden_size : 0;
    const config: PrefixConfig = { numVirtualTokens: n, prefixProjection: raw.prefix_projection === true, encoderHiddenSize: hidden === E ? 0 : hidden };
    return trainable(config, { kind: 'flat', table: hostVariable(t.data, t.shape) }, model, weights);
  },
};
