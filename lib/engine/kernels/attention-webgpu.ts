// Fused scaled dot-product attention on webgpu, FlashAttention-2 style: the forward pass walks the keys in tiles with an
// online softmax and writes only O and each row's log-sum-exp; the backward pass recomputes the scores tile by tile
// from q, k and that log-sum-exp. Nothing of size [B, H, L, S] is ever written.
// Hand-written: tfjs has no fused attention, and its plain ops (matMul, mul, add, softmax, matMul and their gradients)
// write the whole score matrix several times per layer, forward and backward. tfjs's program header gives one output
// and binds every input read-only, so, as the fused AdamW (adamw-webgpu.ts), these programs bring their own WGSL header
// and pipeline and go through the backend's own queue (recordAndSubmit); extra outputs are buffers bound read_write.
//
// Layout: q [B, KV, R, D] (R = rep * L: the rep query heads that share kv head h, folded into the time axis, as
// llama.ts does), k, v [B, KV, S, D], the additive mask [L, S] or [B, 1, L, S]; query row r reads mask row r % L.
// Programs (each one dispatch): forward -> O [B, KV, R, D] and lse [B, KV, R, 2] (each row's max m and log-sum log l);
// backward: stats (m, log l and D_i = rowsum(dO * O), FA-2's first step), dq (one thread per query row, over key tiles), dk and dv (one thread per
// key row, over every query row of its group: GQA's sum over the group's heads happens there, with no atomics).
// Scores are clamped at -1e30 before the softmax, so a row whose mask is -Infinity everywhere gives finite values
// (the mean of v) instead of NaN. Shapes travel as uniforms; one pipeline per head-size bucket (32, 64, 128, 256).
import * as tf from '@tensorflow/tfjs';
import { flat, pipelineFor, type GpuBackend, type Info } from './gpu-backend';

export const ATTENTION_FORWARD = 'WebtuneAttentionForward';
export const ATTENTION_BACKWARD = 'WebtuneAttentionBackward';
// Heads up to ATTENTION_MAX_HEAD (speedups.ts) come here; attention.ts sends larger ones to the plain ops.

const WG = 64; // threads per workgroup: one query row (forward, dq) or key row (dk, dv) each
const MAX_GROUPS = 65535;
const FLOOR = '-1.0e30';

/** Head-size bucket: the register arrays' length; D itself is a uniform. */
export function headBucket(D: number): number {
  return D <= 32 ? 32 : D <= 64 ? 64 : D <= 128 ? 128 : 256;
}

/** Rows of k/v (forward, dq) or q/dO (dk, dv) held in workgroup memory at once: two tiles of 1024 floats, 8 KiB. */
const tileRows = (dm: number) => Math.min(32, 1024 / dm);

// Host values after tfjs's own uniforms (NaN, Infinity, then one shape and one stride per flat binding).
const INTS = ['R', 'L', 'S', 'D', 'KV', 'maskB', 'n'] as const;

interface Binding { name: string; access: 'read' | 'read_write' }

/** The WGSL header: binding 0 is tfjs's output, then the inputs in order, then the uniforms. */
function header(out: string, inputs: Binding[]): string {
  const shapes = [...inputs.map((b) => b.name), out].flatMap((n) => [`shape_${n} : i32,`, `stride_${n} : i32,`]);
  return `
struct Uniforms {
  NAN : f32,
  INFINITY : f32,
  ${shapes.join('\n  ')}
  ${INTS.map((f) => `${f} : i32,`).join('\n  ')}
  scale : f32,
};
@group(0) @binding(0) var<storage, read_write> ${out} : array<f32>;
${inputs.map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.access}> ${b.name} : array<f32>;`).join('\n')}
@group(0) @binding(${inputs.length + 1}) var<uniform> u : Uniforms;
`;
}

const ro = (...names: string[]): Binding[] => names.map((name) => ({ name, access: 'read' }));

/** Row r of group g (g = b * KV + h): its mask row's offset. */
const MASK_ROW = `fn maskRow(g : i32, r : i32) -> i32 { return (g / u.KV) * u.maskB + (r % u.L) * u.S; }`;

/** The entry point of the one-thread-per-row programs: workgroup (x, g) holds WG rows of group g. Thread row `raw`
 * (clamped to `row`, the last one, past the end so that loads stay in bounds; `live` says which), and `base`, its
 * offset in a [G, count, D] tensor. */
function rowThread(raw: string, row: string, count: string): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid : vec3<u32>, @builtin(workgroup_id) wid : vec3<u32>) {
  let g = i32(wid.y);
  let ${raw} = i32(wid.x) * ${WG} + i32(lid.x);
  let live = ${raw} < ${count};
  let ${row} = min(${raw}, ${count} - 1);
  let base = (g * ${count} + ${row}) * u.D;`;
}

