// A DPO run through the worker's session, as the studio sends it: preference pairs encoded as the Data step does,
// checked by the protocol, a tiny random Llama, step and eval events with TRL's metrics, and the LoRA adapter exported.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../data/types';
import { defaultTrainConfig } from '../engine/defaults';
import { defaultPreferenceConfig } from '../engine/objectives/config';
import { parseRequest, type WorkerEvent } from './protocol';
import { TrainSession } from './session';
import { startExamples, stubDemoTokenizerFetch, TINY_LLAMA_LOAD, tinyLoraRun } from './test-start';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

describe('TrainSession with a preference objective', () => {
  it('trains DPO on pairs, reports rewards per step and on validation, exports the adapter', async () => {
    stubDemoTokenizerFetch();
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    await s.handle(TINY_LLAMA_LOAD);
    const config = tinyLoraRun(defaultPreferenceConfig('sigmoid'), 1);
    const pair = (line: number, a: string, b: string): Conversation => ({ kind: 'completion', line, turns: [{ role: 'user', content: 'Q:' }, { role: 'assistant', content: a }], rejected: { role: 'assistant', content: b } });
    // Through the protocol's check, as the worker receives it.
    const req = parseRequest(await startExamples([pair(1, ' yes', ' no'), pair(2, ' good', ' bad')], [pair(3, ' fine', ' poor')], config));
    await s.handle(req);
    const steps = events.filter((e) => e.type === 'step');
    if (steps.length !== 2) throw new Error(JSON.stringify(events.at(-1)));
    expect(steps[0].type === 'step' && steps[0].metrics.metrics).toMatchObject({ 'rewards/chosen': 0, 'rewards/margins': 0 });
    const evals = events.filter((e) => e.type === 'eval');
    expect(evals.length).toBeGreaterThan(0);
    expect(evals[0].type === 'eval' && Object.keys(evals[0].metrics ?? {})).toContain('rewards/accuracies');
    await s.handle({ type: 'export' });
    expect(events.some((e) => e.type === 'exported')).toBe(true);
  });

  it('the protocol refuses a bad objective', () => {
    const config = { ...defaultTrainConfig('lora'), objective: { ...defaultPreferenceConfig('sigmoid'), beta: -1 } };
    expect(() => parseRequest({ type: 'start-examples', train: [{ prompt: [1], chosen: [2], rejected: [3] }], validation: [], config, truncated: 0, droppedNoLoss: 0 })).toThrow(/beta/);
  });
});
