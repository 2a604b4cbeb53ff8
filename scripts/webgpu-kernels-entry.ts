// Browser entry bundled by scripts/webgpu-kernels.ts: the packed-weight matmul kernel on webgpu against tf.matMul with
// the dequantized weight (forward and dx), a tiny MLP language model's logits with packed weights against f32, the
// fused AdamW program against the plain-op AdamW, the GPU dispatches of a tiny model's training step, the fused loss
// and LoRA programs (webgpu-fused-entry.ts) and the fused attention kernels (webgpu-attention-entry.ts).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { sumTensors } from '../lib/engine/add-n';
import { AdamW } from '../lib/engine/adamw';
import { BenchStep } from '../lib/engine/bench-step';
import { initGpt2Weights } from '../lib/engine/gpt2';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { countDispatches, profileStep } from '../lib/engine/profile';
import { SPEEDUPS, setSpeedups } from '../lib/engine/speedups';
import { geluNew } from '../lib/engine/gpt2';
import { packedMatMul } from '../lib/engine/kernels/packed-matmul-webgpu';
import { disposePacked, packedFromHost, packHost, unpackHost, type PackedFormat, type PackedLayout, type PackedWeight } from '../lib/engine/packed-weights';
import { mulberry32, normalArray } from '../lib/engine/random';
import { fusedChecks } from './webgpu-fused-entry';
import { attentionChecks } from './webgpu-attention-entry';

/** max |a - b| / max |b|. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) { num = Math.max(num, Math.abs(x[i] - y[i])); den = Math.max(den, Math.abs(y[i])); }
  return num / den;
}

const SHAPES: [number, number, number][] = [[5, 37, 19], [64, 128, 96], [3, 33, 10], [1, 7, 5], [17, 16, 33], [20, 45, 64]]; // [N, in, out]

/** One shape: packed kernel vs tf.matMul of the dequantized weight, forward and dx. */
async function kernelCase(format: PackedFormat, layout: PackedLayout, [N, inDim, outDim]: [number, number, number], seed: number) {
  const rng = mulberry32(seed);
  const [rows, cols] = layout === 'out-in' ? [outDim, inDim] : [inDim, outDim];
  const host = packHost(Float32Array.from(normalArray(rows * cols, 0.3, rng)), rows, cols, format, layout);
  const w = packedFromHost(host);
  const dense = tf.tensor2d(unpackHost(host), [rows, cols]); // [rows, cols], exactly the values the kernel widens to
  const x = tf.tensor2d(normalArray(N * inDim, 1, rng), [N, inDim]);
  const dy = tf.tensor2d(normalArray(N * outDim, 1, rng), [N, outDim]);
  const plain = (a: tf.Tensor) => tf.matMul(a as tf.Tensor2D, dense, false, layout === 'out-in');
  const y = packedMatMul(x, w); // [N, out]
  const dx = tf.grad((a) => tf.sum(tf.mul(packedMatMul(a as tf.Tensor2D, w), dy)))(x); // [N, in]
  const [yRef, dxRef] = [plain(x), tf.grad((a) => tf.sum(tf.mul(plain(a), dy)))(x)];
  const out = { format, layout, shape: `[${N}, ${inDim}] x W -> [${N}, ${outDim}]`, forward: await relErr(y, yRef), dx: await relErr(dx, dxRef) };
  tf.dispose([dense, x, dy, y, dx, yRef, dxRef]);
  disposePacked(w);
  return out;
}

// Tiny MLP language model: h = wte[ids]; twice h += gelu(h @ W1) @ W2^T; logits = h @ wte^T (tied head).
// W1 [C, H] is GPT-2 Conv1D style ('in-out'), W2 [C, H] and wte [V, C] are 'out-in': every kernel variant runs.
const [V, C, H, N] = [50, 32, 64, 12];
const GELU_SLOPE = 1.13; // max |d gelu_new / dx| = 1.129

interface Net { wte: Float32Array; blocks: { w1: Float32Array; w2: Float32Array }[] }