/** Loads rows j0.. of a [G, S, D] tensor `src` into tile `dst` [T, DM] (zero outside). */
function loadTile(dst: string, src: string, rowsName: string, T: number, dm: number): string {
  return `
    for (var e = i32(lid.x); e < ${T * dm}; e = e + ${WG}) {
      let jj = e / ${dm};
      let d = e % ${dm};
      let j = j0 + jj;
      var x = 0.0;
      if (j < ${rowsName} && d < u.D) { x = ${src}[(g * ${rowsName} + j) * u.D + d]; }
      ${dst}[e] = x;
    }`;
}

/** O and lse: one thread per query row, online softmax over key tiles. */
export function forwardShader(dm: number): string {
  const T = tileRows(dm);
  return `${header('o', [...ro('q', 'k', 'v', 'mask'), { name: 'lse', access: 'read_write' }])}
var<workgroup> tile : array<f32, ${T * dm}>;
${MASK_ROW}
${rowThread('r', 'row', 'u.R')}
  var qr : array<f32, ${dm}>;
  var acc : array<f32, ${dm}>;
  for (var d = 0; d < u.D; d = d + 1) { qr[d] = q[base + d] * u.scale; acc[d] = 0.0; }
  let mrow = maskRow(g, row);
  var m = ${FLOOR};
  var l = 0.0;
  for (var j0 = 0; j0 < u.S; j0 = j0 + ${T}) {
    let n = min(${T}, u.S - j0);
    ${loadTile('tile', 'k', 'u.S', T, dm)}
    workgroupBarrier();
    var s : array<f32, ${T}>;
    var tmax = ${FLOOR};
    for (var jj = 0; jj < n; jj = jj + 1) {
      var sc = 0.0;
      for (var d = 0; d < u.D; d = d + 1) { sc = sc + qr[d] * tile[jj * ${dm} + d]; }
      s[jj] = max(sc + mask[mrow + j0 + jj], ${FLOOR});
      tmax = max(tmax, s[jj]);
    }
    let mNew = max(m, tmax);
    let alpha = exp(m - mNew);
    l = l * alpha;
    for (var d = 0; d < u.D; d = d + 1) { acc[d] = acc[d] * alpha; }
    for (var jj = 0; jj < n; jj = jj + 1) { s[jj] = exp(s[jj] - mNew); l = l + s[jj]; }
    m = mNew;
    workgroupBarrier();
    ${loadTile('tile', 'v', 'u.S', T, dm)}
    workgroupBarrier();
    for (var jj = 0; jj < n; jj = jj + 1) {
      for (var d = 0; d < u.D; d = d + 1) { acc[d] = acc[d] + s[jj] * tile[jj * ${dm} + d]; }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var d = 0; d < u.D; d = d + 1) { o[base + d] = acc[d] / l; }
    lse[2 * (g * u.R + r)] = m; // kept apart: m + log(l) loses log(l) when m is huge (a row masked everywhere)
    lse[2 * (g * u.R + r) + 1] = log(l);
  }
}`;
}

/** stats [G * R, 3]: the row's max m and log-sum log(l) (p = exp((s - m) - log l)) and D_i = rowsum(dO * O). */
export function statsShader(): string {
  return `${header('stats', ro('lse', 'o', 'dy'))}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  for (var i = i32(gid.x); i < u.n; i = i + i32(groups.x) * ${WG}) {
    var acc = 0.0;
    for (var d = 0; d < u.D; d = d + 1) { acc = acc + o[i * u.D + d] * dy[i * u.D + d]; }
    stats[3 * i] = lse[2 * i];
    stats[3 * i + 1] = lse[2 * i + 1];
    stats[3 * i + 2] = acc;
  }
}`;
}

