// The studio's objective picker: choices map to TRL-default objectives and back, a DPO start asks the Data step for
// pairs and sends the objective, and step and eval metrics become the preference chart's rows.
import { describe, expect, it } from 'vitest';
import type { PrepareSettings } from '../data-worker/protocol';
import { choiceOf, objectiveConfigOf, OBJECTIVE_OPTIONS, rowsFor } from './objective-choice';
import { preferenceRows } from './preference-rows';
import { rlRows } from './rl-rows';
import { settingsFromSearchParams } from './studio-settings';
import { createStudioStore } from './studio-store';
import { FakeDataClient, FakeWorker, ManualScheduler, tick } from './test-helpers';

describe('objective choices', () => {
  it('round-trip through the config and say which rows the Data step encodes', () => {
    for (const o of OBJECTIVE_OPTIONS) expect(choiceOf(objectiveConfigOf(o.id))).toBe(o.id);
    expect(objectiveConfigOf('dpo')).toMatchObject({ kind: 'preference', lossType: 'sigmoid', beta: 0.1 });
    expect(objectiveConfigOf('sft')).toBeUndefined();
    expect([rowsFor(undefined), rowsFor(objectiveConfigOf('simpo')), rowsFor(objectiveConfigOf('kto')), rowsFor(objectiveConfigOf('reward'))])
      .toEqual(['examples', 'pairs', 'unpaired', 'pairs']);
  });

  it('preference rows come from step and eval metrics; none for causal LM', () => {
    const m = (c: number, r: number, a: number) => ({ 'rewards/chosen': c, 'rewards/rejected': r, 'rewards/margins': c - r, 'rewards/accuracies': a });
    const points = [1, 2].map((step) => ({ step, loss: 0.6, smoothed: 0.6, lr: 1e-3, gradNorm: 1, metrics: m(0.1 * step, -0.1 * step, 0.5 * step) }));
    expect(preferenceRows(points, [{ step: 2, valLoss: 0.5, perplexity: 1.6, metrics: m(0.3, -0.3, 0.75) }])).toEqual([
      { step: 1, chosen: 0.1, rejected: -0.1, margin: 0.2, accuracy: 0.5 },
      { step: 2, chosen: 0.2, rejected: -0.2, margin: 0.4, accuracy: 1, valAccuracy: 0.75, valMargin: 0.6 },
    ]);
    expect(preferenceRows([{ step: 1, loss: 1, smoothed: 1, lr: 1, gradNorm: 1 }], [])).toEqual([]);
  });
});

describe('studio store: a DPO run', () => {
  it('encodes pairs, starts with the objective, and keeps the rewards of each step', async () => {
    const worker = new FakeWorker();
    const scheduler = new ManualScheduler();
    const dataClient = new FakeDataClient();
    const asked: PrepareSettings[] = [];
    const encode = dataClient.encode.bind(dataClient);
    dataClient.encode = async (s: PrepareSettings) => {
      asked.push(s);
      const e = await encode(s);
      return { ...e, train: e.train.map(() => ({ prompt: [1], chosen: [2, 0], rejected: [3, 0] })) };
    };
    const store = createStudioStore({
      settings: settingsFromSearchParams({ test: '1', steps: '10' }), createWorker: () => worker, saveFile: () => {},
      schedule: scheduler.schedule, dataClient, dataDebounceMs: 0,
    });
    const a = () => store.getState().actions;
    const jsonl = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, chosen: ' yes', rejected: ' no' })).join('\n');
    await a().loadFile(new File([jsonl], 'pairs.jsonl'));
    await tick();
    a().setObjective('dpo');
    expect(store.getState().config?.objective).toMatchObject({ kind: 'preference', lossType: 'sigmoid' });
    a().start();
    await tick();
    worker.emit({ type: 'ready', backend: 'webgpu', adapter: 'SwiftShader', model: { name: 'tiny-random', params: 1, config: { n_positions: 128 } } });
    expect(asked.at(-1)?.rows).toBe('pairs');
    const start = worker.posted.find((r) => r.type === 'start-examples');
    if (start?.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start.config.objective).toMatchObject({ lossType: 'sigmoid' });
    expect(start.train[0]).toEqual({ prompt: [1], chosen: [2, 0], rejected: [3, 0] });
    worker.emit({ type: 'started', totalSteps: 10, trainableParams: 1, trainExamples: 18, validationExamples: 2, truncated: 0, droppedNoLoss: 0 });
    const metrics = { 'rewards/chosen': 0.2, 'rewards/rejected': -0.1, 'rewards/margins': 0.3, 'rewards/accuracies': 1 };
    worker.emit({ type: 'step', metrics: { step: 1, totalSteps: 10, loss: 0.6, lr: 1e-4, gradNorm: 1, tokensPerSec: 1, tokens: 1, elapsedMs: 1, metrics } });
    scheduler.run();
    expect(preferenceRows(store.getState().run.points, store.getState().run.evals)).toEqual([{ step: 1, chosen: 0.2, rejected: -0.1, margin: 0.3, accuracy: 1 }]);
  });
});

