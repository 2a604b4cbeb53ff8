// RL end to end on a synthetic verifiable task: a tiny random GPT-2 learns to emit token 5 (the letter E once
// decoded, about one token in twenty before training) because a programmatic reward (regex:E) pays for it. GRPO, RLOO and PPO each raise the mean reward
// clearly while the KL to the reference stays bounded; the reference weights never change; tensors do not leak.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PromptExample } from '../../data/types';
import { disposeWeights } from '../gpt2';
import { mulberry32 } from '../random';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu, values } from '../test-utils';
import { Trainer } from '../trainer';
import type { StepMetrics, TrainConfig } from '../types';
import { defaultRlConfig, type RlAlgorithm, type RlConfig } from './config';
import type { RolloutSample } from './objective';
import { programmaticReward } from './rewards';

beforeAll(useCpu);

const config = tinyConfig({ vocab_size: 12, eos_token_id: 0, n_positions: 16 });
const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(64 + i)).join(''); // 5 -> 'E'

function prompts(n: number, seed: number): PromptExample[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => ({ prompt: Array.from({ length: 3 }, () => 1 + Math.floor(rng() * 11)) }));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run(algorithm: RlAlgorithm, over: Partial<RlConfig>, cfgOver: Partial<TrainConfig> = {}) {
  const weights = noisyWeights(config, 3, 0.1);
  const before = new Map([...weights].map(([k, t]) => [k, values(t)]));
  const objective: RlConfig = { ...defaultRlConfig(algorithm), maxNewTokens: 4, ...over };
  const cfg = tinyTrainConfig({ method: 'lora', steps: 20, batchSize: 4, lr: 2e-2, objective, ...cfgOver });
  const steps: StepMetrics[] = [];
  const samples: RolloutSample[][] = [];
  const reward = programmaticReward(['regex:E'], decode, 0);
  const tensors = tf.memory().numTensors;
  const trainer = new Trainer({ config, weights }, prompts(32, 1), [], cfg, { onStep: (m) => steps.push(m) }, { rl: { reward, onRollout: (s) => samples.push(s) } });
  const headBefore = await trainer.exportHeads();
  await trainer.run();
  const headAfter = await trainer.exportHeads();
  trainer.dispose();
  const leaked = tf.memory().numTensors - tensors;
  const unchanged = [...weights].every(([k, t]) => values(t).every((x, i) => x === before.get(k)![i]));
  disposeWeights(weights);
  const r = steps.map((s) => s.metrics!.reward);
  // PPO's value head trains with the policy; the critic-free algorithms have none.
  const headMoved = Object.keys(headBefore).map((k) => headAfter[k].data.some((x, i) => x !== headBefore[k].data[i]));
  return { steps, samples, headMoved, first: mean(r.slice(0, 5)), last: mean(r.slice(-5)), maxKl: Math.max(...steps.map((s) => s.metrics!.kl)), leaked, unchanged };
}

describe('RL on a verifiable task (reward for emitting token 5)', () => {
  it.each([
    ['grpo', { numGenerations: 4, beta: 0.1 }],
    ['rloo', { numGenerations: 4, beta: 0.1 }],
    ['ppo', { numGenerations: 1, beta: 0.1, temperature: 1, numPpoEpochs: 1 }],
  ] as const)('%s raises the mean reward while the KL stays bounded', async (algorithm, over) => {
    const r = await run(algorithm, over, algorithm === 'ppo' ? { batchSize: 16 } : {});
    expect(r.first).toBeLessThan(0.45);
    expect(r.last).toBeGreaterThan(r.first + 0.25);
    expect(r.maxKl).toBeLessThan(1);
    expect(r.maxKl).toBeGreaterThan(0); // the policy did move away from the reference
    expect(r.unchanged).toBe(true); // the reference (the base weights, adapter off) is never touched
    expect(r.leaked).toBe(0);
    expect(r.headMoved).toEqual(algorithm === 'ppo' ? [true, true] : []);
    const m = r.steps[r.steps.length - 1].metrics!;
    expect(m['completions/mean_length']).toBeGreaterThan(0);
    expect(m['completions/mean_length']).toBeLessThanOrEqual(4);
    expect(m.entropy).toBeGreaterThan(0);
    // Each rollout reports every sampled answer with its reward: k per prompt.
    expect(r.samples[0]).toHaveLength((algorithm === 'ppo' ? 16 : 4) * over.numGenerations);
    expect(r.samples[0].every((s) => s.reward === (decode(s.completion).includes('E') ? 1 : 0))).toBe(true);
  }, 300_000);

  it('full fine-tuning: the policy trains variables over the loaded weights, which stay the reference', async () => {
    const r = await run('grpo', { numGenerations: 4, beta: 0.1 }, { method: 'full', steps: 4, lr: 1e-2 });
    expect(r.unchanged).toBe(true);
    expect(r.steps[0].metrics!.kl).toBeCloseTo(0, 6); // the first rollout is the reference's own
    expect(r.steps[3].metrics!.kl).toBeGreaterThan(0);
    expect(r.leaked).toBe(0);
  }, 60_000);

  it('refuses GRPO with one generation and a run without a reward', () => {
    const weights = noisyWeights(config, 3, 0.1);
    const reward = programmaticReward(['regex:E'], decode, 0);
    const cfg = (o: Partial<RlConfig>) => tinyTrainConfig({ objective: { ...defaultRlConfig('grpo'), ...o } });
    expect(() => new Trainer({ config, weights }, prompts(4, 1), [], cfg({ numGenerations: 1 }), {}, { rl: { reward } })).toThrow(/at least 2/);
    expect(() => new Trainer({ config, weights }, prompts(4, 1), [], cfg({}))).toThrow(/needs a reward/);
    expect(() => new Trainer({ config, weights }, [{ prompt: [1], chosen: [2], rejected: [3] }], [], cfg({}), {}, { rl: { reward } })).toThrow(/row 0 is not a prompt/);
    disposeWeights(weights);
  });
});
