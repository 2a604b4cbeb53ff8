// The preference objectives in the trainer on a synthetic task (chosen answers use the low half of the
// vocabulary, rejected ones the high half, prompts random): held-out preference accuracy, the reference
// untouched, the first step exactly at the reference, the cached reference equal to the live one.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreferenceExample, UnpairedExample } from '../../data/types';
import { disposeWeights, initGpt2Weights } from '../gpt2';
import { mulberry32 } from '../random';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu, values } from '../test-utils';
import { Trainer } from '../trainer';
import type { StepMetrics, TrainConfig, WeightMap } from '../types';
import { defaultPreferenceConfig, type PreferenceConfig } from './config';

beforeAll(useCpu);

const config = tinyConfig();
const V = config.vocab_size; // 50; id 0 is eos

function pairs(n: number, seed: number): PreferenceExample[] {
  const rng = mulberry32(seed);
  const pick = (lo: number, hi: number, k: number) => Array.from({ length: k }, () => lo + Math.floor(rng() * (hi - lo)));
  return Array.from({ length: n }, () => ({ prompt: pick(1, V, 3), chosen: [...pick(1, 25, 4), 0], rejected: [...pick(25, V, 4), 0] }));
}

// Full fine-tuning learns the task in 15 steps; LoRA (attention and MLP) needs larger weights than GPT-2's init
// (std 0.02 makes every logit tiny) and more steps.
function dpoConfig(objective: Partial<PreferenceConfig>, over: Partial<TrainConfig> = {}): TrainConfig {
  return tinyTrainConfig({ method: 'full', steps: 15, batchSize: 8, lr: 5e-3, objective: { ...defaultPreferenceConfig('sigmoid'), beta: 0.5, ...objective }, ...over });
}
const loraOver = (steps: number): Partial<TrainConfig> => ({
  method: 'lora', steps, lr: 1e-2, lora: { ...tinyTrainConfig().lora, targetModules: ['c_attn', 'c_proj', 'c_fc'] },
});

async function train(weights: WeightMap, cfg: TrainConfig, data: (PreferenceExample | UnpairedExample)[] = pairs(64, 1)) {
  const steps: StepMetrics[] = [];
  const trainer = new Trainer({ config, weights }, data, [], cfg, { onStep: (m) => steps.push(m) });
  await trainer.run();
  return { trainer, steps };
}

const snapshot = (w: WeightMap) => new Map([...w].map(([k, t]) => [k, Array.from(values(t))]));

