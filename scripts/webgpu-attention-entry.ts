// The fused attention kernels' checks, run in the WebGPU kernel bundle (scripts/webgpu-kernels-entry.ts calls
// attentionChecks; scripts/webgpu-attention.ts judges the report): sdpa with the fused kernels against sdpa on plain
// tfjs ops on the same device, forward and dq/dk/dv, over shapes that are not tile multiples, GQA, causal, packed-segment
// and past-slot masks, a row masked everywhere with -Infinity; then a tiny GPT-2 and a tiny Llama (GQA, packed rows;
// checkpointed), logits and every weight's gradient, with the kernels and without; and the GPU dispatches per attention and per step.
import * as tf from '@tensorflow/tfjs';
import { sdpa, usesFusedAttention } from '../lib/engine/attention';
import { disposeWeights, gpt2Forward, initGpt2Weights } from '../lib/engine/gpt2';
import { activationBytes, planModelFor } from '../lib/engine/memory-plan';
import { measureStepPeak } from '../lib/engine/memory-measure';
import { initWeights } from '../lib/engine/model';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { loraTargetPresets } from '../lib/engine/params';
import { initLlamaWeights, llamaForward } from '../lib/engine/llama';
import { parseModelConfig } from '../lib/engine/model-config';
import { countDispatches } from '../lib/engine/profile';
import { mulberry32, normalArray } from '../lib/engine/random';
import { packedAttention } from '../lib/engine/segments';
import { SPEEDUPS, setSpeedups } from '../lib/engine/speedups';
import type { Gpt2Config, LlamaConfig, WeightMap } from '../lib/engine/types';

/** max |a - b| / max |b|; Infinity when a has a non-finite value. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(x[i])) return Infinity;
    num = Math.max(num, Math.abs(x[i] - y[i]));
    den = Math.max(den, Math.abs(y[i]));
  }
  return num / den;
}

const withFused = <T>(on: boolean, f: () => T): T => {
  setSpeedups(on ? true : SPEEDUPS.filter((s) => s !== 'fusedAttention'));
  try {
    return f();
  } finally {
    setSpeedups(true);
  }
};

type MaskKind = 'causal' | 'packed' | 'neg-inf-row';

interface Case { B: number; H: number; KV: number; L: number; past: number; D: number; mask: MaskKind }

// Workgroups of 64 rows; key (or query) tiles of 32, 16 or 8 rows for head-size buckets 32, 64, 128. Few distinct
// shapes: SwiftShader compiles each bucket's programs, and tfjs's plain programs per shape, in about a second each.
// Bucket 32 runs in the tiny models below.
const CASES: Case[] = [
  { B: 2, H: 4, KV: 2, L: 7, past: 5, D: 64, mask: 'causal' }, // GQA rep 2, past slots, partial key tile
  { B: 2, H: 2, KV: 1, L: 35, past: 0, D: 64, mask: 'packed' }, // 70 folded query rows: two row workgroups
  { B: 1, H: 1, KV: 1, L: 3, past: 67, D: 64, mask: 'neg-inf-row' }, // 70 keys: two key workgroups; row 1 all -Infinity
  { B: 1, H: 2, KV: 2, L: 6, past: 0, D: 100, mask: 'causal' }, // bucket 128, D not a multiple of anything
];

/** The additive mask of a case: [L, S] (causal over past + L) or [B, 1, L, L] from packed segments.
 * 'neg-inf-row' gives the kernel a causal mask with row 1 at -Infinity, and the plain reference -1e9 there (the plain
 * softmax of an all -Infinity row is NaN; the kernel clamps scores at -1e30, which gives the same uniform row). */
