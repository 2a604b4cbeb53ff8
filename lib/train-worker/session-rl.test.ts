// An RL run through the worker's session, as the studio sends it: prompt/completion Conversations (the completion
// is the reference answer), GRPO with the config's exact-match reward on a tiny random Llama, step and eval events
// with the RL metrics, prompt rows from the Data step accepted, and the LoRA adapter exported; a transferred
// reward-model folder scores instead of rules, is freed after the run, and a folder that is not one is refused.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { defaultRlConfig } from '../engine/rl/config';
import { parseRequest, type WorkerEvent } from './protocol';
import { TrainSession } from './session';
import { startExamples, stubDemoTokenizerFetch, TINY_LLAMA_LOAD, tinyLoraRun } from './test-start';
import type { Conversation } from '../data/types';
import { rewardModelBundle } from '../export/reward-folder';
import { byteTokenizerJson, tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';
import type { RunSummary } from '../export/model-card';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

const buffers = (files: Map<string, Uint8Array> | Record<string, Uint8Array>) =>
  Object.fromEntries([...(files instanceof Map ? files : Object.entries(files))].map(([k, v]) => [k, v.slice().buffer as ArrayBuffer]));

describe('TrainSession with an RL objective', () => {
  it('trains GRPO on prompts against exact match, reports reward, KL, entropy and length, exports the adapter', async () => {
    stubDemoTokenizerFetch();
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    await s.handle(TINY_LLAMA_LOAD);
    const config = tinyLoraRun({ ...defaultRlConfig('grpo'), numGenerations: 2, maxNewTokens: 3, reward: ['exact'] }, 2);
    const rec = (line: number, q: string, a: string): Conversation => ({ kind: 'completion', line, turns: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
    await s.handle(parseRequest(await startExamples([rec(1, '1+1=', '2'), rec(2, '2+2=', '4')], [rec(3, '3+3=', '6')], config)));
    const steps = events.filter((e) => e.type === 'step');
    if (steps.length !== 2) throw new Error(JSON.stringify(events.at(-1)));
    const m = steps[1].type === 'step' ? steps[1].metrics.metrics! : {};
    for (const k of ['reward', 'kl', 'entropy', 'completions/mean_length']) expect(Number.isFinite(m[k])).toBe(true);
    const evals = events.filter((e) => e.type === 'eval');
    const ev = evals[0].type === 'eval' ? evals[0] : null;
    expect(ev!.valLoss).toBeCloseTo(-ev!.metrics!.reward, 6); // validation loss = minus the mean reward on validation prompts
    await s.handle({ type: 'export' });
    expect(events.some((e) => e.type === 'exported')).toBe(true);
  }, 120_000);

  it('scores with a transferred reward-model folder (another tokenizer) instead of rules, frees it after the run, refuses a plain model', async () => {
    stubDemoTokenizerFetch();
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    const load = TINY_LLAMA_LOAD;
    await s.handle(load);
    const loaded = s.memory();
    const rc = tinyConfig({ n_positions: 64 });
    const score = { shape: [1, rc.n_embd], data: Float32Array.from({ length: rc.n_embd }, (_, i) => Math.sin(i)) };
    const summary: RunSummary = { baseModel: 'tiny', method: 'full', hyperparameters: {}, date: '2026-12-01', steps: 1, firstLoss: 1, lastLoss: 1, trainExamples: 1, tokens: 0, backend: 'cpu', dataFile: 'x' };
    const rm = rewardModelBundle('rm', rc, tinyWeights(rc), { 'score.weight': score }, { 'tokenizer.json': new TextEncoder().encode(JSON.stringify(byteTokenizerJson())) }, summary).files;
    const config = tinyLoraRun({ ...defaultRlConfig('grpo'), numGenerations: 2, maxNewTokens: 3 }, 0); // no reward rules: the folder scores
    const rec = (line: number, q: string): Conversation => ({ kind: 'completion', line, turns: [{ role: 'user', content: q }, { role: 'assistant', content: 'x' }] });
    await s.handle(parseRequest(await startExamples([rec(1, '1+1='), rec(2, '2+2=')], [], config, { rewardModel: { name: 'rm', files: buffers(rm) } })));
    const steps = events.flatMap((e) => (e.type === 'step' ? [e.metrics.metrics!.reward] : []));
    if (steps.length !== 2) throw new Error(JSON.stringify(events.at(-1)));
    // The reward model's scores are real numbers: a mean of exact-match rewards over 4 answers would be a multiple of 1/4.
    expect(steps.some((r) => Number.isFinite(r) && Math.abs(r * 4 - Math.round(r * 4)) > 1e-3)).toBe(true);
    await s.handle(load); // drops the run's trainer with the model: what stays is the new model's weights only
    expect(s.memory()).toBe(loaded);
    const plain = buffers(tinyFolder(rc, tinyWeights(rc)));
    await s.handle(parseRequest(await startExamples([rec(1, '1+1=')], [], config, { rewardModel: { name: 'plain', files: plain } })));
    expect(events.at(-1)).toMatchObject({ type: 'error', during: 'train', message: expect.stringMatching(/plain is not a reward model/) });
    expect(s.memory()).toBe(loaded);
  }, 120_000);

  it('the protocol takes prompt rows from the Data step and refuses a bad RL objective', () => {
    const config = { ...defaultTrainConfig('lora'), objective: { ...defaultRlConfig('grpo'), reward: ['exact'] } };
    const req = parseRequest({ type: 'start-examples', train: [{ prompt: [1, 2], answer: '3' }], validation: [], config, truncated: 0, droppedNoLoss: 0 });
    expect(req.type === 'start-examples' && req.train[0]).toEqual({ prompt: [1, 2], answer: '3' });
    const bad = { ...config, objective: { ...config.objective, numGenerations: 0 } };
    expect(() => parseRequest({ type: 'start-examples', train: [{ prompt: [1, 2], answer: '3' }], validation: [], config: bad, truncated: 0, droppedNoLoss: 0 })).toThrow(/numGenerations/);
  });
});