describe('DPO in the trainer', () => {
  it('LoRA: the first step sits exactly at the reference; held-out accuracy rises above 0.9', async () => {
    const weights = noisyWeights(config, 1, 0.2);
    const heldOut = pairs(64, 99);
    // The reference log-probs are cached in one pass (precomputeReference), which also saves a forward per step.
    const { trainer, steps } = await train(weights, dpoConfig({ beta: 1, precomputeReference: true }, loraOver(30)), pairs(128, 1));
    // Before any update the policy is the reference (LoRA B = 0, no dropout): rewards 0, loss ln 2.
    expect(steps[0].loss).toBeCloseTo(Math.LN2, 6);
    expect(steps[0].metrics!['rewards/chosen']).toBe(0);
    expect(steps[0].metrics!['rewards/margins']).toBe(0);
    const { metrics } = await trainer.evaluateWithMetrics(heldOut);
    expect(metrics['rewards/accuracies']).toBeGreaterThan(0.9);
    expect(metrics['rewards/margins']).toBeGreaterThan(0);
    expect(metrics['logps/chosen']).toBeGreaterThan(metrics['logps/rejected']);
    expect(steps.at(-1)!.loss).toBeLessThan(steps[0].loss);
    trainer.dispose();
    disposeWeights(weights);
  }, 300_000); // a minute alone; several on a machine shared with other test runs

  it('full fine-tuning: the reference weights are unchanged after training, the trained ones moved', async () => {
    const weights = initGpt2Weights(config, 2);
    const before = snapshot(weights);
    const heldOut = pairs(32, 98);
    const { trainer } = await train(weights, dpoConfig({}));
    expect(snapshot(weights)).toEqual(before);
    const trained = await trainer.exportWeights('');
    expect(Array.from(trained['h.0.attn.c_attn.weight'].data)).not.toEqual(before.get('h.0.attn.c_attn.weight'));
    const { metrics } = await trainer.evaluateWithMetrics(heldOut);
    expect(metrics['rewards/accuracies']).toBeGreaterThan(0.9);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('a reference precomputed in one pass gives the same run as the live reference', async () => {
    const weights = initGpt2Weights(config, 3);
    const live = await train(weights, dpoConfig({}, { ...loraOver(4) }));
    const cached = await train(weights, dpoConfig({ precomputeReference: true }, { ...loraOver(4) }));
    cached.steps.forEach((s, i) => {
      expect(s.loss).toBeCloseTo(live.steps[i].loss, 5);
      expect(s.metrics!['rewards/chosen']).toBeCloseTo(live.steps[i].metrics!['rewards/chosen'], 5);
    });
    live.trainer.dispose();
    cached.trainer.dispose();
    disposeWeights(weights);
  });

  it('gradient checkpointing changes memory, not the run', async () => {
    const weights = noisyWeights(config, 9, 0.2);
    const plain = await train(weights, dpoConfig({}, loraOver(3)), pairs(16, 2));
    const ck = await train(weights, dpoConfig({}, { ...loraOver(3), checkpointing: true }), pairs(16, 2));
    ck.steps.forEach((s, i) => expect(s.loss).toBeCloseTo(plain.steps[i].loss, 5));
    expect(plain.steps[2].loss).not.toBeCloseTo(plain.steps[0].loss, 3); // it trained
    plain.trainer.dispose();
    ck.trainer.dispose();
    disposeWeights(weights);
  });

  it('tensor count stays flat across steps and evaluations', async () => {
    const weights = initGpt2Weights(config, 4);
    const counts: number[] = [];
    const trainer = new Trainer({ config, weights }, pairs(16, 5), pairs(8, 6), dpoConfig({}, { ...loraOver(6), evalEvery: 2, gradAccum: 2 }), {
      onStep: () => counts.push(tf.memory().numTensors),
    });
    await trainer.run();
    expect(new Set(counts.slice(1)).size).toBe(1);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('refuses rows of the wrong kind and packing', () => {
    const weights = initGpt2Weights(config, 5);
    expect(() => new Trainer({ config, weights }, [{ ids: [1, 2], mask: [0, 1] }], [], dpoConfig({}))).toThrow(/not a preference pair/);
    expect(() => new Trainer({ config, weights }, pairs(4, 1), [], dpoConfig({}, { packing: true }))).toThrow(/packing off/);
    expect(() => new Trainer({ config, weights }, pairs(4, 1), [], tinyTrainConfig())).toThrow(/not a token example/);
    disposeWeights(weights);
  });
});

describe('the rest of the family learns the same preference', () => {
  const cases: [string, Partial<PreferenceConfig>][] = [
    ['ipo', { lossType: 'ipo', beta: 0.5 }],
    ['hinge', { lossType: 'hinge', beta: 0.5 }],
    ['conservative DPO', { lossType: 'sigmoid', labelSmoothing: 0.1 }],
    ['simpo', { lossType: 'simpo', beta: 2, simpoGamma: 0.5 }],
    ['orpo', { lossType: 'orpo', beta: 0.5 }],
  ];
  it.each(cases)('%s: held-out accuracy above 0.9', async (_name, objective) => {
    const weights = initGpt2Weights(config, 7);
    const { trainer, steps } = await train(weights, dpoConfig(objective));
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    const { metrics } = await trainer.evaluateWithMetrics(pairs(32, 97));
    expect(metrics['rewards/accuracies']).toBeGreaterThan(0.9);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('kto on unpaired answers: held-out desirable rewards above undesirable ones', async () => {
    const weights = initGpt2Weights(config, 8);
    const unpair = (ps: PreferenceExample[]): UnpairedExample[] =>
      ps.map((p, i) => ({ prompt: p.prompt, completion: i % 2 === 0 ? p.chosen : p.rejected, desirable: i % 2 === 0 }));
    const { trainer, steps } = await train(weights, dpoConfig({ lossType: 'kto', beta: 0.5 }, { steps: 20 }), unpair(pairs(128, 1)));
    expect(steps[0].metrics!.kl).toBe(0); // policy = reference at the first step
    const { metrics } = await trainer.evaluateWithMetrics(unpair(pairs(32, 96)));
    expect(metrics['rewards/chosen']).toBeGreaterThan(0);
    expect(metrics['rewards/rejected']).toBeLessThan(0);
    trainer.dispose();
    disposeWeights(weights);
  });
});
