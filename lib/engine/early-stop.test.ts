// Early stopping on a fixture that overfits (full fine-tuning of two random rows at a high learning rate, validated
// on other rows): training stops before its step budget, and the kept weights are those of the lowest validation
// loss of the curve (re-evaluated after restoreBest). The keeper's own rules: min delta, patience, no stop at 0.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BestKeeper } from './early-stop';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { randomExamples, tinyConfig, tinyTrainConfig, useCpu } from './test-utils';
import { Trainer } from './trainer';
import type { EvalMetrics } from './types';

beforeAll(useCpu);

describe('BestKeeper', () => {
  it('counts passes without an improvement larger than minDelta and stops after patience of them', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const k = new BestKeeper([v], { patience: 2, minDelta: 0.1 });
    expect(await k.observe(1, 3)).toBe(true);
    v.assign(tf.tensor1d([5, 6]));
    expect(await k.observe(2, 2.95)).toBe(false); // better, but not by more than 0.1
    expect(k.shouldStop).toBe(false);
    expect(await k.observe(3, 2.5)).toBe(true); // resets the count
    v.assign(tf.tensor1d([7, 8]));
    expect(await k.observe(4, 2.6)).toBe(false);
    expect(await k.observe(5, Number.NaN)).toBe(false); // an unreadable pass neither improves nor counts
    expect(k.shouldStop).toBe(false);
    expect(await k.observe(6, 2.7)).toBe(false);
    expect(k.shouldStop).toBe(true);
    expect(k.restoreBest()).toBe(3);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    expect(new BestKeeper([v]).shouldStop).toBe(false);
    expect(() => new BestKeeper([v], { patience: -1, minDelta: 0 })).toThrow(/patience/);
    v.dispose();
  });
});

describe('early stopping in the trainer', () => {
  it('stops an overfitting run early and keeps the weights of the lowest validation loss', async () => {
    const config = tinyConfig();
    const weights = initGpt2Weights(config, 2);
    const train = randomExamples(2, 16, config.vocab_size, 1);
    const val = randomExamples(6, 16, config.vocab_size, 2);
    const evals: EvalMetrics[] = [];
    const cfg = tinyTrainConfig({ method: 'full', steps: 200, lr: 3e-3, evalEvery: 2, earlyStop: { patience: 3, minDelta: 0 } });
    const trainer = new Trainer({ config, weights }, train, val, cfg, { onEval: (m) => evals.push(m) });
    const result = await trainer.run();
    expect(result.earlyStopped).toBe(true);
    expect(result.steps).toBeLessThan(200);
    const losses = evals.map((e) => e.valLoss);
    const bestIdx = losses.indexOf(Math.min(...losses));
    expect(result.bestStep).toBe(evals[bestIdx].step);
    expect(result.bestValLoss).toBe(losses[bestIdx]);
    // Stopped exactly `patience` passes after the best one, each of them no better.
    expect(evals.length - 1 - bestIdx).toBe(3);
    expect(evals.filter((e) => e.best).map((e) => e.step).at(-1)).toBe(result.bestStep);
    const lastLoss = await trainer.evaluate();
    expect(lastLoss).toBeCloseTo(losses.at(-1)!, 5);
    expect(lastLoss).toBeGreaterThan(losses[bestIdx]);
    expect(trainer.restoreBest()).toBe(result.bestStep);
    expect(await trainer.evaluate()).toBeCloseTo(losses[bestIdx], 5);
    trainer.dispose();
    disposeWeights(weights);
  });
});