/** dq = scale * sum_j p_ij (dO_i . v_j - D_i) k_j, one thread per query row over key tiles. */
export function dqShader(dm: number): string {
  const T = tileRows(dm);
  return `${header('dq', ro('q', 'k', 'v', 'mask', 'dy', 'stats'))}
var<workgroup> kt : array<f32, ${T * dm}>;
var<workgroup> vt : array<f32, ${T * dm}>;
${MASK_ROW}
${rowThread('r', 'row', 'u.R')}
  var qr : array<f32, ${dm}>;
  var dor : array<f32, ${dm}>;
  var acc : array<f32, ${dm}>;
  for (var d = 0; d < u.D; d = d + 1) { qr[d] = q[base + d] * u.scale; dor[d] = dy[base + d]; acc[d] = 0.0; }
  let mi = stats[3 * (g * u.R + row)];
  let li = stats[3 * (g * u.R + row) + 1];
  let di = stats[3 * (g * u.R + row) + 2];
  let mrow = maskRow(g, row);
  for (var j0 = 0; j0 < u.S; j0 = j0 + ${T}) {
    let n = min(${T}, u.S - j0);
    ${loadTile('kt', 'k', 'u.S', T, dm)}
    ${loadTile('vt', 'v', 'u.S', T, dm)}
    workgroupBarrier();
    for (var jj = 0; jj < n; jj = jj + 1) {
      var sc = 0.0;
      var dp = 0.0;
      for (var d = 0; d < u.D; d = d + 1) {
        sc = sc + qr[d] * kt[jj * ${dm} + d];
        dp = dp + dor[d] * vt[jj * ${dm} + d];
      }
      let p = exp((max(sc + mask[mrow + j0 + jj], ${FLOOR}) - mi) - li);
      let ds = p * (dp - di);
      for (var d = 0; d < u.D; d = d + 1) { acc[d] = acc[d] + ds * kt[jj * ${dm} + d]; }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var d = 0; d < u.D; d = d + 1) { dq[base + d] = acc[d] * u.scale; }
  }
}`;
}

/** dk_j = scale * sum_i ds_ij q_i and dv_j = sum_i p_ij dO_i over every query row i of the group (all rep heads). */
export function dkdvShader(dm: number): string {
  const T = tileRows(dm);
  return `${header('dk', [{ name: 'dv', access: 'read_write' }, ...ro('q', 'k', 'v', 'mask', 'dy', 'stats')])}
var<workgroup> qt : array<f32, ${T * dm}>;
var<workgroup> dt : array<f32, ${T * dm}>;
var<workgroup> st : array<f32, ${3 * T}>;
${MASK_ROW}
${rowThread('jr', 'j', 'u.S')}
  var kr : array<f32, ${dm}>;
  var vr : array<f32, ${dm}>;
  var dka : array<f32, ${dm}>;
  var dva : array<f32, ${dm}>;
  for (var d = 0; d < u.D; d = d + 1) { kr[d] = k[base + d] * u.scale; vr[d] = v[base + d]; dka[d] = 0.0; dva[d] = 0.0; }
  for (var j0 = 0; j0 < u.R; j0 = j0 + ${T}) {
    let n = min(${T}, u.R - j0);
    ${loadTile('qt', 'q', 'u.R', T, dm)}
    ${loadTile('dt', 'dy', 'u.R', T, dm)}
    for (var e = i32(lid.x); e < ${3 * T}; e = e + ${WG}) {
      var x = 0.0;
      if (j0 + e / 3 < u.R) { x = stats[3 * (g * u.R + j0) + e]; }
      st[e] = x;
    }
    workgroupBarrier();
    for (var ii = 0; ii < n; ii = ii + 1) {
      var sc = 0.0;
      var dp = 0.0;
      for (var d = 0; d < u.D; d = d + 1) {
        sc = sc + qt[ii * ${dm} + d] * kr[d];
        dp = dp + dt[ii * ${dm} + d] * vr[d];
      }
      let p = exp((max(sc + mask[maskRow(g, j0 + ii) + j], ${FLOOR}) - st[3 * ii]) - st[3 * ii + 1]);
      let ds = p * (dp - st[3 * ii + 2]);
      for (var d = 0; d < u.D; d = d + 1) {
        dva[d] = dva[d] + p * dt[ii * ${dm} + d];
        dka[d] = dka[d] + ds * qt[ii * ${dm} + d];
      }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var d = 0; d < u.D; d = d + 1) { dk[base + d] = dka[d] * u.scale; dv[base + d] = dva[d]; }
  }
}`;
}

/** What recordAndSubmit needs of a program; the class name is what tfjs's profiler shows. */
class AttentionProgram {
  readonly pixelsOpType = undefined;
  readonly size = false;
  constructor(readonly pipeline: unknown, readonly dispatch: [number, number, number]) {}
}

interface Dims { G: number; R: number; L: number; S: number; D: number; KV: number; maskB: number }

/** Sizes from q [B, KV, R, D], k [B, KV, S, D] and the mask [L, S] or [B, 1, L, S]. */
function dims(q: Info, k: Info, mask: Info): Dims {
  const [B, KV, R, D] = q.shape;
  const S = k.shape[2];
  const L = mask.shape[mask.shape.length - 2];
  const maskB = mask.shape.length === 4 && mask.shape[0] > 1 ? L * S : 0;
  return { G: B * KV, R, L, S, D, KV, maskB };
}