function tinyNet(seed: number): Net {
  const rng = mulberry32(seed);
  const blocks = [0, 1].map(() => ({ w1: Float32Array.from(normalArray(C * H, 0.2, rng)), w2: Float32Array.from(normalArray(C * H, 0.15, rng)) }));
  return { wte: Float32Array.from(normalArray(V * C, 0.5, rng)), blocks };
}

type Linear = (x: tf.Tensor2D, which: string) => tf.Tensor2D;

/** logits [N, V] with each weight applied by `linear` (f32 tf.matMul or packedMatMul). */
function logitsOf(net: Net, ids: number[], linear: Linear): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.gather(tf.tensor2d(net.wte, [V, C]), ids) as tf.Tensor2D; // [N, C]
    net.blocks.forEach((_, i) => { h = tf.add(h, linear(geluNew(linear(h, `w1.${i}`)) as tf.Tensor2D, `w2.${i}`)); });
    return linear(h, 'wte'); // [N, V]
  });
}

/**
 * First-order bound on |logits(packed) - logits(f32)| per element, each weight off by at most E elementwise
 * (f16: 2^-11 |W|, round to nearest; int8: scale / 2 of its output channel): through a linear
 * |d(xW)| <= |x| E + |dx| |W|, through gelu |d| <= 1.13 |d in|, through the residual the bounds add.
 */
function firstOrderBound(net: Net, ids: number[], err: (which: string) => tf.Tensor2D, abs: (which: string) => tf.Tensor2D, ref: Linear): tf.Tensor2D {
  return tf.tidy(() => {
    const bound = (x: tf.Tensor2D, e: tf.Tensor2D, which: string) => {
      const t = which !== 'w1.0' && which !== 'w1.1'; // out-in weights are applied transposed
      return tf.add(tf.matMul(tf.abs(x), err(which), false, t), tf.matMul(e, abs(which), false, t)) as tf.Tensor2D;
    };
    let h = tf.gather(tf.tensor2d(net.wte, [V, C]), ids) as tf.Tensor2D;
    let e = tf.zerosLike(h) as tf.Tensor2D;
    net.blocks.forEach((_, i) => {
      const u = ref(h, `w1.${i}`);
      const eu = tf.mul(bound(h, e, `w1.${i}`), GELU_SLOPE) as tf.Tensor2D;
      const a = geluNew(u) as tf.Tensor2D;
      e = tf.add(e, bound(a, eu, `w2.${i}`));
      h = tf.add(h, ref(a, `w2.${i}`));
    });
    return bound(h, e, 'wte');
  });
}

interface NetWeights { layout: Record<string, PackedLayout>; dense: Map<string, tf.Tensor2D>; deq: Map<string, tf.Tensor2D>;
  packed: Map<string, PackedWeight>; err: Map<string, tf.Tensor2D>; abs: Map<string, tf.Tensor2D> }

/** Every weight of the net as f32, dequantized, packed, |W| and its elementwise rounding bound E, all [rows, cols]. */
function netWeights(net: Net, format: PackedFormat): NetWeights {
  const specs: [string, Float32Array, PackedLayout, number, number][] = [['wte', net.wte, 'out-in', V, C]];
  net.blocks.forEach((b, i) => specs.push([`w1.${i}`, b.w1, 'in-out', C, H], [`w2.${i}`, b.w2, 'out-in', C, H]));
  const w: NetWeights = { layout: {}, dense: new Map(), deq: new Map(), packed: new Map(), err: new Map(), abs: new Map() };
  for (const [k, data, layout, rows, cols] of specs) {
    const host = packHost(data, rows, cols, format, layout);
    const wt = tf.tensor2d(data, [rows, cols]);
    w.layout[k] = layout;
    w.dense.set(k, wt);
    w.deq.set(k, tf.tensor2d(unpackHost(host), [rows, cols]));
    w.packed.set(k, packedFromHost(host));
    w.abs.set(k, tf.abs(wt));
    w.err.set(k, tf.tidy(() => host.scales // int8: scale / 2 of the output channel; f16: 2^-11 |w| (round to nearest)
      ? tf.mul(tf.onesLike(wt), tf.div(tf.tensor2d(host.scales, layout === 'out-in' ? [rows, 1] : [1, cols]), 2))
      : tf.mul(tf.abs(wt), 2 ** -11)));
  }
  return w;
}

