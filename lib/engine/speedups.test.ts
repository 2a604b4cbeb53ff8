// The optimised path (wasm kernel overrides, fused AdamW) trains exactly like plain tfjs ops: losses and weights
// after several steps agree on cpu and wasm, for LoRA and full fine-tuning.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { setSpeedups } from './speedups';
import { randomExamples, relErr, tinyConfig, tinyTrainConfig } from './test-utils';
import { Trainer } from './trainer';

setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
afterAll(() => setSpeedups(true));

async function train(method: 'lora' | 'full', on: boolean): Promise<{ losses: number[]; weights: Float32Array }> {
  setSpeedups(on);
  const config = tinyConfig();
  const weights = initGpt2Weights(config, 2);
  const losses: number[] = [];
  // XNNPACK sums a product in another order than wasm's own loop (~5e-7 relative per matmul); Adam's early
  // steps move by about lr whatever the gradient's size, so these differences show in the weights: ~1.4e-5 at lr 1e-2, a few 1e-6 here.
  const cfg = tinyTrainConfig({ method, steps: 5, lr: 3e-3, weightDecay: 0.05, seed: 4 });
  cfg.lora = { ...cfg.lora, targetModules: ['c_attn', 'c_proj', 'c_fc'] };
  const trainer = new Trainer({ config, weights }, randomExamples(6, 16, config.vocab_size, 8), [], cfg, { onStep: (m) => losses.push(m.loss) });
  await trainer.run();
  const w = await trainer.exportWeights('');
  const all = Float32Array.from(['h.0.attn.c_attn.weight', 'h.1.mlp.c_fc.weight', 'h.1.ln_2.bias', 'wte.weight'].flatMap((k) => Array.from(w[k].data as Float32Array)));
  trainer.dispose();
  disposeWeights(weights);
  return { losses, weights: all };
}

describe.each(['cpu', 'wasm'] as const)('speedups on %s', (backend) => {
  it.each(['lora', 'full'] as const)('%s: same losses and weights as plain tfjs after 5 steps', async (method) => {
    expect((await initBackend(backend, { allowFallbackAdapter: false })).backend).toBe(backend);
    const plain = await train(method, false);
    const fast = await train(method, true);
    expect(relErr(fast.losses, plain.losses)).toBeLessThan(1e-5);
    expect(relErr(fast.weights, plain.weights)).toBeLessThan(1e-5);
    expect(plain.losses[4]).toBeLessThan(plain.losses[0]);
  });
});
