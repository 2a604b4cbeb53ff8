// A trained reward model as a transformers-loadable folder: *ForSequenceClassification with num_labels 1 and a
// pad_token_id (transformers reads the score at the last token that is not padding), the backbone's weights
// (LoRA merged in), `score.weight`, no LM head, and the tokenizer.
import { strToU8 } from 'fflate';
import { CLASSIFIER_ARCHITECTURES } from '../engine/reward-model';
import { writeSafetensors } from '../engine/safetensors';
import { isGpt2, type HostTensor, type ModelConfig } from '../engine/types';
import { hfConfigJson, type ExportBundle } from './bundle';
import { modelCard, type RunSummary } from './model-card';

/** config.json of the classifier. */
export function rewardConfigJson(config: ModelConfig): Record<string, unknown> {
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  const pad = typeof config.pad_token_id === 'number' ? config.pad_token_id : eos;
  return {
    ...hfConfigJson(config), architectures: [CLASSIFIER_ARCHITECTURES[config.model_type]], num_labels: 1,
    id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 }, pad_token_id: pad,
  };
}

/** The folder's files from the trained weights (engine keys), the head and the tokenizer files. */
export function rewardModelBundle(name: string, config: ModelConfig, weights: Record<string, HostTensor>, heads: Record<string, HostTensor>,
  tokenizerFiles: Record<string, Uint8Array>, run: RunSummary): ExportBundle {
  const prefix = isGpt2(config) ? 'transformer.' : '';
  const tensors: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(weights)) if (k !== 'lm_head.weight') tensors[prefix + k] = t;
  Object.assign(tensors, heads);
  const files: Record<string, Uint8Array> = {
    'config.json': strToU8(JSON.stringify(rewardConfigJson(config), null, 2)),
    'model.safetensors': writeSafetensors(tensors, { metadata: { format: 'pt' } }),
    ...tokenizerFiles,
  };
  files['README.md'] = strToU8(modelCard(run, [...Object.keys(files), 'README.md']));
  return { name, files };
}
