// Browser entry bundled by scripts/webgpu-parity.ts: runs each tiny family's forward pass and one LoRA gradient on
// the cpu backend, then on webgpu, and returns the largest relative differences.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { createLora, disposeLora } from '../lib/engine/peft/lora';
import { causalLmLoss } from '../lib/engine/loss';
import { disposeWeights, forward } from '../lib/engine/model';
import { parseModelConfig } from '../lib/engine/model-config';
import { loraTargetPresets } from '../lib/engine/params';
import { mulberry32, normalArray } from '../lib/engine/random';
import { tinyCheckpointWeights, tinyRawConfig, TINY_VARIANTS } from '../lib/engine/test-checkpoints';

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Logits and the concatenated LoRA gradients of one variant on the current backend. */
async function run(family: Parameters<typeof tinyRawConfig>[0], over: Record<string, unknown>): Promise<Float32Array[]> {
  const config = parseModelConfig(tinyRawConfig(family, over));
  const weights = new Map(Object.entries(tinyCheckpointWeights(config, 5)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
  const lora = createLora(config, { r: 3, alpha: 6, dropout: 0, targetModules: loraTargetPresets(config).presets['all-linear'], useRslora: false }, 9);
  const rng = mulberry32(10);
  for (const m of lora.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
  const ids = tf.tensor2d([[258, 3, 77, 104, 101, 32, 99, 9], [5, 250, 17, 17, 42, 0, 0, 0]], [2, 8], 'int32');
  const mask = tf.tensor2d([[0, 0, 1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0, 0, 0]], [2, 8]);
  const logits = forward(config, weights, ids, { adapter: lora });
  const vars = [...lora.modules.values()].flatMap((m) => [m.A, m.B]);
  const { value, grads } = tf.variableGrads(() => causalLmLoss(forward(config, weights, ids, { adapter: lora }), ids, mask), vars);
  const flat = tf.concat(vars.map((v) => tf.reshape(grads[v.name], [-1])));
  const out = [(await logits.data()) as Float32Array, (await flat.data()) as Float32Array];
  tf.dispose([ids, mask, logits, value, flat, ...Object.values(grads)]);
  disposeLora(lora);
  disposeWeights(weights);
  return out;
}

export async function compare(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of TINY_VARIANTS) {
    await tf.setBackend('cpu');
    const [cpuLogits, cpuGrads] = await run(v.family, v.over);
    await tf.setBackend('webgpu');
    const [gpuLogits, gpuGrads] = await run(v.family, v.over);
    out[v.name] = { backend: tf.getBackend(), logits: relErr(gpuLogits, cpuLogits), loraGrads: relErr(gpuGrads, cpuGrads) };
  }
  return out;
}
