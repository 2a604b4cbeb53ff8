// Full fine-tuning on the wasm backend in Node: tf.gather's gradient is missing there, so this proves the
// scatter-add embedding gradient is used, and the losses must match the cpu backend's (packed rows too: the
// per-position wpe gather and the segment mask ops must exist on wasm).
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { randomExamples, tinyConfig, tinyTrainConfig } from './test-utils';
import { Trainer } from './trainer';

setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');

async function losses(backend: string, packing = false): Promise<number[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  expect(tf.getBackend()).toBe(backend);
  const config = tinyConfig();
  const weights = initGpt2Weights(config, 2);
  // Packed: 8 examples of 3..10 tokens share rows of 16.
  const data = packing ? [3, 10, 5, 7, 4, 9, 6, 8].map((n, i) => randomExamples(1, n, config.vocab_size, 30 + i)[0]) : randomExamples(4, 16, config.vocab_size, 8);
  const out: number[] = [];
  const cfg = tinyTrainConfig({ method: 'full', steps: 6, lr: 3e-3, weightDecay: 0.01, dropout: 0.1, seed: 4, packing });
  const trainer = new Trainer({ config, weights }, data, [], cfg, { onStep: (m) => out.push(m.loss) });
  await trainer.run();
  trainer.dispose();
  disposeWeights(weights);
  return out;
}

describe('full fine-tuning on wasm', () => {
  it('lacks the gather gradient, so the test exercises the custom one', async () => {
    await tf.setBackend('wasm');
    const t = tf.ones([4, 2]);
    expect(() => tf.grad((x: tf.Tensor) => tf.gather(x, [1, 1]))(t)).toThrow(/UnsortedSegmentSum/);
    t.dispose();
  });

  it('reduces the loss and matches the cpu backend step by step', async () => {
    const cpu = await losses('cpu');
    const wasm = await losses('wasm');
    expect(wasm[wasm.length - 1]).toBeLessThan(wasm[0] - 0.1);
    // Same seed, same init, same dropout masks: only float rounding differs between backends.
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]) / cpu[i]).toBeLessThan(1e-4));
  });

  it('trains packed rows and matches the cpu backend step by step', async () => {
    const cpu = await losses('cpu', true);
    const wasm = await losses('wasm', true);
    expect(wasm[wasm.length - 1]).toBeLessThan(wasm[0] - 0.1);
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]) / cpu[i]).toBeLessThan(1e-4));
  });
});