function masks(c: Case): { kernel: tf.Tensor; plain: tf.Tensor } {
  const S = c.past + c.L;
  if (c.mask === 'packed') {
    // Row 0: examples of 15 and 17 tokens, then 3 padding; row 1: one example.
    const seg = new Int32Array(c.B * c.L).map((_, i) => {
      const t = i % c.L;
      return i < c.L ? (t < 15 ? 0 : t < 32 ? 1 : -1) : 0;
    });
    const { mask, positions } = packedAttention(seg, c.B, c.L);
    positions.dispose();
    return { kernel: mask, plain: mask };
  }
  const m = new Float32Array(c.L * S);
  for (let i = 0; i < c.L; i++) for (let j = c.past + i + 1; j < S; j++) m[i * S + j] = -1e9;
  if (c.mask !== 'neg-inf-row') {
    const plain = tf.tensor2d(m, [c.L, S]);
    return { kernel: plain, plain };
  }
  const k = m.slice();
  k.fill(-Infinity, S, 2 * S);
  m.fill(-1e9, S, 2 * S);
  return { kernel: tf.tensor2d(k, [c.L, S]), plain: tf.tensor2d(m, [c.L, S]) };
}

/** One case: sdpa fused vs plain; loss = sum(O * W) with a random W, so dO = W. */
async function kernelCase(c: Case, seed: number) {
  const rng = mulberry32(seed);
  const S = c.past + c.L;
  const t = (shape: number[]) => tf.tensor(normalArray(shape.reduce((a, b) => a * b, 1), 1, rng), shape as [number, number, number, number]) as tf.Tensor4D;
  const [q, k, v] = [t([c.B, c.H, c.L, c.D]), t([c.B, c.KV, S, c.D]), t([c.B, c.KV, S, c.D])];
  const w = t([c.B, c.H, c.L, c.D]);
  const { kernel, plain } = masks(c);
  const scale = 1 / Math.sqrt(c.D);
  const run = (fused: boolean, mask: tf.Tensor) => withFused(fused, () => {
    const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => sdpa(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, mask, scale);
    const o = tf.tidy(() => f(q, k, v));
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, b, d), w)))([q, k, v]);
    return { o, grads, took: usesFusedAttention(c.D) };
  });
  const ref = run(false, plain);
  const got = run(true, kernel);
  const out = {
    shape: `B${c.B} H${c.H}/${c.KV} L${c.L} S${S} D${c.D} ${c.mask}`, fused: got.took && !ref.took,
    forward: await relErr(got.o, ref.o), dq: await relErr(got.grads[0], ref.grads[0]),
    dk: await relErr(got.grads[1], ref.grads[1]), dv: await relErr(got.grads[2], ref.grads[2]),
  };
  tf.dispose([q, k, v, w, kernel, plain, ref.o, got.o, ...ref.grads, ...got.grads]);
  return out;
}

type Forward = (weights: WeightMap, ids: tf.Tensor2D) => tf.Tensor3D;

/** Logits and every weight's gradient of sum(logits * R), with the kernels and without. */
async function modelCase(name: string, weights: WeightMap, forward: Forward, B: number, T: number, V: number) {
  const rng = mulberry32(5);
  const ids = tf.tensor2d(Array.from({ length: B * T }, () => Math.floor(rng() * V)), [B, T], 'int32');
  const r = tf.tensor3d(normalArray(B * T * V, 1, rng), [B, T, V]);
  // Variables, as in training: checkpointed blocks differentiate the variables they read.
  const vars: WeightMap = new Map([...weights].map(([key, w]) => [key, tf.variable(w)]));
  const run = (fused: boolean) => withFused(fused, () => {
    const logits = forward(vars, ids);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(vars, ids), r)));
    value.dispose();
    return { logits, grads };
  });
  const ref = run(false);
  const got = run(true);
  let grads = 0;
  for (const key of Object.keys(ref.grads)) grads = Math.max(grads, await relErr(got.grads[key], ref.grads[key]));
  const out = { model: name, logits: await relErr(got.logits, ref.logits), grads, weights: Object.keys(ref.grads).length };
  tf.dispose([ids, r, ref.logits, got.logits, ...Object.values(ref.grads), ...Object.values(got.grads), ...vars.values()]);
  return out;
}

