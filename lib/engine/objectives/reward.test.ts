// The reward model: Bradley-Terry loss by hand, held-out pairwise accuracy on a synthetic set (LoRA and full),
// and the exported transformers folder (config, keys, no LM head) loading back with the same scores.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreferenceExample } from '../../data/types';
import type { RunSummary } from '../../export/model-card';
import { rewardModelBundle } from '../../export/reward-folder';
import { initGpt2Weights, disposeWeights } from '../gpt2';
import { mapSource, byteTokenizerJson } from '../test-fixtures';
import { mulberry32 } from '../random';
import { parseModelConfig } from '../model-config';
import { loadRewardModel } from '../reward-model';
import { tinyCheckpointWeights, tinyRawConfig } from '../test-checkpoints';
import { readSafetensors } from '../safetensors';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu, values } from '../test-utils';
import { Trainer } from '../trainer';
import type { StepMetrics, TrainConfig, WeightMap } from '../types';
import { rewards, scoreBatch } from './reward';

beforeAll(useCpu);

const config = tinyConfig({ vocab_size: 259, eos_token_id: 258 });

function pairs(n: number, seed: number): PreferenceExample[] {
  const rng = mulberry32(seed);
  const pick = (lo: number, hi: number, k: number) => Array.from({ length: k }, () => lo + Math.floor(rng() * (hi - lo)));
  return Array.from({ length: n }, () => ({ prompt: pick(97, 123, 3), chosen: [...pick(97, 110, 4), 258], rejected: [...pick(110, 123, 4), 258] }));
}

const SUMMARY: RunSummary = {
  baseModel: 'tiny', method: 'full', hyperparameters: {}, date: '2026-12-01', steps: 1, firstLoss: 1, lastLoss: 1, trainExamples: 8, tokens: 0, backend: 'cpu', dataFile: 'pairs.jsonl',
};

const rewardConfig = (over: Partial<TrainConfig> = {}) =>
  tinyTrainConfig({ method: 'full', steps: 15, batchSize: 8, lr: 5e-3, objective: { kind: 'reward' }, ...over });

async function train(weights: WeightMap, cfg: TrainConfig) {
  const steps: StepMetrics[] = [];
  const trainer = new Trainer({ config, weights }, pairs(64, 1), [], cfg, { onStep: (m) => steps.push(m) });
  await trainer.run();
  return { trainer, steps };
}

