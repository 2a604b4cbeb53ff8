// The backend race: every candidate that starts is timed on the model's shapes and frees what it made; one that
// cannot start is reported, not fatal; the order after a race puts the fastest first and keeps the rest as ranked;
// the words name each backend with its time.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderAfterRace, type Candidate } from './backend';
import { probeShape, raceBackends, raceWords, type RaceEntry } from './backend-race';
import { parseModelConfig } from './model-config';

setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');

describe('backend race', () => {
  it('reads the probe widths from GPT-2 and Llama configs', () => {
    const gpt2 = parseModelConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 64, n_embd: 48, n_layer: 1, n_head: 2 });
    expect(probeShape(gpt2)).toEqual({ width: 48, inner: 192, vocab: 8192, linearLayout: false });
    const llama = parseModelConfig({ model_type: 'llama', vocab_size: 300, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64 });
    expect(probeShape(llama)).toEqual({ width: 32, inner: 40, vocab: 300, linearLayout: true });
  });

  it('times each backend that starts, frees its tensors, and reports one that cannot start', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const shape = { width: 32, inner: 64, vocab: 300, linearLayout: true };
    const entries = await raceBackends([{ name: 'wasm', label: 'wasm' }, { name: 'no-such-backend', label: 'nothing' }, { name: 'cpu', label: 'cpu' }], shape);
    expect(entries.map((e) => e.name)).toEqual(['wasm', 'no-such-backend', 'cpu']);
    for (const e of [entries[0], entries[2]]) expect(e.ms).toBeGreaterThan(0);
    expect(entries[1]).toMatchObject({ ms: null, error: 'failed to start' });
    await tf.setBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(raceWords(entries)).toMatch(/^timed at load on this model's shapes: (wasm|cpu) [\d.]+ ms, (wasm|cpu) [\d.]+ ms, nothing could not run \(failed to start\)$/);
  });

  it('tries the backends that ran fastest first, then the rest as ranked', () => {
    const order: Candidate[] = [{ name: 'webgpu', adapter: 'nvidia' }, { name: 'wasm' }, { name: 'webgl', software: 'SwiftShader' }, { name: 'cpu' }];
    const entries: RaceEntry[] = [
      { name: 'webgpu', label: 'webgpu', ms: null, error: 'device lost' },
      { name: 'wasm', label: 'wasm', ms: 40 },
      { name: 'webgl', label: 'webgl on SwiftShader', ms: 12 },
    ];
    expect(orderAfterRace(order, entries).map((c) => c.name)).toEqual(['webgl', 'wasm', 'webgpu', 'cpu']);
    expect(raceWords(entries)).toBe("timed at load on this model's shapes: webgl on SwiftShader 12 ms, wasm 40 ms, webgpu could not run (device lost)");
  });
});
