// The trainer on tiny models: batching, overfitting one batch (LoRA and full), flat tensor counts,
// gradient accumulation equal to a bigger batch, evaluation, pause/stop, determinism and exports.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, gpt2Forward, initGpt2Weights } from './gpt2';
import { causalLmLoss } from './loss';
import { mergeLora } from './peft/lora';
import { countLoraParams, countParams } from './params';
import { mulberry32, normalArray } from './random';
import { randomExamples, relErr, tinyConfig, tinyTrainConfig, useCpu, values } from './test-utils';
import { BatchSampler, makeBatch, Trainer, TrainingDivergedError } from './trainer';
import type { Example, StepMetrics, TrainConfig, WeightMap } from './types';

beforeAll(useCpu);

const config = tinyConfig();
const V = config.vocab_size;

async function train(weights: WeightMap, data: Example[], cfg: Partial<TrainConfig>, val: Example[] = []) {
  const steps: StepMetrics[] = [];
  const counts: number[] = [];
  const trainer = new Trainer({ config, weights }, data, val, tinyTrainConfig(cfg), {
    onStep: (m) => {
      steps.push(m);
      counts.push(tf.memory().numTensors);
    },
  });
  const result = await trainer.run();
  return { trainer, result, steps, counts };
}

describe('batching', () => {
  it('pads to the longest example rounded up to 32, capped at seqLen; pads get mask 0', () => {
    const ex = [{ ids: [5, 6, 7], mask: [0, 1, 1] }, { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], mask: Array(10).fill(1) }];
    const b = makeBatch(ex, 64, 0);
    expect([b.B, b.T]).toEqual([2, 32]);
    expect(makeBatch(ex, 20, 0).T).toBe(20); // the bucket never exceeds seqLen
    expect(Array.from(b.ids.slice(0, 4))).toEqual([5, 6, 7, 0]);
    expect(Array.from(b.mask.slice(0, 4))).toEqual([0, 1, 1, 0]);
    expect(b.counted).toBe(2 + 9);
    expect(b.tokens).toBe(13);
    const short = makeBatch(ex, 6, 0); // truncated
    expect(short.T).toBe(6);
    expect(short.counted).toBe(2 + 5);
  });

  it('visits every example once per epoch, in a seeded order', () => {
    const s = new BatchSampler(10, 3);
    const epoch1 = s.next(10);
    const epoch2 = s.next(10);
    expect([...epoch1].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(epoch2).not.toEqual(epoch1);
    expect(new BatchSampler(10, 3).next(10)).toEqual(epoch1);
  });
});

