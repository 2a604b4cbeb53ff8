// An RL run through the worker's session, as the studio sends it: prompt/completion Conversations (the completion
// is the reference answer), GRPO with the config's exact-match reward on a tiny random Llama, step and eval events
// with the RL metrics, prompt rows from the Data step accepted, and the LoRA adapter exported.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { defaultRlConfig } from '../engine/rl/config';
import { parseRequest, type WorkerEvent } from './protocol';
import { TrainSession } from './session';
import { startExamples } from './test-start';
import type { Conversation } from '../data/types';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

describe('TrainSession with an RL objective', () => {
  it('trains GRPO on prompts against exact match, reports reward, KL, entropy and length, exports the adapter', async () => {
    const files = new Map(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(DEMO, f)))]));
    vi.stubGlobal('fetch', async (url: string) => {
      const bytes = files.get(url.replace(/^\/m\//, ''));
      return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
    });
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    await s.handle({ type: 'load', model: { kind: 'tiny-random', name: 't', tokenizerUrl: '/m/', seed: 0, family: 'llama' }, backend: 'cpu', allowFallbackAdapter: true });
    const base = defaultTrainConfig('lora');
    const objective = { ...defaultRlConfig('grpo'), numGenerations: 2, maxNewTokens: 3, reward: ['exact'] };
    const config = { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 2, lora: { ...base.lora, targetModules: ['q_proj', 'v_proj'] }, objective };
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

  it('the protocol takes prompt rows from the Data step and refuses a bad RL objective', () => {
    const config = { ...defaultTrainConfig('lora'), objective: { ...defaultRlConfig('grpo'), reward: ['exact'] } };
    const req = parseRequest({ type: 'start-examples', train: [{ prompt: [1, 2], answer: '3' }], validation: [], config, truncated: 0, droppedNoLoss: 0 });
    expect(req.type === 'start-examples' && req.train[0]).toEqual({ prompt: [1, 2], answer: '3' });
    const bad = { ...config, objective: { ...config.objective, numGenerations: 0 } };
    expect(() => parseRequest({ type: 'start-examples', train: [{ prompt: [1, 2], answer: '3' }], validation: [], config: bad, truncated: 0, droppedNoLoss: 0 })).toThrow(/numGenerations/);
  });
});
