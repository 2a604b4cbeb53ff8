// PPO's epochs and minibatches (ppo-updates.ts): advantages over the whole rollout batch against TRL's formulas run in
// PyTorch (per-token rewards, masked_whiten, the GAE loop), the schedule (every answer once per epoch, a fresh
// shuffle per epoch, stats counted once), and on a tiny GPT-2 through the Trainer: epochs x minibatches AdamW updates
// per step and the reward rising.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PromptExample } from '../../data/types';
import { disposeWeights } from '../gpt2';
import { mulberry32 } from '../random';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu } from '../test-utils';
import { Trainer } from '../trainer';
import type { StepMetrics } from '../types';
import { defaultRlConfig, type RlConfig } from './config';
import { ppoAdvantages, ppoUpdates, type PpoRow } from './ppo-updates';
import { programmaticReward } from './rewards';

beforeAll(useCpu);

/** Rows of lengths 3, 1, 4 (completion tokens) with given numbers. */
function rows(): PpoRow[] {
  const rng = mulberry32(7);
  const r = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
  return [3, 1, 4].map((n, i) => {
    const old = r(n).map((x) => x - 2);
    return { ids: Array.from({ length: n + 2 }, (_, t) => 1 + t), mask: [0, 0, ...Array<number>(n).fill(1)], old, ref: old.map((x) => x + 0.1 * (rng() - 0.5)), values: r(n), score: [1, -0.5, 2][i], stats: [i, 1, 0, n, 0] };
  });
}

/** TRL's PPOTrainer steps 4 to 6 in PyTorch over a right-padded [N, L] batch, the score at each row's last token. */
const TORCH_REF = String.raw`
import json, sys, torch
def trl(d):
    L = max(len(r['old']) for r in d['rows'])
    pad = lambda xs: xs + [0.0] * (L - len(xs))
    old = torch.tensor([pad(r['old']) for r in d['rows']], dtype=torch.float64)
    ref = torch.tensor([pad(r['ref']) for r in d['rows']], dtype=torch.float64)
    values = torch.tensor([pad(r['values']) for r in d['rows']], dtype=torch.float64)
    lens = torch.tensor([len(r['old']) for r in d['rows']])
    mask = torch.arange(L)[None, :] < lens[:, None]
    def masked_mean(v, m): return (v * m).sum() / m.sum()
    def masked_var(v, m):
        mean = masked_mean(v, m); c = v - mean; var = masked_mean(c ** 2, m); n = m.sum()
        return var * n / (n - 1)
    def masked_whiten(v, m, shift_mean=True):
        mean, var = masked_mean(v, m), masked_var(v, m)
        w = (v - mean) * torch.rsqrt(var + 1e-8)
        return w if shift_mean else w + mean
    kl = old - ref
    rewards = -d['beta'] * kl
    rewards[torch.arange(len(lens)), lens - 1] += torch.tensor([r['score'] for r in d['rows']], dtype=torch.float64)
    rewards = torch.where(mask, rewards, torch.zeros_like(rewards))
    values = torch.where(mask, values, torch.zeros_like(values))
    if d['whiten']:
        rewards = torch.where(mask, masked_whiten(rewards, mask, False), torch.zeros_like(rewards))
    last, rev = 0, []
    for t in reversed(range(L)):
        nextv = values[:, t + 1] if t < L - 1 else 0.0
        delta = rewards[:, t] + d['gamma'] * nextv - values[:, t]
        last = delta + d['gamma'] * d['lam'] * last
        rev.append(last)
    adv = torch.stack(rev[::-1], 1)
    ret = adv + values
    adv = masked_whiten(adv, mask)
    return ({'adv': [adv[i, :n].tolist() for i, n in enumerate(lens.tolist())], 'ret': [ret[i, :n].tolist() for i, n in enumerate(lens.tolist())]})
print(json.dumps([trl(dict(d, whiten=w)) for d in [json.loads(sys.stdin.read())] for w in (False, True)]))
`;

describe('PPO advantages over the rollout batch', () => {
  it('match TRL\'s rewards, whitening and GAE run in PyTorch (float64)', () => {
    const rs = rows();
    const o = { beta: 0.05, gamma: 0.97, lam: 0.9 };
    const input = JSON.stringify({ rows: rs.map((r) => ({ old: [...r.old], ref: [...r.ref], values: [...r.values], score: r.score })), ...o });
    const want = JSON.parse(execFileSync('/usr/bin/python3', ['-c', TORCH_REF], { input, encoding: 'utf8' })) as { adv: number[][]; ret: number[][] }[];
    [false, true].forEach((whitenRewards, v) => {
      const got = ppoAdvantages(rs, { ...o, whitenRewards });
      rs.forEach((_, i) => {
        [...got.adv[i]].forEach((x, t) => expect(x).toBeCloseTo(want[v].adv[i][t], 5));
        [...got.returns[i]].forEach((x, t) => expect(x).toBeCloseTo(want[v].ret[i][t], 5));
      });
    });
  });
});

