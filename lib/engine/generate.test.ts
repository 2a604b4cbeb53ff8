// Generation: greedy equals step-by-step argmax of the full forward pass, sampling follows softmax(logits / T)
// within top-k, seeds repeat, eos stops, and the context window slides past n_positions.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, sampleToken } from './generate';
import { disposeWeights, gpt2Forward } from './gpt2';
import { createLora, disposeLora } from './peft/lora';
import { mulberry32, normalArray } from './random';
import { noisyWeights, tinyConfig, useCpu, values } from './test-utils';

beforeAll(useCpu);

const config = tinyConfig({ n_positions: 12 });

function argmaxNext(weights: Map<string, tf.Tensor>, ids: number[]): number {
  const logits = values(gpt2Forward(config, weights, tf.tensor2d([ids], [1, ids.length], 'int32')));
  const last = Array.from(logits.slice((ids.length - 1) * config.vocab_size));
  return last.indexOf(Math.max(...last));
}

describe('generate', () => {
  it('greedy decoding is argmax of the full forward pass, token by token', async () => {
    const w = noisyWeights(config, 2, 0.3);
    const prompt = [4, 9, 1];
    const out = await generate(config, w, undefined, prompt, { maxNewTokens: 5, temperature: 0 });
    const want: number[] = [];
    const ids = [...prompt];
    for (let i = 0; i < 5; i++) {
      want.push(argmaxNext(w, ids));
      ids.push(want[i]);
    }
    expect(out).toEqual(want);
    // eos: stop at its first occurrence, without returning it.
    const eos = want[4];
    expect(await generate(config, w, undefined, prompt, { maxNewTokens: 5, temperature: 0, eosId: eos })).toEqual(want.slice(0, want.indexOf(eos)));
    disposeWeights(w);
  });

  it('samples reproducibly per seed, uses the adapter, slides the window and leaks nothing', async () => {
    const w = noisyWeights(config, 2, 0.3);
    const lora = createLora(config, { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn'], useRslora: false }, 1);
    const mod = lora.modules.get('h.0.attn.c_attn')!;
    mod.B.assign(tf.tensor(normalArray(mod.B.size, 2, mulberry32(3)), mod.B.shape));
    const prompt = Array.from({ length: 10 }, (_, i) => i + 1); // 10 + 6 > n_positions = 12
    const count = tf.memory().numTensors;
    const opts = { maxNewTokens: 6, temperature: 1, topK: 10, seed: 5 };
    const a = await generate(config, w, lora, prompt, opts);
    expect(a).toHaveLength(6);
    expect(await generate(config, w, lora, prompt, opts)).toEqual(a);
    expect(await generate(config, w, lora, prompt, { ...opts, seed: 6 })).not.toEqual(a);
    const greedyBase = await generate(config, w, undefined, prompt, { maxNewTokens: 6, temperature: 0 });
    expect(await generate(config, w, lora, prompt, { maxNewTokens: 6, temperature: 0 })).not.toEqual(greedyBase);
    expect(tf.memory().numTensors).toBe(count);
    disposeLora(lora);
    disposeWeights(w);
  });
});

describe('sampleToken', () => {
  it('draws with probabilities softmax(logits / temperature)', () => {
    const rng = mulberry32(1);
    // logits [0, ln 3]: p = [1/4, 3/4] at T = 1; at T = 2, [0, ln 3 / 2]: p1 = sqrt(3) / (1 + sqrt(3)) = 0.634.
    const freq = (t: number) => Array.from({ length: 4000 }, () => sampleToken([0, Math.log(3)], t, 0, rng)).filter((x) => x === 1).length / 4000;
    expect(freq(1)).toBeCloseTo(0.75, 1);
    expect(Math.abs(freq(2) - 0.634)).toBeLessThan(0.03);
  });

  it('keeps only the top k and is argmax at temperature 0', () => {
    const rng = mulberry32(2);
    const logits = [3, 5, 4, -1, 4.5];
    const drawn = new Set(Array.from({ length: 500 }, () => sampleToken(logits, 5, 2, rng)));
    expect([...drawn].sort()).toEqual([1, 4]);
    expect(sampleToken(logits, 0, 0, rng)).toBe(1);
    expect(sampleToken(logits, 1, 1, rng)).toBe(1);
  });
});