const GPT2: Gpt2Config = { model_type: 'gpt2', vocab_size: 64, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5 };
const LLAMA = parseModelConfig({ model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }) as LlamaConfig;

async function models() {
  const g = initGpt2Weights(GPT2, 3);
  const l = initLlamaWeights(LLAMA, 4);
  const [B, T] = [2, 8];
  const segments = new Int32Array(B * T).map((_, i) => (i % T < 3 ? 0 : i % T < 7 ? 1 : -1)); // two examples and a pad
  const out = [
    await modelCase('gpt2', g, (w, ids) => gpt2Forward(GPT2, w, ids), B, T, GPT2.vocab_size),
    await modelCase('llama (GQA, packed)', l, (w, ids) => llamaForward(LLAMA, w, ids, { segments }), B, T, LLAMA.vocab_size),
    // Checkpointed blocks run the kernels' forward again under their own tape in the backward pass.
    await modelCase('llama (checkpointed)', l, (w, ids) => llamaForward(LLAMA, w, ids, { checkpointing: true }), B, T, LLAMA.vocab_size),
  ];
  tf.dispose([...g.values(), ...l.values()]);
  return out;
}

/** Dispatches of one attention's forward and backward (GPT-2-like: B 2, H 4, L 16, D 8), fused and plain. */
async function attentionDispatches() {
  const rng = mulberry32(11);
  const t = (shape: number[]) => tf.tensor(normalArray(shape.reduce((a, b) => a * b, 1), 1, rng), shape as [number, number, number, number]) as tf.Tensor4D;
  const [q, k, v] = [t([2, 4, 16, 8]), t([2, 4, 16, 8]), t([2, 4, 16, 8])];
  const mask = tf.tensor2d(new Float32Array(256).map((_, i) => (i % 16 > Math.floor(i / 16) ? -1e9 : 0)), [16, 16]);
  const count = async (fused: boolean) => {
    setSpeedups(fused ? true : SPEEDUPS.filter((s) => s !== 'fusedAttention'));
    const { value, dispatches } = await countDispatches(async () => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(sdpa(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, mask, 0.35)))([q, k, v]));
    setSpeedups(true);
    tf.dispose(value);
    return dispatches;
  };
  const out = { plain: await count(false), fused: await count(true) };
  tf.dispose([q, k, v, mask]);
  return out;
}

/** A LoRA step's measured activation peak on webgpu (tf.profile) beside the memory plan, with the kernels and
 * without, at a shape where attention scores dominate (C 32, 4 heads, 2 x 192 tokens): the plan's fusedAttention
 * term must follow what the kernels really keep. */
async function attentionMemory() {
  const c = parseModelConfig({ model_type: 'gpt2', vocab_size: 64, n_positions: 256, n_embd: 32, n_layer: 2, n_head: 4 });
  const w = initWeights(c, 3);
  const lora = { ...DEFAULT_LORA, targetModules: loraTargetPresets(c).presets.attention };
  const [B, T] = [2, 192];
  const out = [];
  for (const fused of [true, false]) {
    setSpeedups(fused ? true : SPEEDUPS.filter((s) => s !== 'fusedAttention'));
    const m = await measureStepPeak(c, w, 'lora', B, T, lora).finally(() => setSpeedups(true));
    out.push({ fused, measured: m.peakBytes, planned: activationBytes(planModelFor(c), 'lora', B, T, false, undefined, fused) + m.trainableParams * 4 });
  }
  disposeWeights(w);
  return out;
}

export async function attentionChecks() {
  const cases = [];
  let seed = 100;
  for (const c of CASES) cases.push(await kernelCase(c, seed++));
  return { cases, models: await models(), perAttention: await attentionDispatches(), memory: await attentionMemory() };
}
