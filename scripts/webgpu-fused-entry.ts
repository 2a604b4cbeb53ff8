// Browser-side checks of the fused loss and LoRA programs (lib/engine/kernels/loss-webgpu.ts, lora-webgpu.ts), run
// from webgpu-kernels-entry.ts and judged by webgpu-fused.ts: the loss kernels against float64 on the host, the chunked
// loss and the LoRA linear with the kernels on against off (value and gradients), and a tiny model's LoRA forward and
// backward pass (loss, gradients, dispatches) both ways. Tiny shapes: SwiftShader runs about 0.3 GFLOP/s.
import * as tf from '@tensorflow/tfjs';
import { makeBatch } from '../lib/engine/batch';
import { summedNll } from '../lib/engine/chunked-loss';
import { defaultTrainConfig } from '../lib/engine/defaults';
import { initGpt2Weights } from '../lib/engine/gpt2';
import { fusedLoraLinear } from '../lib/engine/kernels/lora-webgpu';
import { lossGrad, lossStats } from '../lib/engine/kernels/loss-webgpu';
import { causalLmBatchLoss } from '../lib/engine/objective';
import { DEFAULT_LORA, loraBranch } from '../lib/engine/peft/lora';
import { peftMethod } from '../lib/engine/peft/methods';
import { countDispatches } from '../lib/engine/profile';
import { mulberry32, normalArray } from '../lib/engine/random';
import { SPEEDUPS, setSpeedups, type Speedup } from '../lib/engine/speedups';

const WITHOUT_FUSED: Speedup[] = SPEEDUPS.filter((s) => s !== 'fusedLoss' && s !== 'fusedLora');

/** max |a - b| / max |b| over flat arrays. */
function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return den === 0 ? num : num / den;
}

async function relT(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  return rel((await a.data()) as Float32Array, (await b.data()) as Float32Array);
}

// [n, V]: V below, at and past the 256-thread row group and not multiples of it; n past one and two tiles.
const LOSS_SHAPES: [number, number][] = [[1, 7], [5, 257], [3, 1000], [17, 64], [2, 513]];

/** Row statistics and dz from the kernels against float64 from the same logits; a third of the targets ignored (-100). */
async function lossKernelCase([n, V]: [number, number], seed: number) {
  const rng = mulberry32(seed);
  const z = Float32Array.from(normalArray(n * V, 3, rng));
  const t = Int32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? -100 : Math.floor(rng() * V)));
  const dy = 0.7;
  const zt = tf.tensor2d(z, [n, V]);
  const tt = tf.tensor1d(t, 'int32');
  const stats = lossStats(zt, tt);
  const dyT = tf.scalar(dy);
  const dz = lossGrad(zt, stats, tt, dyT);
  const [gotStats, gotDz] = [(await stats.data()) as Float32Array, (await dz.data()) as Float32Array];
  const refStats = new Float64Array(n * 2);
  const refDz = new Float64Array(n * V);
  let refLoss = 0, gotLoss = 0;
  for (let i = 0; i < n; i++) {
    if (t[i] < 0) continue;
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, z[i * V + j]);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(z[i * V + j] - m);
    const lse = m + Math.log(s);
    refStats[i * 2] = lse;
    refStats[i * 2 + 1] = lse - z[i * V + t[i]];
    for (let j = 0; j < V; j++) refDz[i * V + j] = (Math.exp(z[i * V + j] - lse) - (j === t[i] ? 1 : 0)) * dy;
    refLoss += refStats[i * 2 + 1];
    gotLoss += gotStats[i * 2 + 1];
  }
  tf.dispose([zt, tt, stats, dyT, dz]);
  return { shape: `[${n}, ${V}]`, stats: rel(gotStats, refStats), loss: Math.abs(gotLoss - refLoss) / Math.abs(refLoss), dz: rel(gotDz, refDz) };
}

// [M, C, V, chunkTokens, keepBytes, W trained]: several chunks with a ragged last one, logits kept or recomputed.
const CHUNK_CASES: [number, number, number, number, number | undefined, boolean][] = [[13, 24, 77, 5, undefined, false], [9, 16, 100, 4, 0, true]];

