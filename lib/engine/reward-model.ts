// A reward-model folder read back: transformers' GPT2ForSequenceClassification / LlamaForSequenceClassification
// (and the Qwen2 and Mistral ones) with num_labels 1: the backbone's weights, the `score.weight` head [1, C] and
// the tokenizer, ready to score answers (objectives/reward.ts rewards()).
import * as tf from '@tensorflow/tfjs';
import { loadTokenizer, loadWeights, readJson, weightFiles, type FileSource } from './loader';
import { ModelLoadError, parseModelConfig } from './model-config';
import { SCORE_KEY } from './objectives/reward';
import { readSafetensors, toFloat32 } from './safetensors';
import type { HfTokenizer } from './tokenizer';
import { hiddenSize, isGpt2, type ModelConfig, type WeightMap } from './types';

/** transformers' sequence-classification class for each model type. */
export const CLASSIFIER_ARCHITECTURES: Record<string, string> = {
  gpt2: 'GPT2ForSequenceClassification', llama: 'LlamaForSequenceClassification', qwen2: 'Qwen2ForSequenceClassification', mistral: 'MistralForSequenceClassification',
};

export interface RewardModel {
  name: string;
  config: ModelConfig;
  weights: WeightMap;
  score: tf.Tensor2D; // [1, C]
  tokenizer: HfTokenizer;
  padTokenId: number;
}

/** Loads a reward-model folder; refuses folders that are not a one-label sequence classifier. */
export async function loadRewardModel(name: string, source: FileSource): Promise<RewardModel> {
  const raw = await readJson(source, 'config.json', true);
  const arch = Array.isArray(raw.architectures) ? raw.architectures.map(String) : [];
  if (!arch.some((a) => a.endsWith('ForSequenceClassification'))) {
    throw new ModelLoadError(`${name} is not a reward model: its config.json names ${arch.join(', ') || 'no architecture'}, not a *ForSequenceClassification`);
  }
  const labels = raw.num_labels ?? (raw.id2label ? Object.keys(raw.id2label as object).length : 2);
  if (labels !== 1) throw new ModelLoadError(`${name} classifies into ${String(labels)} labels; a reward model has num_labels 1`);
  const config = parseModelConfig(raw);
  // A classification checkpoint has no LM head: check shapes as if the output embedding were tied.
  const shapes: ModelConfig = isGpt2(config) ? config : { ...config, tie_word_embeddings: true };
  let score: tf.Tensor2D | null = null;
  const weights = await loadWeights(await weightFiles(source), async (file) => {
    const bytes = await source(file);
    if (!bytes) throw new ModelLoadError(`The reward model folder has no ${file}`);
    const entry = readSafetensors(bytes).tensors.get(SCORE_KEY);
    if (entry) score = tf.tensor2d(toFloat32(entry), entry.shape as [number, number]);
    return bytes;
  }, shapes);
  const head = score as tf.Tensor2D | null;
  if (!head || head.shape[0] !== 1 || head.shape[1] !== hiddenSize(config)) {
    weights.forEach((t) => t.dispose());
    throw new ModelLoadError(`${name} has no ${SCORE_KEY} of shape [1, ${hiddenSize(config)}]`);
  }
  const { tokenizer } = await loadTokenizer(source);
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  return { name, config, weights, score: head, tokenizer, padTokenId: Number(raw.pad_token_id ?? eos ?? 0) };
}
