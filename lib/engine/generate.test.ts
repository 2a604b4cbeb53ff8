// Generation: greedy equals step-by-step argmax of the full forward pass, sampling follows softmax(logits / T)
// within top-k and top-p, seeds repeat, eos and stop texts stop, the repetition penalty follows HF's rule, the
// context window slides past n_positions, and the KV cache gives the same tokens as rerunning the window (both
// families, GQA, with prompt-tuning, prefix-tuning and bottleneck adapters).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, generateWithReason, penalise, sampleToken } from './generate';
import { disposeWeights, gpt2Forward } from './gpt2';
import { forward } from './model';
import { parseModelConfig } from './model-config';
import { createLora, disposeLora } from './peft/lora';
import { loraTargetPresets } from './params';
import { peftMethod } from './peft/methods';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import type { ModelConfig, WeightMap } from './types';
import { mulberry32, normalArray } from './random';
import { noisyWeights, tinyConfig, tinyTrainConfig, useCpu, values } from './test-utils';

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

describe('generation with the KV cache', () => {
  const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 50, bos_token_id: 0, eos_token_id: 0, max_position_embeddings: 24 })) as ModelConfig;
  const families: [string, ModelConfig, () => WeightMap][] = [
    ['gpt2', tinyConfig({ n_positions: 24 }), () => noisyWeights(tinyConfig({ n_positions: 24 }), 2, 0.3)],
    ['llama (GQA)', llama, () => new Map(Object.entries(tinyCheckpointWeights(llama, 3, 0.3)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]))],
  ];
  const adapters = ['none', 'prompt', 'prefix', 'adapter', 'lora'];

  it.each(families.flatMap(([name, c, w]) => adapters.map((a) => [name, a, c, w] as const)))('%s, adapter %s: greedy and sampled tokens equal those without the cache, also past the window', async (_, id, c, makeWeights) => {
    const w = makeWeights();
    const base = tinyTrainConfig();
    const train = { ...base, lora: { ...base.lora, targetModules: loraTargetPresets(c).presets['all-linear'] }, methodConfig: { [id]: { numVirtualTokens: 4 } } };
    const state = id === 'none' ? undefined : peftMethod(id).create(c, w, train, 5);
    const rng = mulberry32(8);
    for (const v of state?.variables ?? []) v.assign(tf.tensor(normalArray(v.size, 0.4, rng), v.shape));
    const prompt = [3, 9, 4, 1, 7];
    const before = tf.memory().numTensors;
    // 5 + 18 new tokens pass the 24 - 4 positions left by prompt and prefix adapters: the window slides.
    for (const opts of [{ maxNewTokens: 18, temperature: 0 }, { maxNewTokens: 8, temperature: 1.2, topK: 20, topP: 0.9, seed: 3, repetitionPenalty: 1.3 }]) {
      const cached = await generate(c, w, state?.adapter, prompt, opts);
      expect(cached).toHaveLength(opts.maxNewTokens);
      expect(await generate(c, w, state?.adapter, prompt, { ...opts, cache: false })).toEqual(cached);
    }
    expect(tf.memory().numTensors).toBe(before);
    state?.dispose();
    disposeWeights(w);
  });

  it('greedy through a prompt adapter is the argmax of its full forward pass', async () => {
    const c = tinyConfig({ n_positions: 24 });
    const w = noisyWeights(c, 4, 0.3);
    const state = peftMethod('prompt').create(c, w, { ...tinyTrainConfig(), methodConfig: { prompt: { numVirtualTokens: 3 } } }, 2);
    const ids = [5, 2, 8];
    const out = await generate(c, w, state.adapter, ids, { maxNewTokens: 4, temperature: 0 });
    for (const next of out) {
      const logits = values(tf.tidy(() => forward(c, w, tf.tensor2d([ids], [1, ids.length], 'int32'), { adapter: state.adapter })));
      const last = Array.from(logits.slice((ids.length - 1) * c.vocab_size));
      expect(next).toBe(last.indexOf(Math.max(...last)));
      ids.push(next);
    }
    state.dispose();
    disposeWeights(w);
  });

  it('stops at a stop text (its tokens returned) and says why', async () => {
    const c = tinyConfig({ n_positions: 24 });
    const w = noisyWeights(c, 4, 0.3);
    const all = await generate(c, w, undefined, [1, 2], { maxNewTokens: 6, temperature: 0 });
    const decode = (ids: number[]) => ids.map((i) => `<${i}>`).join('');
    const r = await generateWithReason(c, w, undefined, [1, 2], { maxNewTokens: 6, temperature: 0, stop: { sequences: [`<${all[2]}>`], decode } });
    expect(r).toEqual({ ids: all.slice(0, all.indexOf(all[2]) + 1), reason: 'stop' });
    expect((await generateWithReason(c, w, undefined, [1, 2], { maxNewTokens: 6, temperature: 0 })).reason).toBe('length');
    disposeWeights(w);
  });
});

describe('top-p and repetition penalty', () => {
  it('top-p keeps the smallest most likely set reaching p', () => {
    const rng = mulberry32(4);
    // p = [0.5, 0.3, 0.15, 0.05]: top-p 0.7 keeps tokens 0 and 1; 0.85 also keeps 2 (0.5 + 0.3 < 0.85).
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    const drawn = (p: number) => new Set(Array.from({ length: 600 }, () => sampleToken(logits, 1, 0, rng, p)));
    expect([...drawn(0.7)].sort()).toEqual([0, 1]);
    expect([...drawn(0.85)].sort()).toEqual([0, 1, 2]);
    expect([...drawn(0.1)]).toEqual([0]);
    // Within the kept set, frequencies follow the renormalised probabilities: 0.5 / 0.8.
    const f = Array.from({ length: 4000 }, () => sampleToken(logits, 1, 0, rng, 0.7)).filter((x) => x === 0).length / 4000;
    expect(Math.abs(f - 0.625)).toBeLessThan(0.03);
  });

  it('the penalty divides positive logits of seen tokens and multiplies negative ones (HF)', () => {
    expect(Array.from(penalise([2, -2, 1, 4], [0, 1, 1], 2))).toEqual([1, -4, 1, 4]);
    expect(Array.from(penalise([2, -2], [0], 1))).toEqual([2, -2]);
  });
});