describe('PPO schedule: epochs x minibatches', () => {
  const base = { beta: 0.05, gamma: 1, lam: 0.95, whitenRewards: false, seqLen: 16, padId: 0, seed: 3 };

  it('gives every answer once per epoch, a fresh shuffle each epoch, micro-batches of the run\'s size, and stats once', () => {
    const rs = [...rows(), ...rows().map((r) => ({ ...r, score: r.score + 1 }))]; // 6 distinct answers
    const updates = ppoUpdates(rs, { ...base, epochs: 2, miniBatches: 3, microRows: 1 });
    expect(updates).toHaveLength(6); // 2 epochs x 3 minibatches
    expect(updates.every((u) => u.length === 2 && u.every((m) => m.seq.N === 1))).toBe(true);
    const { adv } = ppoAdvantages(rs, base);
    const rowOf = (m: (typeof updates)[0][0]) => adv.findIndex((a) => a.length === m.adv.length && a.every((x, t) => x === m.adv[t]));
    const epoch = (e: number) => updates.slice(3 * e, 3 * e + 3).flat().map(rowOf);
    expect([...epoch(0)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...epoch(1)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(epoch(1)).not.toEqual(epoch(0));
    const stats = updates.flat().reduce((a, m) => a.map((x, j) => x + m.stats[j]), [0, 0, 0, 0, 0]);
    expect(stats).toEqual(rs.reduce((a, r) => a.map((x, j) => x + r.stats[j]), [0, 0, 0, 0, 0]));
    // Each micro-batch carries its rows' tokens: old log-probs and counted mask line up.
    for (const m of updates.flat()) expect(m.seq.mask.reduce((a, x) => a + x, 0)).toBe(m.M);
  });

  it('refuses a batch that does not split into the minibatches, naming the setting', () => {
    expect(() => ppoUpdates(rows(), { ...base, epochs: 1, miniBatches: 2, microRows: 1 })).toThrow(/3 answers .* 2 minibatches \(num_mini_batches\)/);
  });
});

describe('PPO on a tiny GPT-2 with several epochs and minibatches', () => {
  const config = tinyConfig({ vocab_size: 12, eos_token_id: 0, n_positions: 16 });
  const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(64 + i)).join(''); // 5 -> 'E'
  const rng = mulberry32(1);
  const prompts: PromptExample[] = Array.from({ length: 32 }, () => ({ prompt: Array.from({ length: 3 }, () => 1 + Math.floor(rng() * 11)) }));

  it('runs epochs x minibatches AdamW updates per rollout and raises the reward', async () => {
    const tensors = tf.memory().numTensors;
    const weights = noisyWeights(config, 3, 0.1);
    const objective: RlConfig = { ...defaultRlConfig('ppo'), maxNewTokens: 4, beta: 0.1, temperature: 1, numPpoEpochs: 2, numMiniBatches: 2 };
    const cfg = tinyTrainConfig({ method: 'lora', steps: 12, batchSize: 4, gradAccum: 2, lr: 2e-2, objective, evalEvery: 0 });
    const steps: StepMetrics[] = [];
    const trainer = new Trainer({ config, weights }, prompts, [], cfg, { onStep: (m) => steps.push(m) }, { rl: { reward: programmaticReward(['regex:E'], decode, 0) } });
    await trainer.run();
    expect((await trainer.saveState()).meta.adamSteps).toBe(12 * 2 * 2);
    trainer.dispose();
    disposeWeights(weights);
    expect(tf.memory().numTensors).toBe(tensors);
    const r = steps.map((s) => s.metrics!.reward);
    console.log(`PPO 2 epochs x 2 minibatches, mean reward by step: ${r.map((x) => x.toFixed(2)).join(' ')}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.slice(-4))).toBeGreaterThan(mean(r.slice(0, 4)) + 0.2);
    expect(steps.every((s) => s.metrics!['completions/mean_length'] > 0 && Number.isFinite(s.loss))).toBe(true);
  }, 120_000);
});

describe('an RL run resumed from its saved state', () => {
  const config = tinyConfig({ vocab_size: 12, eos_token_id: 0, n_positions: 16 });
  const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(64 + i)).join('');
  const rng = mulberry32(2);
  const prompts: PromptExample[] = Array.from({ length: 12 }, () => ({ prompt: Array.from({ length: 3 }, () => 1 + Math.floor(rng() * 11)) }));

  it('PPO (value head, epochs and minibatches): 2 steps, saved, then resumed to 4 equal 4 steps straight', async () => {
    const weights = noisyWeights(config, 3, 0.1);
    const objective: RlConfig = { ...defaultRlConfig('ppo'), maxNewTokens: 3, temperature: 1, numPpoEpochs: 2, numMiniBatches: 2 };
    const cfg = tinyTrainConfig({ method: 'lora', steps: 4, batchSize: 2, gradAccum: 2, lr: 2e-2, objective, evalEvery: 0 });
    const rl = () => ({ rl: { reward: programmaticReward(['regex:E'], decode, 0) } });
    const straight = new Trainer({ config, weights }, prompts, [], cfg, {}, rl());
    await straight.run();
    const want = await straight.saveState();
    straight.dispose();
    const first = new Trainer({ config, weights }, prompts, [], cfg, { onStep: (m) => m.step === 2 && first.stop() }, rl());
    await first.run();
    const half = await first.saveState();
    first.dispose();
    expect(half.meta.step).toBe(2);
    const second = new Trainer({ config, weights }, prompts, [], cfg, {}, rl());
    second.restoreState(half);
    await second.run();
    const got = await second.saveState();
    second.dispose();
    disposeWeights(weights);
    expect(got.meta.adamSteps).toBe(4 * 2 * 2);
    expect(got.params.length).toBe(want.params.length);
    got.params.forEach((p, i) => expect([...p.data]).toEqual([...want.params[i].data])); // LoRA and the value head, bit for bit
    expect(got.params.some((p, i) => p.data.some((x, j) => x !== half.params[i].data[j]))).toBe(true); // steps 3 and 4 did train
  }, 60_000);
});