describe('reward model', () => {
  it('scores the last token before the answer eos; the step loss is mean -logsigmoid(r_chosen - r_rejected)', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = pairs(8, 5);
    let first: StepMetrics | undefined;
    const trainer = new Trainer({ config, weights }, data, [], rewardConfig({ steps: 1, lr: 1e-9 }), { onStep: (m) => (first ??= m) });
    await trainer.run();
    // One step over all eight pairs: its loss does not depend on their order. Worked from the rewards.
    const head = (await trainer.exportHeads())['score.weight'];
    const rows = data.flatMap((p) => [[...p.prompt, ...p.chosen.slice(0, -1)], [...p.prompt, ...p.rejected.slice(0, -1)]]);
    const r = Array.from(values(rewards(config, weights, tf.tensor2d(head.data, [1, head.shape[1]]), scoreBatch(rows, 16, 258))));
    const want = data.reduce((a, _, i) => a + Math.log1p(Math.exp(-(r[2 * i] - r[2 * i + 1]))), 0) / data.length;
    expect(first!.loss).toBeCloseTo(want, 5);
    expect(first!.metrics!['rewards/margins']).toBeCloseTo(first!.metrics!['rewards/chosen'] - first!.metrics!['rewards/rejected'], 6);
    expect(Array.from(scoreBatch([[97, 98, 99], [97, 98]], 16, 258).last)).toEqual([2, 1]);
    trainer.dispose();
    disposeWeights(weights);
  });

  it.each<[string, Partial<TrainConfig>, (c: typeof config) => WeightMap]>([
    ['full fine-tuning', {}, (c) => initGpt2Weights(c, 2)],
    ['LoRA', { method: 'lora', lr: 1e-2, steps: 25, lora: { ...tinyTrainConfig().lora, targetModules: ['c_attn', 'c_proj', 'c_fc'] } }, (c) => noisyWeights(c, 3, 0.2)],
  ])('%s: held-out pairwise accuracy above 0.9; the exported folder loads back with the same scores', async (_name, over, init) => {
    const weights = init(config);
    const { trainer } = await train(weights, rewardConfig(over));
    const heldOut = pairs(64, 77);
    const { metrics } = await trainer.evaluateWithMetrics(heldOut);
    expect(metrics['rewards/accuracies']).toBeGreaterThan(0.9);

    const tok = new TextEncoder().encode(JSON.stringify(byteTokenizerJson()));
    const bundle = rewardModelBundle('m-reward', config, await trainer.exportWeights(''), await trainer.exportHeads(), { 'tokenizer.json': tok }, SUMMARY);
    const cfg = JSON.parse(new TextDecoder().decode(bundle.files['config.json']));
    expect(cfg).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], num_labels: 1, pad_token_id: 258, model_type: 'gpt2' });
    const keys = [...readSafetensors(bundle.files['model.safetensors']).tensors.keys()];
    expect(keys).toContain('score.weight');
    expect(keys).toContain('transformer.wte.weight');
    expect(keys.some((k) => k.startsWith('lm_head') || k.includes('lora'))).toBe(false);

    const loaded = await loadRewardModel('m-reward', mapSource(new Map(Object.entries(bundle.files))));
    const rows = heldOut.flatMap((p) => [[...p.prompt, ...p.chosen.slice(0, -1)], [...p.prompt, ...p.rejected.slice(0, -1)]]);
    const r = Array.from(values(rewards(loaded.config, loaded.weights, loaded.score, scoreBatch(rows, 16, loaded.padTokenId))));
    const chosen = r.filter((_, i) => i % 2 === 0);
    const rejected = r.filter((_, i) => i % 2 === 1);
    const mean = (x: number[]) => x.reduce((a, v) => a + v, 0) / x.length;
    expect(mean(chosen)).toBeCloseTo(metrics['rewards/chosen'], 4);
    expect(mean(rejected)).toBeCloseTo(metrics['rewards/rejected'], 4);
    expect(chosen.filter((c, i) => c > rejected[i]).length / chosen.length).toBeCloseTo(metrics['rewards/accuracies'], 6);
    tf.dispose([...loaded.weights.values(), loaded.score]);
    trainer.dispose();
    disposeWeights(weights);
  }, 300_000); // half a minute alone; several on a machine shared with other test runs

  it('a Llama reward model (untied head) exports without lm_head and loads back with the same scores', async () => {
    const raw = tinyRawConfig('llama', { tie_word_embeddings: false });
    const lc = parseModelConfig(raw);
    const weights: WeightMap = new Map(Object.entries(tinyCheckpointWeights(lc, 4, 0.05)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
    const data = pairs(8, 6);
    const trainer = new Trainer({ config: lc, weights }, data, [], rewardConfig({ steps: 2, lr: 1e-2, method: 'lora', lora: { ...tinyTrainConfig().lora, targetModules: ['q_proj', 'v_proj'] } }));
    await trainer.run();
    const bundle = rewardModelBundle('l', lc, await trainer.exportWeights(''), await trainer.exportHeads(), { 'tokenizer.json': new TextEncoder().encode(JSON.stringify(byteTokenizerJson())) }, SUMMARY);
    expect(JSON.parse(new TextDecoder().decode(bundle.files['config.json']))).toMatchObject({ architectures: ['LlamaForSequenceClassification'], num_labels: 1, pad_token_id: 258 });
    expect([...readSafetensors(bundle.files['model.safetensors']).tensors.keys()].filter((k) => k.startsWith('lm_head'))).toEqual([]);
    const loaded = await loadRewardModel('l', mapSource(new Map(Object.entries(bundle.files))));
    const { metrics } = await trainer.evaluateWithMetrics(data);
    const rows = data.flatMap((p) => [[...p.prompt, ...p.chosen.slice(0, -1)], [...p.prompt, ...p.rejected.slice(0, -1)]]);
    const r = Array.from(values(rewards(loaded.config, loaded.weights, loaded.score, scoreBatch(rows, 16, 258))));
    expect(r.filter((_, i) => i % 2 === 0).reduce((a, v) => a + v, 0) / data.length).toBeCloseTo(metrics['rewards/chosen'], 4);
    tf.dispose([...loaded.weights.values(), loaded.score]);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('refuses a folder that is not a one-label classifier', async () => {
    const enc = (x: object) => new TextEncoder().encode(JSON.stringify(x));
    await expect(loadRewardModel('lm', mapSource(new Map([['config.json', enc({ ...config, architectures: ['GPT2LMHeadModel'] })]])))).rejects.toThrow(/not a reward model/);
    await expect(loadRewardModel('two', mapSource(new Map([['config.json', enc({ ...config, architectures: ['GPT2ForSequenceClassification'], num_labels: 2 })]])))).rejects.toThrow(/num_labels 1/);
  });
});
