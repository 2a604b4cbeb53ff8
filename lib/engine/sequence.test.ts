// What a pass attends over, pinned by equivalences on both families (GPT-2, GQA Llama, a one-KV-head Mistral):
// a soft prompt equal to the embeddings of a context c, and a prefix equal to c's own keys and values (laid out as
// PEFT's prompt_embeddings file), give the logits of running c + tokens; the KV cache gives the logits of the full
// pass, with and without prompt and prefix adapters; packed rows give each example's logits alone.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { forward } from './model';
import { parseModelConfig } from './model-config';
import { peftMethod } from './peft/methods';
import { modelDims } from './peft/shapes';
import type { TrainableState } from './peft/types';
import { mulberry32, normalArray } from './random';
import { disposeKvCache, newKvCache } from './sequence';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { noisyWeights, relErr, tinyConfig, useCpu, values } from './test-utils';
import type { HostTensor, ModelConfig, WeightMap } from './types';

beforeAll(useCpu);

const V = 40;
const gpt2 = tinyConfig({ vocab_size: V, n_positions: 32, n_layer: 2 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: V })) as ModelConfig; // 4 heads, 2 KV heads
const mistral = parseModelConfig(tinyRawConfig('mistral', { vocab_size: V, num_key_value_heads: 1 })) as ModelConfig;
const hostWeights = (c: ModelConfig, seed: number): WeightMap => new Map(Object.entries(tinyCheckpointWeights(c, seed)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
const FAMILIES: [string, ModelConfig, () => WeightMap][] = [
  ['gpt2', gpt2, () => noisyWeights(gpt2, 3, 0.1)],
  ['llama (GQA 4/2)', llama, () => hostWeights(llama, 4)],
  ['mistral (1 KV head)', mistral, () => hostWeights(mistral, 5)],
];

const context = [7, 3, 11, 2, 30];
const tokens = [[5, 9, 1, 12], [8, 8, 20, 4]];
const n = context.length;

const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
/** A tensor's values, the tensor freed. */
function read(t: tf.Tensor): Float32Array {
  const v = Float32Array.from(values(t));
  t.dispose();
  return v;
}
/** Logits [B, T, V] as host rows. */
const logitsOf = (c: ModelConfig, w: WeightMap, rows: number[][], adapter?: TrainableState['adapter']) => read(tf.tidy(() => forward(c, w, ids(rows), { adapter })));
/** The logits of the tokens after the context when running context + tokens. */
function afterContext(c: ModelConfig, w: WeightMap): Float32Array {
  const full = logitsOf(c, w, tokens.map((t) => [...context, ...t])); // [B, n+T, V]
  const T = tokens[0].length;
  const out = new Float32Array(tokens.length * T * V);
  tokens.forEach((_, b) => out.set(full.slice((b * (n + T) + n) * V, (b * (n + T) + n + T) * V), b * T * V));
  return out;
}

function load(id: string, config: Record<string, unknown>, tensors: Record<string, HostTensor>, c: ModelConfig, w: WeightMap): TrainableState {
  return peftMethod(id).load!({ config, tensors }, c, w);
}

describe.each(FAMILIES)('%s', (_, c, makeWeights) => {
  const d = modelDims(c);

  it('prompt tuning whose soft prompt is the embeddings of c gives the logits of c + tokens', () => {
    const w = makeWeights();
    const rows = values(tf.tidy(() => tf.gather(w.get(d.embedKey)!, tf.tensor1d(context, 'int32'))));
    const state = load('prompt', { peft_type: 'PROMPT_TUNING', num_virtual_tokens: n, token_dim: d.hidden }, { prompt_embeddings: { shape: [n, d.hidden], data: rows } }, c, w);
    const got = logitsOf(c, w, tokens, state.adapter);
    expect(got.length).toBe(tokens.length * tokens[0].length * V); // the input tokens' rows only
    expect(relErr(got, afterContext(c, w))).toBeLessThan(1e-5);
    state.dispose();
  });

  it("prefix tuning whose prefix is c's own keys and values (PEFT's layout) gives the logits of c + tokens", () => {
    const w = makeWeights();
    const cache = newKvCache();
    tf.tidy(() => forward(c, w, ids([context]), { cache }));
    expect(cache.length).toBe(n);
    // prompt_embeddings[s, ((2 * layer + kv) * kvHeads + h) * D + dd] = cached key (kv 0) or value (kv 1) of slot s.
    const E = d.kvHeads * d.headDim;
    const flat = new Float32Array(n * d.layers * 2 * E);
    cache.layers.forEach((l, layer) => [l!.k, l!.v].forEach((t, kv) => {
      const a = values(t); // [1, KV, n, D]
      for (let h = 0; h < d.kvHeads; h++) for (let s = 0; s < n; s++) for (let dd = 0; dd < d.headDim; dd++) {
        flat[s * d.layers * 2 * E + ((2 * layer + kv) * d.kvHeads + h) * d.headDim + dd] = a[(h * n + s) * d.headDim + dd];
      }
    }));
    disposeKvCache(cache);
    const config = { peft_type: 'PREFIX_TUNING', num_virtual_tokens: n, token_dim: E, num_attention_heads: d.kvHeads, num_layers: d.layers };
    const state = load('prefix', config, { prompt_embeddings: { shape: [n, d.layers * 2 * E], data: flat } }, c, w);
    expect(relErr(logitsOf(c, w, tokens, state.adapter), afterContext(c, w))).toBeLessThan(1e-5);
    state.dispose();
  });

  it.each(['none', 'prompt', 'prefix', 'adapter'])('the KV cache (adapter: %s) gives the full pass: prompt, then one token at a time', (id) => {
    const w = makeWeights();
    const state = id === 'none' ? undefined : peftMethod(id).create(c, w, { methodConfig: { [id]: { numVirtualTokens: 3 } } } as never, 9);
    const rng = mulberry32(2);
    for (const v of state?.variables ?? []) v.assign(tf.tensor(normalArray(v.size, 0.3, rng), v.shape));
    const seq = [4, 1, 33, 9, 17, 2];
    const full = logitsOf(c, w, [seq], state?.adapter); // [1, 6, V]
    const before = tf.memory().numTensors;
    const cache = newKvCache();
    const parts = [seq.slice(0, 3), [seq[3]], [seq[4]], [seq[5]]];
    const got = parts.flatMap((p) => Array.from(read(tf.tidy(() => forward(c, w, ids([p]), { adapter: state?.adapter, cache })))));
    expect(cache.length).toBe(seq.length + (id === 'prompt' || id === 'prefix' ? 3 : 0));
    disposeKvCache(cache);
    expect(tf.memory().numTensors).toBe(before);
    expect(relErr(Float32Array.from(got), full)).toBeLessThan(1e-5);
    state?.dispose();
  });

  it.each(['prompt', 'prefix'])('packed rows through a %s adapter: each example gets its logits alone', (id) => {
    const w = makeWeights();
    const state = peftMethod(id).create(c, w, { methodConfig: { [id]: { numVirtualTokens: 3 } } } as never, 9);
    const rng = mulberry32(3);
    for (const v of state.variables) v.assign(tf.tensor(normalArray(v.size, 0.3, rng), v.shape));
    const a = [3, 14, 15], b = [9, 2, 6, 5], pad = 0;
    const row = [...a, ...b, pad];
    const segments = Int32Array.from([0, 0, 0, 1, 1, 1, 1, -1]);
    const packed = values(tf.tidy(() => forward(c, w, ids([row]), { adapter: state.adapter, segments })));
    const alone = [a, b].map((e) => logitsOf(c, w, [e], state.adapter));
    expect(relErr(packed.slice(0, 3 * V), alone[0])).toBeLessThan(1e-5);
    expect(relErr(packed.slice(3 * V, 7 * V), alone[1])).toBeLessThan(1e-5);
    state.dispose();
  });
});

describe('refusals', () => {
  it('a KV cache with packed rows or with checkpointing is refused; positions past the model are named', () => {
    const w = noisyWeights(gpt2, 3, 0.1);
    const cache = newKvCache();
    expect(() => forward(gpt2, w, ids([[1, 2]]), { cache, segments: Int32Array.from([0, 0]) })).toThrow(/KV cache cannot be used with packed rows/);
    expect(() => forward(gpt2, w, ids([[1, 2]]), { cache, checkpointing: true })).toThrow(/KV cache is for inference/);
    const state = peftMethod('prefix').create(gpt2, w, { methodConfig: { prefix: { numVirtualTokens: 30 } } } as never, 1);
    expect(() => forward(gpt2, w, ids([[1, 2, 3]]), { adapter: state.adapter })).toThrow(/33 positions \(3 tokens after 30 adapter or cached ones\).*32 positions/);
    state.dispose();
  });
});
