// `train --method grpo|rloo|ppo` end to end: a prompts file (plain prompts with reference answers, chat messages)
// trains a LoRA policy against --reward specs or a reward-model folder; --json step events carry meanReward, kl,
// entropy, responseLength and sampled answers; held-out prompts and --resume; bad flags, specs and records are refused
// with located reasons.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../export/model-card';
import { rewardModelBundle } from '../export/reward-folder';
import { byteTokenizerJson, tinyConfig, tinyWeights } from '../engine/test-fixtures';
import { parseObjective } from './objective-args';
import { events, root, runCli as cli, tinyModelDir } from './test-cli';

const config = tinyConfig({ n_positions: 64 });
const SUMMARY: RunSummary = { baseModel: 'tiny', method: 'full', hyperparameters: {}, date: '2026-12-01', steps: 1, firstLoss: 1, lastLoss: 1, trainExamples: 1, tokens: 0, backend: 'cpu', dataFile: 'x' };

function setup(): { dir: string; model: string; data: string } {
  const { dir, model } = tinyModelDir('webtune-rl-', config);
  const rows = [
    { prompt: '2+2=', answer: '4' },
    { messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }, { role: 'assistant', content: 'hi' }] },
    { prompt: [{ role: 'user', content: 'Name a colour' }], answer: 'blue' },
    { prompt: 'Sky:', answer: 'blue' },
  ];
  const data = join(dir, 'prompts.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
  return { dir, model, data };
}

