// Gradient checkpointing: gradients with each block recomputed equal the plain ones (GPT-2 and a GQA Llama, LoRA
// with LoRA dropout and full fine-tuning with model dropout, packed rows too), the measured peak is lower, and
// no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLora, disposeLora, loraVariables } from './peft/lora';
import { causalLmLoss } from './loss';
import { disposeWeights, forward, type ForwardOptions } from './model';
import { parseModelConfig } from './model-config';
import { mulberry32, normalArray } from './random';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { noisyWeights, relErr, tinyConfig, useCpu, values } from './test-utils';
import type { ModelConfig, WeightMap } from './types';

beforeAll(useCpu);

const V = 60;
const gpt2 = tinyConfig({ vocab_size: V, n_positions: 16, n_layer: 3 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: V, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 3 })) as ModelConfig;
const families: { name: string; config: ModelConfig; weights: () => WeightMap; targets: string[] }[] = [
  { name: 'gpt2', config: gpt2, weights: () => noisyWeights(gpt2, 3, 0.1), targets: ['c_attn', 'c_proj', 'c_fc'] },
  {
    name: 'llama (GQA)', config: llama, targets: ['q_proj', 'v_proj', 'down_proj'],
    weights: () => new Map(Object.entries(tinyCheckpointWeights(llama, 4)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)])),
  },
];

const B = 2, T = 12;
const idsData = Array.from({ length: B * T }, (_, i) => (i * 13 + 5) % V);

/** Loss and gradients of every trainable variable, and the step's measured peak bytes. */
async function gradsOf(config: ModelConfig, weights: WeightMap, vars: tf.Variable[], opts: ForwardOptions) {
  const ids = tf.tensor2d(idsData, [B, T], 'int32');
  const mask = tf.ones([B, T]) as tf.Tensor2D;
  let out: { loss: number; grads: Float32Array[] } = { loss: 0, grads: [] };
  const start = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => causalLmLoss(forward(config, weights, ids, opts), ids, mask), vars);
    out = { loss: values(value)[0], grads: vars.map((v) => Float32Array.from(values(grads[v.name]))) };
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([ids, mask]);
  return { ...out, peak: profile.peakBytes - start };
}

function expectSame(a: { loss: number; grads: Float32Array[] }, b: { loss: number; grads: Float32Array[] }) {
  expect(Math.abs(a.loss - b.loss) / Math.abs(b.loss)).toBeLessThan(1e-6);
  expect(a.grads.length).toBe(b.grads.length);
  a.grads.forEach((g, i) => expect(relErr(g, b.grads[i]), `gradient ${i}`).toBeLessThan(1e-5));
}

describe('gradient checkpointing', () => {
  for (const f of families) {
    it(`${f.name} LoRA with LoRA and model dropout: same loss and gradients, lower peak, no leak`, async () => {
      const w = f.weights();
      const lora = createLora(f.config, { r: 4, alpha: 8, dropout: 0.2, targetModules: f.targets, useRslora: false }, 7);
      const rng = mulberry32(9);
      for (const m of lora.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
      const opts: ForwardOptions = { adapter: lora, training: true, dropout: 0.1, seed: 42 };
      const before = tf.memory().numTensors;
      const plain = await gradsOf(f.config, w, loraVariables(lora), opts);
      const ck = await gradsOf(f.config, w, loraVariables(lora), { ...opts, checkpointing: true });
      expect(tf.memory().numTensors).toBe(before);
      expectSame(ck, plain);
      expect(plain.grads.every((g) => g.some((x) => x !== 0))).toBe(true);
      expect(ck.peak).toBeLessThan(plain.peak * 0.8);
      disposeLora(lora);
      disposeWeights(w);
    });

    it(`${f.name} full fine-tuning with dropout and packed rows: same gradients for every weight`, async () => {
      const base = f.weights();
      const w: WeightMap = new Map([...base].map(([k, t]) => [k, tf.variable(t, true)]));
      const vars = [...w.values()] as tf.Variable[];
      // Two examples per row: positions restart and attention stays inside each (the block's extra tensors).
      const segments = Int32Array.from(Array.from({ length: B * T }, (_, i) => ((i % T) < 5 ? 0 : 1)));
      const opts: ForwardOptions = { training: true, dropout: 0.1, seed: 5, segments };
      const plain = await gradsOf(f.config, w, vars, opts);
      const ck = await gradsOf(f.config, w, vars, { ...opts, checkpointing: true });
      expectSame(ck, plain);
      expect(ck.peak).toBeLessThan(plain.peak);
      vars.forEach((v) => v.dispose());
      disposeWeights(base);
    });
  }

  it('dropout masks depend on the seed, not on call order: two checkpointed passes with one seed agree', async () => {
    const w = noisyWeights(gpt2, 3, 0.1);
    const lora = createLora(gpt2, { r: 2, alpha: 4, dropout: 0.3, targetModules: ['c_attn'], useRslora: false }, 1);
    const opts: ForwardOptions = { adapter: lora, training: true, dropout: 0.2, seed: 11, checkpointing: true };
    const a = await gradsOf(gpt2, w, loraVariables(lora), opts);
    const b = await gradsOf(gpt2, w, loraVariables(lora), opts);
    const c = await gradsOf(gpt2, w, loraVariables(lora), { ...opts, seed: 12 });
    expect(a.loss).toBe(b.loss);
    expect(c.loss).not.toBe(a.loss);
    disposeLora(lora);
    disposeWeights(w);
  });
});