/** Tiny model logits with packed weights vs f32 (and vs the dequantized weights on tf.matMul), and the bound. */
async function tinyModel(format: PackedFormat) {
  const net = tinyNet(21);
  const ids = Array.from({ length: N }, (_, i) => (i * 7 + 3) % V);
  const w = netWeights(net, format);
  const matMulWith = (m: Map<string, tf.Tensor2D>): Linear => (x, k) => tf.matMul(x, m.get(k)!, false, w.layout[k] === 'out-in');
  const ref = matMulWith(w.dense);
  const f32 = logitsOf(net, ids, ref); // [N, V]
  const emulated = logitsOf(net, ids, matMulWith(w.deq)); // what wasm/cpu run
  const got = logitsOf(net, ids, (x, k) => packedMatMul(x, w.packed.get(k)!));
  const bound = firstOrderBound(net, ids, (k) => w.err.get(k)!, (k) => w.abs.get(k)!, ref);
  const vsEmulated = await relErr(got, emulated);
  const [a, b, e] = [(await f32.data()) as Float32Array, (await got.data()) as Float32Array, (await bound.data()) as Float32Array];
  const maxRef = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worstRatio = 0, maxDiff = 0, maxBound = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worstRatio = Math.max(worstRatio, d / (e[i] * 1.01 + 1e-5 * maxRef)); // slack: second-order terms, f32 rounding
    maxDiff = Math.max(maxDiff, d);
    maxBound = Math.max(maxBound, e[i]);
  }
  tf.dispose([f32, emulated, got, bound, ...w.dense.values(), ...w.deq.values(), ...w.err.values(), ...w.abs.values()]);
  w.packed.forEach(disposePacked);
  return { format, vsEmulated, maxAbsLogitDiff: maxDiff, relLogitDiff: maxDiff / maxRef, maxBound, worstDiffOverBound: worstRatio };
}

/** sumTensors of n [3, 5] tensors filled with 1..n on this device; then tf.addN of the same, last: past the
 * storage-buffer limit its shader is invalid, and an invalid dispatch also voids the work submitted with it. */
async function sumCases() {
  const ns = [2, 7, 8, 9, 16, 50];
  const make = (n: number) => Array.from({ length: n }, (_, i) => tf.fill([3, 5], i + 1));
  const out = [];
  for (const n of ns) {
    const xs = make(n);
    const sum = sumTensors(xs);
    out.push({ n, expected: (n * (n + 1)) / 2, sumTensors: (await sum.data())[7], addN: NaN });
    tf.dispose([...xs, sum]);
  }
  for (const row of out) {
    const xs = make(row.n);
    const raw = tf.addN(xs);
    row.addN = (await raw.data())[7];
    tf.dispose([...xs, raw]);
  }
  return out;
}

// Parameter shapes for the fused AdamW check: sizes below, at and past the 256-wide workgroup and not multiples of
// it, rank 2 (decayed) and rank 1 (not decayed).
const ADAMW_SHAPES: number[][] = [[1], [7], [255], [256], [257], [33, 37], [64, 65], [3, 1000]];

/**
 * Fused AdamW (one program per parameter) against the plain-op AdamW from the same start: four steps with the clipping
 * scale and the finite flag as device scalars, the third one skipped (flag false), a snapshot before the second (its
 * clones share the moments' buffers, so the program writes new ones instead of updating them in place), and groups
 * of at most 3000 floats (several kernel calls). Returns max |fused - plain| / max |plain| over p, m and v.
 */
