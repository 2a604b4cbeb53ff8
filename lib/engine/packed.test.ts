// Packed forward passes (GPT-2 and a GQA Llama, with LoRA): each example's logits, loss and LoRA gradients inside
// a packed row equal those of the example run alone, and changing one example never changes another's logits.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockCausalMask, packExamples, segmentPositions } from '../data/pack';
import { createLora, disposeLora, loraVariables, type LoraState } from './peft/lora';
import { causalLmLoss, countedTargets } from './loss';
import { attentionShape } from './llama';
import { disposeWeights, forward } from './model';
import { parseModelConfig } from './model-config';
import { mulberry32, normalArray } from './random';
import { ropeTables } from './rope';
import { packedAttention } from './segments';
import { tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { noisyWeights, randomExamples, relErr, tinyConfig, useCpu, values } from './test-utils';
import type { Example, LlamaConfig, ModelConfig, WeightMap } from './types';

beforeAll(useCpu);

const V = 40;
const gpt2 = tinyConfig({ vocab_size: V, n_positions: 16 });
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: V, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24 })) as ModelConfig;
const T = 16;
// Two rows: [5, 3, 7 | pad] and [9, 4 | pad x3] tokens.
const examples: Example[] = [5, 3, 7, 9, 4].map((n, i) => randomExamples(1, n, V, 20 + i)[0]);

interface Family {
  name: string;
  config: ModelConfig;
  weights: () => WeightMap;
  targets: string[];
}
const families: Family[] = [
  { name: 'gpt2', config: gpt2, weights: () => noisyWeights(gpt2, 3, 0.1), targets: ['c_attn', 'c_proj', 'c_fc'] },
  {
    name: 'llama (GQA)', config: llama, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj'],
    weights: () => new Map(Object.entries(tinyCheckpointWeights(llama, 4)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)])),
  },
];

