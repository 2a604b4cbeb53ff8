// Divergence detection: the step judgement worked by hand, and real tiny runs that blow up (LoRA at an absurd
// learning rate) stop with the weights of the last good step put back, checked against copies taken during the run.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIVERGENCE, judgeStep, TrainingDivergedError } from './divergence';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { randomExamples, tinyConfig, tinyTrainConfig, useCpu } from './test-utils';
import { Trainer } from './trainer';

beforeAll(useCpu);

describe('judgeStep', () => {
  it.each([
    // loss, gradNorm, level, peak, suspects before -> kind, stop
    [NaN, 1, 2, 1, 0, 'non-finite-loss', true],
    [2, Infinity, 2, 1, 0, 'non-finite-gradient', true],
    [3, 1, null, 0, 0, null, false], // the first step has nothing to compare with
    [4.4, 1, 2, 1, 0, null, false], // 2.2x but only 2.4 nats above: ordinary noise
    [4.6, 1, 2, 1, 0, 'loss-spike', false], // 2.3x and 2.6 nats above: suspect
    [4.6, 1, 2, 1, 1, 'loss-spike', true], // a second suspect step in a row stops
    [13.1, 1, 2, 1, 0, 'loss-spike', true], // above 4 * 2 + 5: stops at once
    [2.1, 0, 2, 1, 0, 'vanishing-gradient', false], // gradients gone while the loss rises
    [1.9, 0, 2, 1, 0, null, false], // gradients gone while the loss falls: converged, not diverged
    [2.1, 2e-7, 2, 1, 0, null, false], // small but above vanishShare of the peak
  ] as const)('loss %s |g| %s level %s peak %s suspects %s -> %s', (loss, g, level, peak, suspects, kind, stop) => {
    const v = judgeStep(loss, g, level, peak, suspects);
    expect(v.kind).toBe(kind);
    expect(v.stop).toBe(stop);
  });

  it('uses the thresholds it documents', () => {
    expect(DIVERGENCE.suspectsToStop).toBe(2);
    expect(judgeStep(2 * DIVERGENCE.suspectRatio + DIVERGENCE.suspectNats, 1, 2, 1, 0).kind).toBe('loss-spike');
  });
});

describe('a diverging run', () => {
  const config = tinyConfig();

  it('LoRA at lr 1e6 stops with a message and the weights of the last good step', async () => {
    const weights = initGpt2Weights(config, 7);
    const data = randomExamples(8, 12, config.vocab_size, 3);
    const copies: Float32Array[][] = [];
    let trainer: Trainer | null = null;
    const copy = () => copies.push(trainer!.trainable.variables.map((v) => new Float32Array(v.dataSync())));
    trainer = new Trainer({ config, weights }, data, [], tinyTrainConfig({ steps: 30, lr: 1e6, clipNorm: 1 }), { onStep: copy });
    copy(); // step 0: copies[k] holds the weights after step k
    const err = await trainer.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const d = err as TrainingDivergedError;
    expect(d.step).toBeLessThan(30);
    expect(d.keptStep).toBeLessThan(d.step);
    expect(d.message).toMatch(new RegExp(`stopped at step ${d.step}: .*keeps the weights of step ${d.keptStep}.*Gradient clipping is already on`));
    expect(trainer.currentStep).toBe(d.keptStep);
    const now = trainer.trainable.variables.map((v) => Array.from(v.dataSync()));
    expect(now).toEqual(copies[d.keptStep].map((a) => Array.from(a)));
    trainer.dispose();
    disposeWeights(weights);
  });

  it('without clipping the advice says to turn it on', async () => {
    const weights = initGpt2Weights(config, 7);
    const trainer = new Trainer({ config, weights }, randomExamples(8, 12, config.vocab_size, 3), [], tinyTrainConfig({ steps: 30, lr: 1e6, clipNorm: 0 }));
    const err = (await trainer.run().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/turn on gradient clipping/);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('a healthy run is not stopped and keeps flat tensor counts', async () => {
    const weights = initGpt2Weights(config, 7);
    const trainer = new Trainer({ config, weights }, randomExamples(8, 12, config.vocab_size, 3), [], tinyTrainConfig({ steps: 25, lr: 1e-2 }));
    const before = tf.memory().numTensors;
    const r = await trainer.run();
    expect(r.steps).toBe(25);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    disposeWeights(weights);
  });
});
