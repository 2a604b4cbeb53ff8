// The fused AdamW step on webgpu: one WGSL program per parameter tensor reads p, g, m, v once and writes the new p,
// m and v in the same pass, where the plain-op update (adamw.ts) runs ~19 dispatches per parameter, each a full pass.
// Registered under the same kernel name as the wasm/cpu kernel (adamw-fused.ts), so AdamW.step takes it on webgpu.
// tfjs's program header binds every input read-only and has one output, so this program brings its own WGSL header
// and pipeline and is recorded through the backend's own queue (recordAndSubmit): ordering, batching, deferred
// buffer release and profiling work as for tfjs's programs. The moments are updated in place, as on wasm; where
// something else holds their buffer (a snapshot's clones do) they are first copied to a new one. The new parameter
// always goes to a new buffer. Seven storage buffers at most: WebGPU's default per-stage limit is eight.
import * as tf from '@tensorflow/tfjs';
import { flat, pipelineFor, type GpuBackend, type Info } from './gpu-backend';
import { FUSED_ADAMW, type FusedAdamWAttrs } from '../adamw-fused';

const WORKGROUP = 256;
const MAX_GROUPS = 65535; // maxComputeWorkgroupsPerDimension's default; larger tensors loop (grid stride)

/** One variant of the program: with or without the scale and apply inputs. */
interface Variant {
  scale: boolean;
  apply: boolean;
}

// Host-known values travel as uniforms after tfjs's own (NaN, Infinity, then shape and stride of every input and
// last of the output, each one i32 here as every binding is passed flat).
const FLOATS = ['step', 'beta1', 'beta2', 'c1', 'c2', 'keep', 'sbc2', 'epsilon'] as const;

/** The bindings after the output (pOut, binding 0), in order. */
function inputNames(v: Variant): string[] {
  return ['p', 'g', 'm', 'v', ...(v.scale ? ['gradScale'] : []), ...(v.apply ? ['applyFlag'] : [])];
}

/** The whole shader: p, g read; m, v read and written in place; pOut written; scale and apply are device scalars
 * (the clipping factor and the finite-step flag), read from storage so nothing is read back. */
export function adamwShader(v: Variant): string {
  const names = inputNames(v);
  const access = (n: string) => (n === 'm' || n === 'v' ? 'read_write' : 'read');
  const decls = names.map((n, i) => `@group(0) @binding(${i + 1}) var<storage, ${access(n)}> ${n} : array<${n === 'applyFlag' ? 'i32' : 'f32'}>;`);
  const shapes = [...names, 'pOut'].flatMap((n) => [`shape_${n} : i32,`, `stride_${n} : i32,`]);
  return `
struct Uniforms {
  NAN : f32,
  INFINITY : f32,
  ${shapes.join('\n  ')}
  ${FLOATS.map((f) => `${f} : f32,`).join('\n  ')}
};
@group(0) @binding(0) var<storage, read_write> pOut : array<f32>;
${decls.join('\n')}
@group(0) @binding(${names.length + 1}) var<uniform> u : Uniforms;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let n = u32(u.shape_p);
  let stride = groups.x * ${WORKGROUP}u;
  ${v.apply ? 'let skip = applyFlag[0] == 0;' : 'let skip = false;'}
  let s = ${v.scale ? 'gradScale[0]' : '1.0'};
  for (var i = gid.x; i < n; i = i + stride) {
    let pi = p[i];
    if (skip) {
      pOut[i] = pi;
      continue;
    }
    let gi = g[i] * s;
    let mi = m[i] * u.beta1 + gi * u.c1;
    let vi = v[i] * u.beta2 + gi * gi * u.c2;
    m[i] = mi;
    v[i] = vi;
    // Decay from the pre-update value, as torch: p * (1 - lr * wd) - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
    pOut[i] = pi * u.keep - u.step * mi / (sqrt(vi) / u.sbc2 + u.epsilon);
  }
}`;
}

/** What recordAndSubmit needs of a program: its compiled pipeline and a 1-D dispatch over n (tfjs's header path is
 * not used). */
class FusedAdamWProgram {
  readonly pixelsOpType = undefined;
  readonly size = false;
  readonly dispatch: [number, number, number];

  constructor(readonly pipeline: unknown, n: number) {
    this.dispatch = [Math.min(MAX_GROUPS, Math.max(1, Math.ceil(n / WORKGROUP))), 1, 1];
  }
}

/** dst = src, for a moment whose buffer is shared (bindings: dst 0, src 1, uniforms 2). */
const COPY_SHADER = `
struct Uniforms { NAN : f32, INFINITY : f32, shape_src : i32, stride_src : i32, shape_dst : i32, stride_dst : i32 };
@group(0) @binding(0) var<storage, read_write> dst : array<f32>;
@group(0) @binding(1) var<storage, read> src : array<f32>;
@group(0) @binding(2) var<uniform> u : Uniforms;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  for (var i = gid.x; i < u32(u.shape_src); i = i + groups.x * ${WORKGROUP}u) {
    dst[i] = src[i];
  }
}`;

/** A moment's buffer to update in place: its own when nothing else holds it, else a new copy of it. */
function ownMoment(b: GpuBackend, t: Info): Info {
  b.uploadToGPU(t.dataId);
  if (b.refCount(t.dataId) === 1) {
    b.incRef(t.dataId);
    return { ...t, shape: [...t.shape] };
  }
  const copy = b.makeTensorInfo([...t.shape], 'float32');
  b.uploadToGPU(copy.dataId);
  b.recordAndSubmit(new FusedAdamWProgram(pipelineFor(b, 'WebtuneCopy', () => COPY_SHADER), flat(t).shape[0]), flat(copy), [flat(t)], []);
  return copy;
}

function fusedAdamWWebGpu({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: unknown }): Info[] {
  const a = attrs as FusedAdamWAttrs;
  const b = backend as GpuBackend;
  const { apply, scale } = inputs;
  const outs: Info[] = [];
  a.decay.forEach((decay, i) => {
    const [p, g, m, v] = ['p', 'g', 'm', 'v'].map((k) => inputs[`${k}${i}`]);
    const n = flat(p).shape[0];
    const variant: Variant = { scale: !!scale, apply: !!apply };
    const pOut = b.makeTensorInfo([...p.shape], 'float32');
    const mOut = ownMoment(b, m);
    const vOut = ownMoment(b, v);
    const bound = [p, g, mOut, vOut, ...(scale ? [scale] : []), ...(apply ? [apply] : [])];
    for (const t of [pOut, ...bound]) b.uploadToGPU(t.dataId);
    const values: Record<(typeof FLOATS)[number], number> = {
      step: a.lr / a.bc1, beta1: a.beta1, beta2: a.beta2, c1: 1 - a.beta1, c2: 1 - a.beta2, keep: 1 - decay, sbc2: Math.sqrt(a.bc2), epsilon: a.epsilon,
    };
    const uniforms = FLOATS.map((f) => ({ type: 'float32', data: [values[f]] }));
    const key = `WebtuneFusedAdamW_${variant.scale ? 's' : ''}${variant.apply ? 'a' : ''}`;
    b.recordAndSubmit(new FusedAdamWProgram(pipelineFor(b, key, () => adamwShader(variant)), n), flat(pOut), bound.map(flat), uniforms);
    outs.push(pOut, mOut, vOut);
  });
  return outs;
}

if (!tf.getKernel(FUSED_ADAMW, 'webgpu')) {
  tf.registerKernel({ kernelName: FUSED_ADAMW, backendName: 'webgpu', kernelFunc: fusedAdamWWebGpu as unknown as tf.KernelFunc });
}