describe('train --method grpo|ppo', () => {
  it('GRPO against --reward specs writes the adapter; steps carry the RL fields and sampled answers', async () => {
    const { dir, model, data } = setup();
    const out = join(dir, 'out');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'grpo', '--reward', 'exact', '--reward', '0.5*length:3', '--num-generations', '2',
      '--max-new-tokens', '3', '--steps', '2', '--batch', '2', '--seq-len', '64', '--lora-r', '2', '--sample-every', '2', '--out', out, '--json', '--backend', 'cpu']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const ev = events(r.stdout);
    expect(ev[0]).toMatchObject({ event: 'data', format: 'chat', records: 4, prompts: 4, withAnswer: 4, reward: 'exact match + 0.5*length 3' });
    const steps = ev.filter((e) => e.event === 'step');
    expect(steps).toHaveLength(2);
    for (const s of steps) {
      for (const k of ['meanReward', 'kl', 'entropy', 'responseLength']) expect(Number.isFinite(s[k])).toBe(true);
      expect(s.responseLength).toBeGreaterThan(0);
      expect(s.responseLength).toBeLessThanOrEqual(3);
      expect(s.samples).toHaveLength(3); // step 1 and every --sample-every steps
      expect(s.samples[0]).toEqual({ prompt: expect.any(String), completion: expect.any(String), reward: expect.any(Number) });
    }
    expect(existsSync(join(out, 'adapter_config.json'))).toBe(true);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
  }, 180_000);

  it('PPO against a reward-model folder', async () => {
    const { dir, model, data } = setup();
    const rm = join(dir, 'rm');
    mkdirSync(rm);
    const score = { shape: [1, config.n_embd], data: Float32Array.from({ length: config.n_embd }, (_, i) => Math.sin(i)) };
    const tok = { 'tokenizer.json': new TextEncoder().encode(JSON.stringify(byteTokenizerJson())) };
    for (const [name, bytes] of Object.entries(rewardModelBundle('rm', config, tinyWeights(config), { 'score.weight': score }, tok, SUMMARY).files)) writeFileSync(join(rm, name), bytes);
    const out = join(dir, 'out');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'ppo', '--reward-model', rm, '--max-new-tokens', '3', '--steps', '2', '--batch', '2',
      '--seq-len', '64', '--lora-r', '2', '--out', out, '--json', '--backend', 'cpu']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const ev = events(r.stdout);
    expect(ev[0].reward).toBe('reward model rm');
    const steps = ev.filter((e) => e.event === 'step');
    expect(steps).toHaveLength(2);
    expect(Number.isFinite(steps[1].meanReward)).toBe(true);
    expect(steps[0].kl).toBeCloseTo(0, 5); // the first rollout is the reference's own policy
    expect(existsSync(join(out, 'adapter_config.json'))).toBe(true);
  }, 180_000);

  it('--val-ratio holds prompts out and reports their mean reward; --resume continues the saved run', async () => {
    const { dir, model, data } = setup();
    const common = ['--model', model, '--data', data, '--method', 'grpo', '--reward', 'regex:a', '--num-generations', '2', '--max-new-tokens', '2',
      '--batch', '1', '--seq-len', '64', '--lora-r', '2', '--val-ratio', '0.25', '--val-every', '1', '--json', '--backend', 'cpu'];
    const first = await cli(['train', ...common, '--steps', '1', '--out', join(dir, 'a')]);
    if (first.code !== 0) throw new Error(first.stdout + first.stderr);
    const ev = events(first.stdout);
    expect(ev[0]).toMatchObject({ prompts: 3, validationPrompts: 1 });
    expect(ev.find((e) => e.event === 'eval')).toMatchObject({ step: 1, meanReward: expect.any(Number), kl: expect.any(Number) });
    expect(existsSync(join(dir, 'a', 'train-state.json'))).toBe(true);
    const second = await cli(['train', ...common, '--steps', '2', '--resume', join(dir, 'a'), '--out', join(dir, 'b')]);
    if (second.code !== 0) throw new Error(second.stdout + second.stderr);
    const ev2 = events(second.stdout);
    expect(ev2.find((e) => e.event === 'resume')).toMatchObject({ step: 1, steps: 2 });
    expect(ev2.filter((e) => e.event === 'step').map((e) => e.step)).toEqual([2]);
    expect(ev2.at(-1)).toMatchObject({ event: 'done', steps: 2 });
  }, 180_000);

  it('reads prompts from any shape the data studio reads (LLaMA-Factory\'s Alpaca demo): the output is the answer', async () => {
    const { dir, model } = setup();
    const r = await cli(['train', '--model', model, '--data', join(root, '../shared/data/alpaca_en_demo.json'), '--method', 'rloo', '--reward', 'exact',
      '--max-new-tokens', '2', '--steps', '1', '--batch', '1', '--seq-len', '64', '--lora-r', '2', '--out', join(dir, 'o'), '--json', '--backend', 'cpu']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const ev = events(r.stdout);
    expect(ev[0].prompts).toBeGreaterThan(100);
    expect(ev[0].withAnswer).toBe(ev[0].prompts);
    expect(ev.filter((e) => e.event === 'step')).toHaveLength(1);
  }, 120_000);

  it('refuses a prompts file with a record that is not a prompt, naming its line', async () => {
    const { dir, model } = setup();
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [JSON.stringify({ prompt: 'ok' }), JSON.stringify({ text: 'no prompt here' })].join('\n'));
    const r = await cli(['train', '--model', model, '--data', bad, '--method', 'grpo', '--reward', 'regex:a', '--steps', '1', '--seq-len', '64', '--out', join(dir, 'o')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/bad\.jsonl line 2: no prompt: an RL record needs a string "prompt" or chat "messages"/);
  }, 60_000);

  it.each([
    [['--method', 'grpo'], /needs a reward: --reward-model <dir> or --reward <spec>, not neither/],
    [['--method', 'grpo', '--reward', 'exact', '--reward-model', 'x'], /not both/],
    [['--method', 'grpo', '--reward', 'exact', '--num-generations', '1'], /at least 2 for grpo/],
    [['--method', 'rloo', '--reward', 'exact', '--gamma', '0.9'], /--gamma does not apply to --method rloo/],
    [['--method', 'lora', '--reward', 'exact'], /--reward applies to RL/],
    [['--method', 'grpo', '--reward', 'exact', '--beta', '-1'], /--beta:/],
    [['--method', 'ppo', '--reward', 'exact', '--loss-type', 'dapo'], /--loss-type for RL/],
  ])('refuses %j', (args, msg) => {
    const values: Record<string, string | boolean | string[]> = {};
    for (let i = 0; i < args.length; i += 2) values[args[i].slice(2)] = args[i] === '--reward' ? [...((values.reward as string[]) ?? []), args[i + 1]] : args[i + 1];
    expect(() => parseObjective(values)).toThrow(msg);
  });

  it('parses RL flags into the objective with TRL defaults', () => {
    expect(parseObjective({ method: 'grpo', reward: ['exact'], beta: '0.2', 'loss-type': 'grpo' })).toMatchObject({ method: 'lora', objective: { kind: 'rl', algorithm: 'grpo', numGenerations: 8, beta: 0.2, epsilon: 0.2, lossType: 'grpo' } });
    expect(parseObjective({ method: 'ppo', 'reward-model': 'rm', 'base-method': 'full', 'vf-coef': '0.5' })).toMatchObject({ method: 'full', objective: { algorithm: 'ppo', numGenerations: 1, vfCoef: 0.5, lam: 0.95 } });
  });
});
