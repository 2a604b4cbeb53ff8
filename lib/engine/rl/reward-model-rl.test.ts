// RLHF's whole route on a synthetic preference: a reward model trained here (the reward objective) prefers
// answers made of low tokens (1-5) to high ones (6-11); GRPO against it makes the policy's greedy answers score
// higher under that reward model than the base model's greedy answers do.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreferenceExample, PromptExample } from '../../data/types';
import { generate } from '../generate';
import { disposeWeights } from '../gpt2';
import { mulberry32 } from '../random';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu } from '../test-utils';
import { Trainer } from '../trainer';
import { defaultRlConfig } from './config';
import { rewardModelReward } from './rewards';

beforeAll(useCpu);

const config = tinyConfig({ vocab_size: 12, eos_token_id: 0, n_positions: 16 });
const rng = mulberry32(7);
const pick = (lo: number, hi: number, n: number) => Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo)));
const pairs: PreferenceExample[] = Array.from({ length: 64 }, () => ({ prompt: pick(1, 12, 3), chosen: [...pick(1, 6, 4), 0], rejected: [...pick(6, 12, 4), 0] }));
const prompts: PromptExample[] = Array.from({ length: 32 }, () => ({ prompt: pick(1, 12, 3) }));

describe('RL against a reward model trained in the test', () => {
  it('the policy\'s greedy answers score higher than the base\'s', async () => {
    const rmWeights = noisyWeights(config, 11, 0.1);
    const rm = new Trainer({ config, weights: rmWeights }, pairs, [], tinyTrainConfig({ method: 'full', steps: 15, batchSize: 8, lr: 5e-3, objective: { kind: 'reward' } }));
    await rm.run();
    const head = await rm.exportHeads();
    const score = tf.tensor2d(head['score.weight'].data, [1, head['score.weight'].shape[1]]);
    const reward = rewardModelReward({ config, weights: rm.evalModel().weights, score }, { seqLen: 16, padId: 0, eosId: 0 });

    const weights = noisyWeights(config, 3, 0.1);
    const objective = { ...defaultRlConfig('grpo'), numGenerations: 4, maxNewTokens: 4, beta: 0.05 };
    const policy = new Trainer({ config, weights }, prompts, [], tinyTrainConfig({ method: 'lora', steps: 12, batchSize: 4, lr: 2e-2, objective }), {}, { rl: { reward } });
    await policy.run();

    const held = Array.from({ length: 8 }, () => pick(1, 12, 3));
    const greedy = async (adapter?: ReturnType<Trainer['evalModel']>['adapter']) => {
      const items = [];
      for (const p of held) items.push({ prompt: p, completion: await generate(config, weights, adapter, p, { maxNewTokens: 4, temperature: 0 }) });
      return Array.from(await reward.score(items)).reduce((a, b) => a + b, 0) / items.length;
    };
    const base = await greedy();
    const tuned = await greedy(policy.evalModel().adapter);
    expect(tuned).toBeGreaterThan(base + 0.5);
    policy.dispose();
    rm.dispose();
    score.dispose();
    disposeWeights(weights);
    disposeWeights(rmWeights);
  }, 300_000);
});