/** A LoRA with random B (zero B would hide the adapter from every check). */
function loraFor(f: Family): LoraState {
  const s = createLora(f.config, { r: 4, alpha: 8, dropout: 0, targetModules: f.targets, useRslora: false }, 7);
  const rng = mulberry32(9);
  for (const m of s.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
  return s;
}

function packed(exs: Example[] = examples) {
  const rows = packExamples(exs, T, 0).rows;
  const ids = tf.tensor2d(rows.map((r) => r.ids), [rows.length, T], 'int32');
  const mask = tf.tensor2d(rows.map((r) => r.mask), [rows.length, T]);
  const segments = Int32Array.from(rows.flatMap((r) => r.segments!));
  return { rows, ids, mask, segments };
}

/** [row, start, length] of every example in the packing above, in input order. */
function spans(exs: Example[] = examples): [number, number, number][] {
  const rows = packExamples(exs, T, 0).rows;
  return rows.flatMap((r, b) => [...new Set(r.segments!.filter((s) => s >= 0))].map((s) => [b, r.segments!.indexOf(s), r.segments!.filter((x) => x === s).length] as [number, number, number]));
}

/** Logits [n, V] of example k from packed logits [R, T, V]. */
function slice(logits: tf.Tensor3D, [b, start, n]: [number, number, number]): Float32Array {
  return values(tf.slice(logits, [b, start, 0], [1, n, V]));
}

function alone(f: Family, w: WeightMap, lora: LoraState, e: Example): tf.Tensor3D {
  return forward(f.config, w, tf.tensor2d([e.ids], [1, e.ids.length], 'int32'), { adapter: lora });
}

describe('packedAttention', () => {
  it('mask and positions equal blockCausalMask and segmentPositions of lib/data/pack (a second implementation)', () => {
    const { rows, segments } = packed();
    const { mask, positions } = packedAttention(segments, rows.length, T);
    const m = values(mask);
    const pos = Array.from(positions.dataSync());
    rows.forEach((r, b) => {
      const ref = blockCausalMask(r.segments!);
      expect(Array.from(m.slice(b * T * T, (b + 1) * T * T), (v) => (v === 0 ? 1 : 0))).toEqual(Array.from(ref));
      expect(pos.slice(b * T, (b + 1) * T)).toEqual(segmentPositions(r.segments!).map((p, i) => (r.segments![i] < 0 ? 0 : p)));
    });
    expect(Math.min(...m)).toBe(-1e9);
  });

  it("Llama's rotary tables are gathered per token position, restarting per example", () => {
    const { rows, segments } = packed();
    const c = llama as LlamaConfig;
    const D = c.head_dim;
    const s = attentionShape(c, rows.length, T, { segments });
    expect(s.cos.shape).toEqual([rows.length, 1, T, D]);
    const table = values(ropeTables(T, D, c.rope_theta, c.rope_scaling).sin); // [T, D]
    const got = values(s.sin);
    rows.forEach((r, b) => segmentPositions(r.segments!).forEach((p, t) => {
      const at = r.segments![t] < 0 ? 0 : p;
      expect(Array.from(got.slice((b * T + t) * D, (b * T + t + 1) * D))).toEqual(Array.from(table.slice(at * D, (at + 1) * D)));
    }));
  });
});

describe.each(families)('packed forward: $name', (f) => {
  it('logits and loss of every example in a packed row equal the example run alone', () => {
    const w = f.weights();
    const lora = loraFor(f);
    const { ids, mask, segments } = packed();
    const logits = forward(f.config, w, ids, { adapter: lora, segments });
    const plain = forward(f.config, w, ids, { adapter: lora }); // no segments: attention crosses examples
    let worst = 0;
    let sum = 0;
    let n = 0;
    spans().forEach((sp, k) => {
      const ref = alone(f, w, lora, examples[k]);
      worst = Math.max(worst, relErr(slice(logits, sp), values(ref)));
      const c = countedTargets(examples[k].mask);
      sum += values(causalLmLoss(ref, tf.tensor2d([examples[k].ids], [1, sp[2]], 'int32'), tf.ones([1, sp[2]]) as tf.Tensor2D))[0] * c;
      n += c;
      // The control: without segments every later example sees its neighbours, and the check would fail.
      if (sp[1] > 0) expect(relErr(slice(plain, sp), values(ref))).toBeGreaterThan(1e-2);
    });
    const loss = values(causalLmLoss(logits, ids, mask))[0];
    console.log(`${f.name}: packed vs alone, max rel err logits ${worst.toExponential(2)}, loss ${Math.abs(loss - sum / n).toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(Math.abs(loss - sum / n)).toBeLessThan(1e-5 * (sum / n));
    disposeLora(lora);
    disposeWeights(w);
  });

  it('changing the tokens of one example leaves its row neighbours unchanged (tensor segments too)', () => {
    const w = f.weights();
    const lora = loraFor(f);
    const changed = examples.map((e, k) => (k === 0 ? { ...e, ids: e.ids.map((t) => 1 + (t % (V - 1))) } : e));
    const a = packed();
    const b = packed(changed);
    const seg = tf.tensor2d(a.segments, [a.rows.length, T], 'int32');
    const la = forward(f.config, w, a.ids, { adapter: lora, segments: seg });
    const lb = forward(f.config, w, b.ids, { adapter: lora, segments: b.segments });
    const [first, second] = spans();
    expect(relErr(slice(la, first), slice(lb, first))).toBeGreaterThan(1e-2); // the changed example did change
    expect(relErr(slice(lb, second), slice(la, second))).toBeLessThan(1e-6);
    const pa = forward(f.config, w, a.ids, { adapter: lora }); // control: unpacked attention leaks the change
    const pb = forward(f.config, w, b.ids, { adapter: lora });
    expect(relErr(slice(pb, second), slice(pa, second))).toBeGreaterThan(1e-3);
    disposeLora(lora);
    disposeWeights(w);
  });

  it('LoRA gradients of a packed batch equal the token-weighted sum of each example alone', () => {
    const w = f.weights();
    const lora = loraFor(f);
    const vars = loraVariables(lora);
    const { ids, mask, segments } = packed();
    const total = examples.reduce((a, e) => a + countedTargets(e.mask), 0);
    const got = tf.variableGrads(() => causalLmLoss(forward(f.config, w, ids, { adapter: lora, segments }), ids, mask), vars).grads;
    const want = vars.map((v) => new Float32Array(v.size));
    for (const e of examples) {
      const x = tf.tensor2d([e.ids], [1, e.ids.length], 'int32');
      const weight = countedTargets(e.mask) / total;
      const { grads } = tf.variableGrads(() => causalLmLoss(forward(f.config, w, x, { adapter: lora }), x, tf.ones([1, e.ids.length]) as tf.Tensor2D), vars);
      vars.forEach((v, i) => values(grads[v.name]).forEach((g, j) => (want[i][j] += g * weight)));
    }
    const worst = Math.max(...vars.map((v, i) => relErr(values(got[v.name]), want[i])));
    console.log(`${f.name}: packed vs summed LoRA gradients, max rel err ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expect(Math.max(...want.map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-3); // not trivially zero
    disposeLora(lora);
    disposeWeights(w);
  });
});
