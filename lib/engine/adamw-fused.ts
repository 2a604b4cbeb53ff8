// A fused AdamW kernel for the backends whose tensors live in CPU memory (wasm: the module's heap; cpu: JS arrays).
// One dispatch per step updates every parameter in one JavaScript pass over its memory, where the plain-op update
// costs ~15 kernels per parameter (each a full pass, and a Tile of the skip flag for every tf.where). tfjs has no
// fused optimizer kernel, so this registers one; GPU backends keep the plain ops in adamw.ts. It updates the
// moments in place (a step allocates only the new parameters) and applies the clipping scale as it reads each
// gradient, so neither a scaled copy of the gradients nor new moments are ever alive beside the old ones.
import * as tf from '@tensorflow/tfjs';

export const FUSED_ADAMW = 'WebtuneFusedAdamW';

/** Inputs p{i}, g{i}, m{i}, v{i} for each parameter i, an optional bool scalar `apply` (false: keep all) and an
 * optional float32 scalar `scale` every gradient is multiplied by (global-norm clipping). */
export interface FusedAdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  bc1: number; // 1 - beta1^t
  bc2: number; // 1 - beta2^t
  decay: number[]; // per parameter: lr * weightDecay, or 0 (biases, norms)
}

type Floats = Float32Array;

/** torch.optim.AdamW for one parameter; reads p, m, v and writes the next values to the out arrays. */
export function adamwPass(g: Floats, p: Floats, m: Floats, v: Floats, out: [Floats, Floats, Floats], a: FusedAdamWAttrs, decay: number, scale = 1): void {
  const [pOut, mOut, vOut] = out;
  const { beta1, beta2, epsilon } = a;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const keep = Math.fround(1 - decay); // the plain path multiplies by this float32 scalar
  const sbc2 = Math.sqrt(a.bc2);
  const step = a.lr / a.bc1;
  for (let j = 0; j < g.length; j++) {
    const gj = Math.fround(g[j] * scale); // the plain path multiplies the float32 gradient first
    const mj = m[j] * beta1 + gj * c1;
    const vj = v[j] * beta2 + gj * gj * c2;
    mOut[j] = mj;
    vOut[j] = vj;
    // Decay from the pre-update value, as torch: p * (1 - lr * wd) - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
    pOut[j] = p[j] * keep - (step * mj) / (Math.sqrt(vj) / sbc2 + epsilon);
  }
}

interface Info {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** How a backend allocates a float32 output and exposes a tensor's memory as an array. */
interface Memory {
  alloc(shape: number[]): Info;
  floats(t: Info): Float32Array | Uint8Array;
}

type AnyBackend = { incRef(d: object): void; refCount(d: object): number } & Record<string, unknown>;

const MEMORY: Record<string, (b: AnyBackend) => Memory> = {
  wasm: (b) => {
    const w = b as unknown as { makeOutput(s: number[], d: tf.DataType): Info; typedArrayFromHeap(t: Info): Float32Array | Uint8Array };
    return { alloc: (s) => w.makeOutput(s, 'float32'), floats: (t) => w.typedArrayFromHeap(t) };
  },
  cpu: (b) => {
    const c = b as unknown as { makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): Info; data: { get(d: object): { values: Float32Array | Uint8Array } } };
    return { alloc: (s) => c.makeTensorInfo(s, 'float32', new Float32Array(s.reduce((x, y) => x * y, 1))), floats: (t) => c.data.get(t.dataId).values };
  },
};

function fusedAdamW(backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: unknown }): Info[] => {
    const a = attrs as FusedAdamWAttrs;
    const b = backend as AnyBackend;
    const mem = MEMORY[backendName](b);
    const names = a.decay.flatMap((_, i) => [`p${i}`, `m${i}`, `v${i}`]);
    if (inputs.apply && mem.floats(inputs.apply)[0] === 0) {
      // A skipped step: every output is its input, shared (no copy).
      return names.map((k) => (b.incRef(inputs[k].dataId), { ...inputs[k], shape: [...inputs[k].shape] }));
    }
    // The moments in place where nothing else holds them; parameters always into a new buffer (XNNPACK keeps a
    // packed copy of a matmul weight keyed by its buffer, which an in-place write would leave stale). Every
    // allocation comes before any heap view is taken: a wasm allocation may grow (and so detach) the heap.
    const outs = names.map((k) => {
      const t = inputs[k];
      if (k[0] === 'p' || b.refCount(t.dataId) > 1) return mem.alloc(t.shape);
      b.incRef(t.dataId);
      return { ...t, shape: [...t.shape] };
    });
    const scale = inputs.scale ? mem.floats(inputs.scale)[0] : 1;
    a.decay.forEach((decay, i) => {
      const f = (t: Info) => mem.floats(t) as Float32Array;
      const out: [Floats, Floats, Floats] = [f(outs[3 * i]), f(outs[3 * i + 1]), f(outs[3 * i + 2])];
      adamwPass(f(inputs[`g${i}`]), f(inputs[`p${i}`]), f(inputs[`m${i}`]), f(inputs[`v${i}`]), out, a, decay, scale);
    });
    return outs;
  };
}

for (const backendName of Object.keys(MEMORY)) {
  if (!tf.getKernel(FUSED_ADAMW, backendName)) {
    tf.registerKernel({ kernelName: FUSED_ADAMW, backendName, kernelFunc: fusedAdamW(backendName) as unknown as tf.KernelFunc });
  }
}

/** Whether the running backend has the fused kernel. */
export function hasFusedAdamW(): boolean {
  return tf.getKernel(FUSED_ADAMW, tf.getBackend()) !== undefined;
}