describe('Trainer', () => {
  it('full fine-tuning overfits one batch; tensor count flat; trains every weight', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = randomExamples(2, 16, V, 3);
    const { trainer, steps, counts, result } = await train(weights, data, { method: 'full', steps: 40, lr: 1e-2 });
    expect(result.firstLoss).toBeGreaterThan(3);
    expect(result.lastLoss).toBeLessThan(0.05);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(trainer.trainableParamCount()).toBe(countParams(config));
    expect(steps[39].tokens).toBe(40 * 32);
    trainer.dispose();
    // The caller's weights are untouched by training and still usable.
    expect(values(weights.get('h.0.ln_1.weight')!).every((v) => v === 1)).toBe(true);
    disposeWeights(weights);
  });

  it('LoRA overfits one batch with the base frozen', async () => {
    const weights = initGpt2Weights(config, 1);
    // GPT-2's 0.02 init caps the tied head's logits near 0.6, so a frozen head could never reach a low loss.
    weights.get('wte.weight')!.dispose();
    weights.set('wte.weight', tf.tensor(normalArray(V * 32, 0.5, mulberry32(5)), [V, 32]));
    const data = randomExamples(2, 16, V, 4);
    const lora = { r: 16, alpha: 32, dropout: 0, targetModules: ['c_attn', 'c_proj', 'c_fc'], useRslora: false };
    const cfg = { method: 'lora' as const, steps: 120, lr: 1e-2, schedule: 'cosine' as const, warmupSteps: 10, minLrRatio: 0.01, lora };
    const { trainer, result, counts } = await train(weights, data, cfg);
    expect(result.lastLoss).toBeLessThan(0.05);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(trainer.trainableParamCount()).toBe(countLoraParams(config, lora));
    trainer.dispose();
    disposeWeights(weights);
  });

  it('keeps tf.memory().numTensors flat over 20 steps with accumulation, clipping, dropout and evals', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = randomExamples(6, 8, V, 5);
    for (const method of ['lora', 'full'] as const) {
      const before = tf.memory().numTensors;
      const { trainer, counts } = await train(weights, data, { method, steps: 20, gradAccum: 2, dropout: 0.1, evalEvery: 5, clipNorm: 0.5 }, data.slice(0, 3));
      expect(counts).toHaveLength(20);
      expect(new Set(counts).size).toBe(1);
      trainer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    disposeWeights(weights);
  });

  it('gradient accumulation weights micro-batches by counted tokens, as one bigger batch', async () => {
    const weights = initGpt2Weights(config, 1);
    // Different lengths and masks: averaging micro-batch means equally would give a different step.
    const data = [randomExamples(1, 5, V, 6)[0], { ...randomExamples(1, 14, V, 7)[0], mask: [0, 0, 0, ...Array(11).fill(1)] }];
    const one = await train(weights, data, { steps: 1, batchSize: 2, gradAccum: 1, clipNorm: 0 });
    const two = await train(weights, data, { steps: 1, batchSize: 1, gradAccum: 2, clipNorm: 0 });
    expect(two.steps[0].loss).toBeCloseTo(one.steps[0].loss, 5);
    expect(two.steps[0].gradNorm).toBeCloseTo(one.steps[0].gradNorm, 5);
    const B = (t: Trainer) => values(t.loraState()!.modules.get('h.1.attn.c_attn')!.B);
    expect(relErr(B(two.trainer), B(one.trainer))).toBeLessThan(1e-4);
    [one, two].forEach((r) => r.trainer.dispose());
    disposeWeights(weights);
  });

  it('evaluates every evalEvery steps and at the end, token-weighted over the validation set', async () => {
    const weights = initGpt2Weights(config, 1);
    const val = [...randomExamples(2, 9, V, 8), ...randomExamples(1, 4, V, 9)];
    const evals: { step: number; valLoss: number; perplexity: number }[] = [];
    const checkpoints: number[] = [];
    const cfg = tinyTrainConfig({ steps: 7, evalEvery: 3, checkpointEvery: 2 });
    const trainer = new Trainer({ config, weights }, randomExamples(4, 9, V, 10), val, cfg, { onEval: (m) => evals.push(m), onCheckpoint: (s) => checkpoints.push(s) });
    await trainer.run();
    expect(evals.map((e) => e.step)).toEqual([3, 6, 7]);
    expect(checkpoints).toEqual([2, 4, 6, 7]);
    expect(evals[2].perplexity).toBeCloseTo(Math.exp(evals[2].valLoss), 6);
    // Independently: sum of per-example losses * counts / total counts, each example on its own.
    const lora = trainer.loraState()!;
    let sum = 0;
    let n = 0;
    for (const e of val) {
      const ids = tf.tensor2d([e.ids], [1, e.ids.length], 'int32');
      sum += values(causalLmLoss(gpt2Forward(config, weights, ids, { adapter: lora }), ids, tf.ones([1, e.ids.length]) as tf.Tensor2D))[0] * (e.ids.length - 1);
      n += e.ids.length - 1;
    }
    expect(evals[2].valLoss).toBeCloseTo(sum / n, 5);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('stops with a clear error on a NaN loss and keeps the last good weights', async () => {
    const weights = initGpt2Weights(config, 3);
    const data = randomExamples(4, 8, V, 5);
    // Poison the embedding row of a token the data uses, so the loss turns NaN at step 1.
    const wte = weights.get('wte.weight')!;
    const poisoned = tf.tidy(() => tf.where(tf.equal(tf.range(0, V).reshape([V, 1]), data[0].ids[0]), tf.fill(wte.shape, NaN), wte));
    weights.set('wte.weight', poisoned);
    wte.dispose();
    const before = values(weights.get('h.0.attn.c_attn.weight')!);
    const trainer = new Trainer({ config, weights }, data, [], tinyTrainConfig({ method: 'full', steps: 3 }));
    const err = await trainer.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toMatch(/step 1: the loss became NaN.*keeps the weights of step 0.*lower the learning rate/i);
    expect(trainer.currentStep).toBe(0);
    const after = (await trainer.exportWeights(''))['h.0.attn.c_attn.weight'].data;
    expect(Array.from(after)).toEqual(Array.from(before)); // the bad update never reached the weights
    trainer.dispose();
    disposeWeights(weights);
  });

  it('pauses, resumes and stops after the current step', async () => {
    const weights = initGpt2Weights(config, 1);
    const seen: number[] = [];
    let trainer: Trainer | null = null;
    let paused: () => void = () => {};
    const reachedPause = new Promise<void>((r) => (paused = r));
    trainer = new Trainer({ config, weights }, randomExamples(4, 8, V, 11), [], tinyTrainConfig({ steps: 50 }), {
      onStep: (m) => {
        seen.push(m.step);
        if (m.step === 2) {
          trainer!.pause();
          paused();
        }
        if (m.step === 4) trainer!.stop();
      },
    });
    const running = trainer.run();
    await reachedPause;
    // Long enough for several steps of this tiny model, were the pause not holding.
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([1, 2]); // paused: no step while we waited
    trainer.resume();
    const result = await running;
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result).toMatchObject({ steps: 4, stopped: true });
    trainer.dispose();
    disposeWeights(weights);
  });

  it('is deterministic for a seed (init, order, dropout) and differs across seeds', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = randomExamples(5, 10, V, 12);
    const losses = async (seed: number) => {
      const r = await train(weights, data, { steps: 4, seed, dropout: 0.1, lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: ['c_attn'], useRslora: false } });
      r.trainer.dispose();
      return r.steps.map((s) => s.loss);
    };
    const a = await losses(1);
    expect(await losses(1)).toEqual(a);
    expect(await losses(2)).not.toEqual(a);
    disposeWeights(weights);
  });

  it('checkpointing changes memory, not the run: the same losses and weights as without (dropout on, LoRA and full)', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = randomExamples(5, 10, V, 12);
    for (const method of ['lora', 'full'] as const) {
      const run = async (checkpointing: boolean) => {
        const r = await train(weights, data, { method, steps: 3, dropout: 0.1, checkpointing, lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: ['c_attn', 'c_fc'], useRslora: false } });
        const w = await r.trainer.exportWeights();
        r.trainer.dispose();
        return { losses: r.steps.map((s) => s.loss), w: w['transformer.h.1.mlp.c_fc.weight'].data, counts: r.counts };
      };
      const plain = await run(false);
      const ck = await run(true);
      ck.losses.forEach((l, i) => expect(Math.abs(l - plain.losses[i]) / plain.losses[i]).toBeLessThan(1e-5));
      expect(relErr(ck.w, plain.w)).toBeLessThan(1e-5);
      expect(new Set(ck.counts).size).toBe(1); // flat tensor count across steps
    }
    disposeWeights(weights);
  });

  it('exports merged weights (lora) and trained weights (full) with HF keys', async () => {
    const weights = initGpt2Weights(config, 1);
    const data = randomExamples(2, 8, V, 13);
    const lora = await train(weights, data, { steps: 3, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['c_fc'], useRslora: false } });
    const exported = await lora.trainer.exportWeights();
    expect(Object.keys(exported)).toHaveLength(weights.size);
    const merged: WeightMap = new Map([...weights].map(([k, t]) => [k, t.clone()]));
    await mergeLora(merged, lora.trainer.loraState()!);
    for (const [k, t] of merged) expect(relErr(exported['transformer.' + k].data, values(t)), k).toBeLessThan(1e-6);
    const adapter = await lora.trainer.exportAdapter('tiny');
    expect(Object.keys(adapter.tensors)).toContain('base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight');

    const full = await train(weights, data, { method: 'full', steps: 3 });
    const fw = await full.trainer.exportWeights('');
    const reloaded: WeightMap = new Map(Object.entries(fw).map(([k, h]) => [k, tf.tensor(h.data, h.shape)]));
    const valLoss = await full.trainer.evaluate(data);
    const ids = tf.tensor2d(data.map((e) => e.ids), [2, 8], 'int32');
    expect(values(causalLmLoss(gpt2Forward(config, reloaded, ids), ids, tf.ones([2, 8]) as tf.Tensor2D))[0]).toBeCloseTo(valLoss, 5);
    expect(relErr(fw['wte.weight'].data, values(weights.get('wte.weight')!))).toBeGreaterThan(1e-4);
    [merged, reloaded, weights].forEach(disposeWeights);
    [lora, full].forEach((r) => r.trainer.dispose());
  });
});