function uniforms(d: Dims, n: number, scale: number): { type: string; data: number[] }[] {
  const v: Record<(typeof INTS)[number], number> = { R: d.R, L: d.L, S: d.S, D: d.D, KV: d.KV, maskB: d.maskB, n };
  return [...INTS.map((f) => ({ type: 'int32', data: [v[f]] })), { type: 'float32', data: [scale] }];
}

function run(b: GpuBackend, key: string, code: () => string, dispatch: [number, number, number], out: Info, inputs: Info[], u: { type: string; data: number[] }[]) {
  for (const t of [out, ...inputs]) b.uploadToGPU(t.dataId);
  b.recordAndSubmit(new AttentionProgram(pipelineFor(b, key, code), dispatch), flat(out), inputs.map(flat), u);
}

type KernelArgs = { inputs: Record<string, Info>; backend: unknown; attrs: unknown };

function attentionForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const b = backend as GpuBackend;
  const { q, k, v, mask } = inputs;
  const d = dims(q, k, mask);
  const dm = headBucket(d.D);
  const o = b.makeTensorInfo([...q.shape], 'float32');
  const lse = b.makeTensorInfo([...q.shape.slice(0, 3), 2], 'float32'); // per row: max, log-sum
  const u = uniforms(d, d.G * d.R, (attrs as { scale: number }).scale);
  run(b, `WebtuneAttnFwd_${dm}`, () => forwardShader(dm), [Math.ceil(d.R / WG), d.G, 1], o, [q, k, v, mask, lse], u);
  return [o, lse];
}

function attentionBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const b = backend as GpuBackend;
  const { q, k, v, mask, o, lse, dy } = inputs;
  const d = dims(q, k, mask);
  const dm = headBucket(d.D);
  const rows = d.G * d.R;
  const u = uniforms(d, rows, (attrs as { scale: number }).scale);
  const stats = b.makeTensorInfo([rows, 3], 'float32');
  run(b, 'WebtuneAttnStats', statsShader, [Math.min(MAX_GROUPS, Math.ceil(rows / WG)), 1, 1], stats, [lse, o, dy], u);
  const dq = b.makeTensorInfo([...q.shape], 'float32');
  run(b, `WebtuneAttnDq_${dm}`, () => dqShader(dm), [Math.ceil(d.R / WG), d.G, 1], dq, [q, k, v, mask, dy, stats], u);
  const dk = b.makeTensorInfo([...k.shape], 'float32');
  const dv = b.makeTensorInfo([...v.shape], 'float32');
  run(b, `WebtuneAttnDkDv_${dm}`, () => dkdvShader(dm), [Math.ceil(d.S / WG), d.G, 1], dk, [dv, q, k, v, mask, dy, stats], u);
  // stats is this kernel's own scratch: tfjs frees its buffer once the queued programs that read it are done.
  b.disposeData(stats.dataId);
  return [dq, dk, dv];
}

/** Registers both kernels for webgpu (once); they add kernels and change no other op. */
export function ensureAttentionKernels(): void {
  if (!tf.getKernel(ATTENTION_FORWARD, 'webgpu')) {
    tf.registerKernel({ kernelName: ATTENTION_FORWARD, backendName: 'webgpu', kernelFunc: attentionForward as unknown as tf.KernelFunc });
    tf.registerKernel({ kernelName: ATTENTION_BACKWARD, backendName: 'webgpu', kernelFunc: attentionBackward as unknown as tf.KernelFunc });
  }
}

/**
 * Fused attention on webgpu with its gradient: q [B, KV, R, D] (query heads folded per kv head), k, v [B, KV, S, D],
 * mask [L, S] or [B, 1, L, S] (additive, constant: no gradient) -> O [B, KV, R, D]. Saves q, k, v, O, lse and mask.
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor, scale: number): tf.Tensor4D {
  ensureAttentionKernels();
  const attrs = { scale } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qi, ki, vi] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [o, lse] = tf.engine().runKernel(ATTENTION_FORWARD, { q: qi, k: ki, v: vi, mask }, attrs) as tf.Tensor[];
    save([qi, ki, vi, o, lse, mask]); // the mask too: the tape keeps only what is saved
    return {
      value: o,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, so, sl, sm] = saved;
        return tf.engine().runKernel(ATTENTION_BACKWARD, { q: sq, k: sk, v: sv, mask: sm, o: so, lse: sl, dy }, attrs) as tf.Tensor[];
      },
    };
  });
  return f(q, k, v) as tf.Tensor4D;
}
