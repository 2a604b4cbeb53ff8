// Resume: 40 steps straight and 20 steps, the state written to its two files and read back, then a fresh trainer
// resumed to 40 end with the same weights and moments (LoRA dropout on, cosine schedule with warmup, gradient
// accumulation, replay and validation with early-stopping counters). A state of other settings or data is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { randomExamples, tinyConfig, tinyTrainConfig, useCpu } from './test-utils';
import { Trainer } from './trainer';
import { fingerprintExamples, parseTrainState, trainStateFiles, TRAIN_STATE_JSON, TRAIN_STATE_TENSORS, type TrainState } from './train-state';
import type { TrainConfig } from './types';

beforeAll(useCpu);

const config = tinyConfig();
const V = config.vocab_size;
const train = randomExamples(7, 12, V, 1);
const val = randomExamples(3, 12, V, 2);
const general = randomExamples(5, 16, V, 3);
const cfg: TrainConfig = tinyTrainConfig({
  steps: 40, gradAccum: 2, batchSize: 3, lr: 5e-3, warmupSteps: 5, schedule: 'cosine', evalEvery: 5, replayShare: 0.25,
  lora: { r: 4, alpha: 8, dropout: 0.2, targetModules: ['c_attn', 'c_proj', 'c_fc'], useRslora: false }, earlyStop: { patience: 50, minDelta: 0 },
});

function roundTrip(s: TrainState): TrainState {
  const files = trainStateFiles(s);
  return parseTrainState(files[TRAIN_STATE_JSON], files[TRAIN_STATE_TENSORS], 'test');
}

describe('resume', () => {
  it('40 steps straight equal 20 steps + resume to 40 (weights and moments)', async () => {
    const weights = initGpt2Weights(config, 4);
    const straight = new Trainer({ config, weights }, train, val, cfg, {}, { replay: general });
    const r1 = await straight.run();
    const a = await straight.saveState();

    const first = new Trainer({ config, weights }, train, val, cfg, { onStep: (m) => m.step === 20 && first.stop() }, { replay: general });
    await first.run();
    expect(first.currentStep).toBe(20);
    const saved = roundTrip(await first.saveState());
    first.dispose();
    expect(saved.meta.step).toBe(20);
    expect(saved.meta.adamSteps).toBe(20);

    const resumed = new Trainer({ config, weights }, train, val, cfg, {}, { replay: general });
    resumed.restoreState(saved);
    const r2 = await resumed.run();
    const b = await resumed.saveState();
    expect(r2.steps).toBe(40);
    expect(b.meta.sampler).toEqual(a.meta.sampler);
    expect(b.meta.replaySampler).toEqual(a.meta.replaySampler);
    expect(b.meta.keeper).toEqual(a.meta.keeper);
    expect(r2.bestStep).toBe(r1.bestStep);
    for (const key of ['params', 'm', 'v'] as const) {
      a[key].forEach((t, i) => {
        let err = 0;
        for (let j = 0; j < t.data.length; j++) err = Math.max(err, Math.abs(t.data[j] - b[key][i].data[j]));
        expect(err, `${key}.${i}`).toBeLessThanOrEqual(1e-6);
      });
    }
    // The weights moved between step 20 and 40, so equality above is not that of an idle second half.
    expect(Math.max(...a.params[1].data.map((x, j) => Math.abs(x - saved.params[1].data[j])))).toBeGreaterThan(1e-4);
    straight.dispose();
    resumed.dispose();
    disposeWeights(weights);
  });

  it('refuses a state of other settings, other data or one already at its step budget', async () => {
    const weights = initGpt2Weights(config, 4);
    const short = { ...cfg, steps: 2, evalEvery: 0 };
    const t = new Trainer({ config, weights }, train, val, short, {}, { replay: general });
    await t.run();
    const s = roundTrip(await t.saveState());
    t.dispose();
    const make = (c: TrainConfig, data = train) => new Trainer({ config, weights }, data, val, c, {}, { replay: general });
    expect(() => make({ ...short, lr: 1e-3 }).restoreState(s)).toThrow(/lr was 0.005, now 0.001/);
    expect(() => make({ ...short, steps: 4 }, train.slice(1)).restoreState(s)).toThrow(/training data differ/);
    expect(() => make(short).restoreState(s)).toThrow(/already did 2 steps/);
    const ok = make({ ...short, steps: 3 });
    ok.restoreState(s);
    expect((await ok.run()).steps).toBe(3);
    expect(fingerprintExamples(train)).not.toBe(fingerprintExamples(train.slice(1)));
    expect(() => parseTrainState(null, new Uint8Array(), 'dir')).toThrow(/dir has no train-state.json/);
    disposeWeights(weights);
  });
});
