// The batched rollout against the single-row generator (generate.ts, itself tested against the uncached
// window): at temperature 0 all k rows follow the greedy path exactly, on GPT-2 and Llama (rotated cached keys),
// stopping at the eos; sampled rows are deterministic per seed and report one entropy per drawn token.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../generate';
import { disposeWeights, initWeights } from '../model';
import { parseModelConfig } from '../model-config';
import { mulberry32 } from '../random';
import { tinyCheckpointWeights, tinyRawConfig } from '../test-checkpoints';
import { tinyConfig, useCpu } from '../test-utils';
import type { ModelConfig, WeightMap } from '../types';
import { sampleGroup } from './rollout';

beforeAll(useCpu);

function llama(): { config: ModelConfig; weights: WeightMap } {
  const config = parseModelConfig(tinyRawConfig('llama'));
  const host = tinyCheckpointWeights(config, 4);
  return { config, weights: new Map(Object.entries(host).map(([k, t]) => [k, tf.tensor(t.data, t.shape)])) };
}

describe('sampleGroup', () => {
  it.each([
    ['gpt2', () => { const config = tinyConfig({ vocab_size: 40, eos_token_id: 3 }); return { config, weights: initWeights(config, 5) }; }],
    ['llama', llama],
  ] as const)('%s: greedy rows equal generate(), eos kept and the row stopped', async (_name, make) => {
    const { config, weights } = make();
    const prompt = [5, 9, 2, 7];
    const want = await generate(config, weights, undefined, prompt, { maxNewTokens: 6, temperature: 0 });
    const g = await sampleGroup(config, weights, {}, prompt, { k: 3, maxNewTokens: 6, temperature: 0 }, mulberry32(1));
    expect(g.completions).toEqual([want, want, want]);
    // With the first greedy token as the eos, every row stops after it and keeps it.
    const eos = want[0];
    const s = await sampleGroup(config, weights, {}, prompt, { k: 2, maxNewTokens: 6, temperature: 0, eosId: eos }, mulberry32(1));
    expect(s.completions).toEqual([[eos], [eos]]);
    disposeWeights(weights);
  });

  it('sampled rows are seeded, differ from each other, and carry one entropy per token', async () => {
    const config = tinyConfig({ vocab_size: 40 });
    const weights = initWeights(config, 5);
    const run = () => sampleGroup(config, weights, {}, [1, 2], { k: 4, maxNewTokens: 5, temperature: 1 }, mulberry32(9));
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(new Set(a.completions.map((c) => c.join())).size).toBeGreaterThan(1);
    a.completions.forEach((c, i) => expect(a.entropies[i]).toHaveLength(c.length));
    // A near-uniform random model: entropies close to ln(40) and never above it.
    for (const e of a.entropies.flat()) expect(e).toBeLessThanOrEqual(Math.log(40) + 1e-9);
    disposeWeights(weights);
  });
});