/** summedNll with the kernels on against off: value, dh and (W trained) dW; and both values against float64. */
async function chunkedCase([M, C, V, chunkTokens, keepBytes, trainW]: (typeof CHUNK_CASES)[number], seed: number) {
  const rng = mulberry32(seed);
  const [h0, w0] = [normalArray(M * C, 1, rng), normalArray(V * C, 0.5, rng)];
  const targets = Int32Array.from({ length: M }, () => Math.floor(rng() * V));
  const h = tf.tensor2d(h0, [M, C]);
  const W = tf.tidy(() => (trainW ? tf.variable(tf.tensor2d(w0, [V, C])) : tf.tensor2d(w0, [V, C])));
  const run = async (on: boolean) => {
    setSpeedups(on ? true : WITHOUT_FUSED);
    const f = (a: tf.Tensor, w: tf.Tensor) => summedNll(a as tf.Tensor2D, w as tf.Tensor2D, targets, trainW, { chunkTokens, keepBytes });
    const { value, grads } = trainW ? tf.valueAndGrads(f)([h, W]) : tf.valueAndGrads((a: tf.Tensor) => f(a, W))([h]);
    setSpeedups(true);
    return { value: (await value.data())[0], grads, dispose: () => tf.dispose([value, ...grads]) };
  };
  const plain = await run(false);
  const fused = await run(true);
  let ref = 0; // float64 loss from the same h and W
  for (let i = 0; i < M; i++) {
    const z = Array.from({ length: V }, (_, v) => { let s = 0; for (let c = 0; c < C; c++) s += h0[i * C + c] * w0[v * C + c]; return s; });
    const m = Math.max(...z);
    ref += m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0)) - z[targets[i]];
  }
  const out = {
    shape: `[${M}, ${C}] x [${V}, ${C}] by ${chunkTokens}${keepBytes === 0 ? ', recomputed' : ', kept'}${trainW ? ', W trained' : ''}`,
    value: Math.abs(fused.value - plain.value) / Math.abs(plain.value), dh: await relT(fused.grads[0], plain.grads[0]),
    dW: trainW ? await relT(fused.grads[1], plain.grads[1]) : 0,
    fusedVsF64: Math.abs(fused.value - ref) / ref, plainVsF64: Math.abs(plain.value - ref) / ref,
  };
  plain.dispose();
  fused.dispose();
  tf.dispose([h, W]);
  return out;
}

// [N, in, out, r]: ragged tiles, a rank past one 16-wide step (20) and at it (16).
const LORA_SHAPES: [number, number, number, number][] = [[5, 37, 19, 4], [33, 20, 50, 8], [17, 16, 33, 20], [40, 64, 48, 16]];

