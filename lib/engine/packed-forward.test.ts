// Packed frozen weights inside the models (cpu backend, where a packed weight runs as its dequantized float32 copy):
// GPT-2 and Llama logits equal those of the model whose linear weights were rounded the same way, LoRA trains
// through them with the same losses, and full fine-tuning is refused with a reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, forward } from './model';
import { parseModelConfig } from './model-config';
import { disposePacked, packLinears, roundTrip, type PackedFormat } from './packed-weights';
import { linearModules } from './params';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { randomExamples, relErr, tinyTrainConfig, useCpu, values } from './test-utils';
import { Trainer } from './trainer';
import type { ModelConfig, WeightMap } from './types';

beforeAll(useCpu);

const configs: [string, ModelConfig][] = [
  ['gpt2', parseModelConfig(tinyRawConfig('gpt2', { vocab_size: 60 }))],
  ['llama (GQA)', parseModelConfig(tinyRawConfig('llama', { vocab_size: 60 }))],
];

const load = (c: ModelConfig): WeightMap => new Map(Object.entries(tinyCheckpointWeights(c, 3)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));

/** The same weights with every block linear rounded through `format` on the host (what the packed kernel reads). */
function rounded(c: ModelConfig, w: WeightMap, format: PackedFormat): WeightMap {
  const out: WeightMap = new Map([...w].map(([k, t]) => [k, tf.clone(t)]));
  const layout = c.model_type === 'gpt2' ? 'in-out' : 'out-in';
  for (const path of linearModules(c).keys()) {
    const t = w.get(`${path}.weight`) as tf.Tensor2D;
    out.get(`${path}.weight`)!.dispose();
    out.set(`${path}.weight`, tf.tensor(roundTrip(values(t), t.shape[0], t.shape[1], format, layout), t.shape));
  }
  return out;
}

const trainCfg = (c: ModelConfig) => {
  const cfg = tinyTrainConfig({ steps: 3, seqLen: 12 });
  return { ...cfg, lora: { ...cfg.lora, targetModules: c.model_type === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'] } };
};

describe('packed frozen weights in the forward pass', () => {
  for (const [name, c] of configs) {
    for (const format of ['f16', 'int8'] as const) {
      it(`${name}, ${format}: logits equal the rounded model's; LoRA trains through them like on the rounded model`, async () => {
        const w = load(c);
        const packed = await packLinears(c, w, format);
        const ref = rounded(c, w, format);
        const ids = tf.tensor2d([[1, 5, 9, 14, 2, 7]], [1, 6], 'int32');
        const got = values(forward(c, w, ids, { packed }));
        expect(relErr(got, values(forward(c, ref, ids)))).toBeLessThan(1e-6);
        // The rounding is real: int8 moves logits visibly, f16 a little.
        expect(relErr(got, values(forward(c, w, ids)))).toBeGreaterThan(0);
        const run = async (model: { config: ModelConfig; weights: WeightMap; packed?: typeof packed }) => {
          const losses: number[] = [];
          const t = new Trainer(model, randomExamples(4, 12, 60, 5), [], trainCfg(c), { onStep: (m) => losses.push(m.loss) });
          await t.run();
          t.dispose();
          return losses;
        };
        const a = await run({ config: c, weights: w, packed });
        const b = await run({ config: c, weights: ref });
        expect(relErr(a, b)).toBeLessThan(1e-5);
        expect(() => new Trainer({ config: c, weights: w, packed }, randomExamples(2, 8, 60, 1), [], tinyTrainConfig({ method: 'full' }))).toThrow(/loaded packed .* frozen/);
        packed.forEach(disposePacked);
        tf.dispose(ids);
        disposeWeights(w);
        disposeWeights(ref);
      });
    }
  }
});