describe('studio store: an RL run', () => {
  it('asks the Data step for prompts, starts GRPO with the exact-match reward, and charts reward, KL, entropy and length', async () => {
    expect(rowsFor(objectiveConfigOf('grpo'))).toBe('prompts');
    expect(objectiveConfigOf('ppo')).toMatchObject({ kind: 'rl', algorithm: 'ppo', reward: ['exact'], numGenerations: 1 });
    const worker = new FakeWorker();
    const scheduler = new ManualScheduler();
    const dataClient = new FakeDataClient();
    const asked: PrepareSettings[] = [];
    const encode = dataClient.encode.bind(dataClient);
    dataClient.encode = async (s: PrepareSettings) => {
      asked.push(s);
      const e = await encode(s);
      return { ...e, train: e.train.map(() => ({ prompt: [1, 2], answer: '4' })) };
    };
    const store = createStudioStore({
      settings: settingsFromSearchParams({ test: '1', steps: '10' }), createWorker: () => worker, saveFile: () => {},
      schedule: scheduler.schedule, dataClient, dataDebounceMs: 0,
    });
    const a = () => store.getState().actions;
    const jsonl = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `${i}+${i}=`, completion: String(2 * i) })).join('\n');
    await a().loadFile(new File([jsonl], 'sums.jsonl'));
    await tick();
    a().setObjective('grpo');
    a().start();
    await tick();
    worker.emit({ type: 'ready', backend: 'webgpu', adapter: 'SwiftShader', model: { name: 'tiny-random', params: 1, config: { n_positions: 128 } } });
    expect(asked.at(-1)?.rows).toBe('prompts');
    const start = worker.posted.find((r) => r.type === 'start-examples');
    if (start?.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start.config.objective).toMatchObject({ kind: 'rl', algorithm: 'grpo', reward: ['exact'] });
    expect(start.train[0]).toEqual({ prompt: [1, 2], answer: '4' });
    worker.emit({ type: 'started', totalSteps: 10, trainableParams: 1, trainExamples: 18, validationExamples: 2, truncated: 0, droppedNoLoss: 0 });
    const metrics = { reward: 0.25, kl: 0.01, entropy: 2.1, 'completions/mean_length': 7.5 };
    worker.emit({ type: 'step', metrics: { step: 1, totalSteps: 10, loss: 0.1, lr: 1e-4, gradNorm: 1, tokensPerSec: 1, tokens: 1, elapsedMs: 1, metrics } });
    worker.emit({ type: 'eval', step: 1, valLoss: -0.5, perplexity: 0.6, metrics: { ...metrics, reward: 0.5 } });
    scheduler.run();
    const { points, evals } = store.getState().run;
    expect(rlRows(points, evals)).toEqual([{ step: 1, reward: 0.25, kl: 0.01, entropy: 2.1, length: 7.5, valReward: 0.5 }]);
    expect(preferenceRows(points, evals)).toEqual([]); // no preference chart for RL
  });
});
