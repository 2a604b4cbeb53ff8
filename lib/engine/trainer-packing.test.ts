// The trainer with `packing`: rows of packed examples carry segment ids into the forward pass, tokens count only
// real tokens, a full-data step equals the unpacked step, loss falls and tf.memory().numTensors stays flat.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAD_SEGMENT } from '../data/pack';
import { makeBatch, packTrainingRows } from './batch';
import { disposeWeights, initWeights } from './model';
import { parseModelConfig } from './model-config';
import { mulberry32 } from './random';
import { tinyRawConfig } from './test-checkpoints';
import { relErr, tinyConfig, tinyTrainConfig, useCpu, values } from './test-utils';
import { Trainer } from './trainer';
import type { Example, ModelConfig, StepMetrics, TrainConfig } from './types';

beforeAll(useCpu);

const gpt2 = tinyConfig();
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 50, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24 })) as ModelConfig;

/** Short examples of 3..8 tokens following a learnable rule (next = 2 * prev mod 49 + 1), prompt token unmasked. */
function shortExamples(n: number, seed: number): Example[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const len = 3 + Math.floor(rng() * 6);
    const ids = [1 + Math.floor(rng() * 49)];
    while (ids.length < len) ids.push(((2 * ids[ids.length - 1]) % 49) + 1);
    return { ids, mask: ids.map((_, t) => (t === 0 ? 0 : 1)) };
  });
}

async function train(config: ModelConfig, data: Example[], cfg: Partial<TrainConfig>) {
  const weights = initWeights(config, 1);
  const steps: StepMetrics[] = [];
  const counts: number[] = [];
  const trainer = new Trainer({ config, weights }, data, [], tinyTrainConfig(cfg), {
    onStep: (m) => {
      steps.push(m);
      counts.push(tf.memory().numTensors);
    },
  });
  const result = await trainer.run();
  const lora = trainer.loraState();
  const B = lora ? values(lora.modules.values().next().value!.B).slice() : new Float32Array();
  trainer.dispose();
  disposeWeights(weights);
  return { trainer, result, steps, counts, B };
}

describe('packed batches', () => {
  it('keep segment ids and count only real tokens', () => {
    const data = shortExamples(6, 1);
    const { rows, paddingSavedShare } = packTrainingRows(data, 16, 0);
    const b = makeBatch(rows, 16, 0);
    expect([b.B, b.T]).toEqual([rows.length, 16]);
    expect(Array.from(b.segments!)).toEqual(rows.flatMap((r) => r.segments!));
    expect(b.tokens).toBe(data.reduce((a, e) => a + e.ids.length, 0));
    expect(b.tokens).toBeLessThan(b.B * b.T); // some padding exists and is not counted
    expect(b.segments!.filter((s) => s === PAD_SEGMENT).length).toBe(b.B * b.T - b.tokens);
    expect(b.counted).toBe(data.reduce((a, e) => a + e.ids.length - 1, 0));
    expect(paddingSavedShare).toBeGreaterThan(0.5);
    expect(makeBatch(data, 16, 0).segments).toBeUndefined();
  });
});

describe('Trainer with packing', () => {
  it('one full-data step equals the unpacked step (loss, gradient norm, updated LoRA weights)', async () => {
    const data = shortExamples(8, 2);
    const rows = packTrainingRows(data, 16, 0).rows.length;
    const cfg = { steps: 1, gradAccum: 1, clipNorm: 0, seqLen: 16 };
    const plain = await train(gpt2, data, { ...cfg, batchSize: data.length });
    const packed = await train(gpt2, data, { ...cfg, batchSize: rows, packing: true });
    console.log(`packed vs unpacked step: loss diff ${Math.abs(packed.steps[0].loss - plain.steps[0].loss).toExponential(2)}, ` +
      `grad norm rel ${(Math.abs(packed.steps[0].gradNorm - plain.steps[0].gradNorm) / plain.steps[0].gradNorm).toExponential(2)}, B rel ${relErr(packed.B, plain.B).toExponential(2)}`);
    expect(packed.steps[0].loss).toBeCloseTo(plain.steps[0].loss, 5);
    expect(Math.abs(packed.steps[0].gradNorm - plain.steps[0].gradNorm)).toBeLessThan(1e-5 * plain.steps[0].gradNorm);
    expect(relErr(packed.B, plain.B)).toBeLessThan(1e-4);
    expect(packed.steps[0].tokens).toBe(plain.steps[0].tokens); // real tokens, not rows * seqLen
    expect(relErr(packed.B, new Float32Array(packed.B.length))).toBeGreaterThan(0); // the step moved B
  });

  it.each([['gpt2', gpt2], ['llama (GQA)', llama]] as const)('%s: full fine-tuning loss falls over 30 steps, tensor count flat, tokens real', async (_, config) => {
    const data = shortExamples(24, 3);
    const { rows } = packTrainingRows(data, 16, 0);
    const real = data.reduce((a, e) => a + e.ids.length, 0);
    const r = await train(config, data, { method: 'full', steps: 30, batchSize: rows.length, packing: true, seqLen: 16, lr: 1e-2 });
    expect(r.result.lastLoss).toBeLessThan(0.7 * r.result.firstLoss);
    expect(new Set(r.counts.slice(1)).size).toBe(1);
    expect(r.steps[29].tokens).toBe(30 * real); // batchSize = every row: each step sees every example once
  });
});