async function adamwCase() {
  const rng = mulberry32(99);
  const init = ADAMW_SHAPES.map((s) => normalArray(s.reduce((a, b) => a * b, 1), 0.5, rng));
  const grads = [0, 1, 2, 3].map(() => ADAMW_SHAPES.map((s, i) => tf.tensor(normalArray(init[i].length, 1, rng), s)));
  const run = async (fused: boolean) => {
    setSpeedups(fused ? true : SPEEDUPS.filter((x) => x !== 'adamw'));
    const params = ADAMW_SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(init[i], s))));
    const opt = new AdamW(params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, fusedGroupFloats: 3000 });
    let dispatches = 0;
    for (let t = 0; t < 4; t++) {
      const snap = t === 1 ? opt.snapshot() : null;
      const apply = tf.scalar(t !== 2, 'bool');
      const scale = tf.scalar(t === 3 ? 0.25 : 1);
      dispatches = (await countDispatches(async () => opt.step(grads[t], 1e-2, apply, scale))).dispatches ?? -1;
      tf.dispose([apply, scale]);
      if (snap) tf.dispose([...snap.m, ...snap.v]);
    }
    const { m, v } = opt.snapshot();
    const out = { p: params.map((p) => tf.clone(p)), m, v, dispatches };
    opt.dispose();
    tf.dispose(params);
    setSpeedups(true);
    return out;
  };
  const plain = await run(false);
  const fused = await run(true);
  const rel = async (k: 'p' | 'm' | 'v') => Math.max(...(await Promise.all(ADAMW_SHAPES.map((_, i) => relErr(fused[k][i], plain[k][i])))));
  const start = ADAMW_SHAPES.map((s, i) => tf.tensor(init[i], s));
  // How far the steps moved the parameters (relative): the comparison means something only if they moved.
  const moved = Math.min(...(await Promise.all(start.map((t, i) => relErr(fused.p[i], t)))));
  const out = { shapes: ADAMW_SHAPES.map((s) => `[${s.join(', ')}]`), p: await rel('p'), m: await rel('m'), v: await rel('v'),
    moved, dispatchesPlain: plain.dispatches, dispatchesFused: fused.dispatches };
  tf.dispose([...start, ...grads.flat(), ...plain.p, ...plain.m, ...plain.v, ...fused.p, ...fused.m, ...fused.v]);
  return out;
}

/** GPU dispatches of one training step of a tiny GPT-2, LoRA and full, with every speedup and without the fused AdamW. */
async function stepDispatches() {
  const config = { model_type: 'gpt2' as const, vocab_size: 64, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5 };
  const weights = initGpt2Weights(config, 1);
  const out = [];
  for (const method of ['lora', 'full'] as const) {
    const row: Record<string, unknown> = { method };
    for (const [name, on] of [['plainAdamW', SPEEDUPS.filter((x) => x !== 'adamw')], ['fusedAdamW', [...SPEEDUPS]]] as const) {
      const step = new BenchStep({ config, weights, method, batch: 2, seqLen: 8, lora: { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'] }, lr: 1e-3, weightDecay: 0.01 });
      setSpeedups(on);
      await step.run(); // compiles the programs
      row[name] = (await profileStep(async () => void (await step.run()))).dispatches;
      setSpeedups(true);
      step.dispose();
    }
    out.push(row);
  }
  tf.dispose([...weights.values()]);
  return out;
}

export async function check(): Promise<Record<string, unknown>> {
  const ok = await tf.setBackend('webgpu');
  await tf.ready();
  const before = tf.memory().numTensors;
  const cases = [];
  let seed = 1;
  for (const format of ['f16', 'int8'] as PackedFormat[]) {
    for (const layout of ['out-in', 'in-out'] as PackedLayout[]) for (const s of SHAPES) cases.push(await kernelCase(format, layout, s, seed++));
  }
  const model = [await tinyModel('f16'), await tinyModel('int8')];
  const sums = await sumCases();
  const adamw = await adamwCase();
  const steps = await stepDispatches();
  const fused = await fusedChecks();
  const attention = await attentionChecks();
  const leaked = tf.memory().numTensors - before;
  return { setBackend: ok, backend: tf.getBackend(), cases, model, sums, adamw, steps, fused, attention, leaked };
}
