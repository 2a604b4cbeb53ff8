// Prompt tuning as PEFT's PROMPT_TUNING: n soft-prompt rows [n, C] the forward pass puts before the input
// embeddings (Adapter.prompt), initialised from a text's token embeddings or from random vocabulary rows; saved
// as PEFT saves it: adapter_config.json and one tensor `prompt_embeddings` [n, token_dim].
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../random';
import type { ModelConfig, WeightMap } from '../../types';
import { hostVariable, readHost } from '../host';
import type { CreateContext, PeftMethod } from '../method';
import { configInt, expectField, modelDims } from '../shapes';
import { unchangedLinear, type PeftFiles, type TrainableState } from '../types';
import { promptSpec, type PromptConfig } from './config';

export { promptSpec } from './config';

/** Token ids that start the soft prompt: the text's ids repeated and cut to n (as PEFT's TEXT init), or n ids
 * drawn from the vocabulary (PEFT's RANDOM_DISCRETE). */
export function promptInitIds(c: PromptConfig, vocab: number, seed: number, context?: CreateContext): number[] {
  if (c.initText === '') {
    const rng = mulberry32(seed);
    return Array.from({ length: c.numVirtualTokens }, () => Math.floor(rng() * vocab));
  }
  if (!context?.tokenizer) throw new Error('Prompt tuning from an init text needs the model\'s tokenizer');
  const ids = context.tokenizer.encode(c.initText);
  if (ids.length === 0) throw new Error(`The prompt init text ${JSON.stringify(c.initText)} has no tokens`);
  return Array.from({ length: c.numVirtualTokens }, (_, i) => ids[i % ids.length]);
}

interface PromptState {
  config: PromptConfig;
  init: 'TEXT' | 'RANDOM_DISCRETE';
  rows: tf.Variable; // [n, C]
}

function trainable(s: PromptState, model: ModelConfig, weights: WeightMap): TrainableState {
  const d = modelDims(model);
  return {
    variables: [s.rows],
    weights,
    adapter: { linear: unchangedLinear, variablesUnder: () => [], prompt: { n: s.config.numVirtualTokens, embeddings: () => s.rows as tf.Tensor2D } },
    save: async (baseModel): Promise<PeftFiles> => ({
      config: {
        peft_type: 'PROMPT_TUNING', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, revision: null, inference_mode: true,
        num_virtual_tokens: s.config.numVirtualTokens, token_dim: d.hidden, num_transformer_submodules: 1,
        num_attention_heads: d.heads, num_layers: d.layers, modules_to_save: null,
        prompt_tuning_init: s.init, prompt_tuning_init_text: s.init === 'TEXT' ? s.config.initText : null,
        tokenizer_name_or_path: s.init === 'TEXT' ? baseModel : null, tokenizer_kwargs: null,
      },
      tensors: { prompt_embeddings: await readHost(tf.clone(s.rows)) },
    }),
    dispose: () => s.rows.dispose(),
  };
}

export const prompt: PeftMethod<'prompt'> = {
  ...promptSpec,
  peftTypes: ['PROMPT_TUNING'],
  create: (model, weights, train, seed, context) => {
    const c = promptSpec.configOf(train);
    const table = weights.get(modelDims(model).embedKey);
    if (!table) throw new Error(`Model weight ${modelDims(model).embedKey} is missing`);
    const ids = promptInitIds(c, table.shape[0], seed, context);
    const rows = tf.tidy(() => tf.variable(tf.gather(table, tf.tensor1d(ids, 'int32')), true));
    return trainable({ config: c, init: c.initText === '' ? 'RANDOM_DISCRETE' : 'TEXT', rows }, model, weights);
  },
  load: (files, model, weights) => {
    const raw = files.config;
    if (raw.peft_type !== 'PROMPT_TUNING') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not PROMPT_TUNING`);
    const n = configInt(raw, 'num_virtual_tokens');
    const d = modelDims(model);
    expectField(raw, 'token_dim', d.hidden, 'hidden size');
    if ((raw.num_transformer_submodules ?? 1) !== 1) throw new Error('adapter_config.json: num_transformer_submodules must be 1 for a causal LM');
    const t = files.tensors.prompt_embeddings;
    if (!t) throw new Error(`adapter_model.safetensors has no prompt_embeddings tensor (it has ${Object.keys(files.tensors).join(', ') || 'none'})`);
    if (t.shape.length !== 2 || t.shape[0] !== n || t.shape[1] !== d.hidden) {
      throw new Error(`prompt_embeddings is [${t.shape}] but num_virtual_tokens ${n} and the model's hidden size ${d.hidden} need [${n}, ${d.hidden}]`);
    }
    const initText = raw.prompt_tuning_init === 'TEXT' && typeof raw.prompt_tuning_init_text === 'string' ? raw.prompt_tuning_init_text : '';
    const init = initText ? 'TEXT' : 'RANDOM_DISCRETE';
    return trainable({ config: { numVirtualTokens: n, initText }, init, rows: hostVariable(t.data, t.shape) }, model, weights);
  },
};