/** fusedLoraLinear against y + loraBranch on plain ops: output and the gradients of x, y, A, B for a random dy. */
async function loraCase([N, inDim, outDim, r]: [number, number, number, number], seed: number) {
  const rng = mulberry32(seed);
  const t = (shape: [number, number], scale: number) => tf.tensor2d(normalArray(shape[0] * shape[1], scale, rng), shape);
  const [x, y, A, B, dy] = [t([N, inDim], 1), t([N, outDim], 1), t([r, inDim], 0.3), t([outDim, r], 0.3), t([N, outDim], 1)];
  const s = 2.3 / Math.sqrt(r); // not a power of two, so the scaling's rounding shows
  const plain = (xi: tf.Tensor, yi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
    tf.add(yi, loraBranch(xi as tf.Tensor2D, { A: a as tf.Variable, B: b as tf.Variable, scaling: s }, s, 0)) as tf.Tensor2D;
  const fused = (xi: tf.Tensor, yi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => fusedLoraLinear(xi as tf.Tensor2D, yi as tf.Tensor2D, a as tf.Tensor2D, b as tf.Tensor2D, s);
  const both = [plain, fused].map((f) => tf.tidy(() => {
    const grads = tf.grads((xi, yi, a, b) => tf.sum(tf.mul(f(xi, yi, a, b), dy)))([x, y, A, B]);
    return [f(x, y, A, B), ...grads];
  }));
  const names = ['forward', 'dx', 'dy', 'dA', 'dB'] as const;
  const errs = await Promise.all(names.map((_, i) => relT(both[1][i], both[0][i])));
  tf.dispose([x, y, A, B, dy, ...both.flat()]);
  return { shape: `[${N}, ${inDim}] r ${r} -> [${N}, ${outDim}]`, ...Object.fromEntries(names.map((k, i) => [k, errs[i]])) as Record<(typeof names)[number], number> };
}

const TINY = { model_type: 'gpt2' as const, vocab_size: 67, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, layer_norm_epsilon: 1e-5 };

/**
 * A tiny GPT-2's LoRA training step (forward and backward on the tape; LoRA dropout 0.1 and B not zero, so every
 * factor gets a gradient) with the kernels on against off: loss, gradients, and the GPU programs the step records;
 * and with the kernels on under gradient checkpointing.
 */
async function stepCase() {
  const weights = initGpt2Weights(TINY, 1);
  const lora = { ...DEFAULT_LORA, dropout: 0.1, targetModules: ['c_attn', 'c_proj', 'c_fc'] };
  const state = peftMethod('lora').create(TINY, weights, { ...defaultTrainConfig('lora'), lora }, 1);
  const rng = mulberry32(5);
  for (const v of state.variables) tf.tidy(() => v.assign(tf.tensor(normalArray(v.size, 0.1, rng), v.shape)));
  const rows = [0, 1].map((b) => ({ ids: Array.from({ length: 12 - 3 * b }, () => Math.floor(rng() * TINY.vocab_size)), mask: [] as number[] }));
  for (const row of rows) row.mask = row.ids.map((_, i) => (i < 2 ? 0 : 1)); // the first tokens carry no loss
  const batch = makeBatch(rows, 16, 0);
  const run = async (on: boolean, checkpointing = false) => {
    setSpeedups(on ? true : WITHOUT_FUSED);
    const opts = { adapter: state.adapter, training: true, seed: 9, checkpointing };
    const { value: { value, grads }, dispatches } = await countDispatches(async () =>
      tf.variableGrads(() => causalLmBatchLoss(TINY, state.weights, batch, opts), state.variables));
    setSpeedups(true);
    const flat = await Promise.all(state.variables.map(async (v) => Array.from((await grads[v.name].data()) as Float32Array)));
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grads: flat.flat(), dispatches: dispatches ?? -1 };
  };
  const plain = await run(false);
  const fused = await run(true);
  const recomputed = await run(true, true); // gradient checkpointing: the blocks rerun under a fresh tape
  state.dispose();
  tf.dispose([...weights.values()]);
  return { method: 'lora', loss: Math.abs(fused.loss - plain.loss) / plain.loss, grads: rel(fused.grads, plain.grads),
    checkpointedLoss: Math.abs(recomputed.loss - plain.loss) / plain.loss, checkpointedGrads: rel(recomputed.grads, plain.grads),
    gradScale: Math.max(...plain.grads.map(Math.abs)), dispatchesPlain: plain.dispatches, dispatchesFused: fused.dispatches };
}

export async function fusedChecks() {
  let seed = 300;
  const ms: number[] = [performance.now()];
  const loss = [];
  for (const s of LOSS_SHAPES) loss.push(await lossKernelCase(s, seed++));
  ms.push(performance.now());
  const chunked = [];
  for (const c of CHUNK_CASES) { chunked.push(await chunkedCase(c, seed++)); ms.push(performance.now()); }
  ms.push(performance.now());
  const lora = [];
  for (const s of LORA_SHAPES) { lora.push(await loraCase(s, seed++)); ms.push(performance.now()); }
  ms.push(performance.now());
  const steps = [await stepCase()];
  ms.push(performance.now());
  return { loss, chunked, lora, steps, ms: ms.slice(1).map((t, i) => Math.round(t - ms[i])) }; // ms: where the check's time goes
}
