// Kernel overrides for tfjs-backend-wasm 4.22 where its own kernels waste most of a training step. Measured in Node
// (demo model, batch 4 x 128): BatchMatMul sends any product with a transposed operand or a batch above 1 to a
// scalar loop (~2 GFLOP/s) and only plain 2D products to XNNPACK (~23 GFLOP/s); Identity copies the whole buffer
// where cpu and webgl share it (Cast to the same dtype too); Slice copies its whole input out of the heap before slicing. No tfjs release fixes
// these (4.22 is the last), so they are replaced here: transposes become one explicit memory pass (of the smaller
// side: a b^T with a large b runs as (b a^T)^T), batches run as plain 2D products on heap views, Identity shares
// data, Slice reads a heap view.
import * as tf from '@tensorflow/tfjs';
import { speedupOn } from './speedups';

interface Info {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

interface WasmModule {
  cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
  tfjs: { disposeData(id: number): void };
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(d: object): { id: number; memoryOffset: number; refCount: number }; delete(d: object): void };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): Info;
  disposeData(d: object): boolean;
  incRef(d: object): void;
}

type KernelArgs = { inputs: Record<string, Info>; backend: WasmBackend; attrs: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => Info | Info[];

let mm: ((...a: unknown[]) => void) | null = null;

/** The wasm module's own BatchMatMul entry point, called on plain [1, M, K] x [1, K, N] operands. */
function wasmMatMul(backend: WasmBackend, a: Info, b: Info, out: Info, M: number, K: number, N: number): void {
  mm ??= backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const id = (t: Info) => backend.dataIdMap.get(t.dataId).id;
  const shape = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);
  mm(id(a), shape([1, M, K]), 3, id(b), shape([1, K, N]), 3, false, false, id(out));
}

/** A tensor over part of another's heap memory; freed with dropView, never with disposeData (that would free it). */
function view(backend: WasmBackend, base: Info, offsetElems: number, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32', backend.dataIdMap.get(base.dataId).memoryOffset + 4 * offsetElems);
}

function dropView(backend: WasmBackend, v: Info): void {
  backend.wasm.tfjs.disposeData(backend.dataIdMap.get(v.dataId).id);
  backend.dataIdMap.delete(v.dataId);
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** x with its last two axes swapped, as a new buffer (wasm's Transpose kernel). */
function swapLast(backend: WasmBackend, x: Info): Info {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc as unknown as KernelFn;
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as Info;
}

/** [..., M, K] x [..., K, N] with plain (untransposed) operands; batches broadcast when one side has batch 1. */
function plainBatchMatMul(backend: WasmBackend, a: Info, b: Info): Info | null {
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const batch = sizeOf(outer);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null; // partial broadcast
  const out = backend.makeOutput([...outer, M, N], 'float32');
  if (batchB === 1) {
    // Every row of a meets the same b: one [batch*M, K] x [K, N] product.
    wasmMatMul(backend, a, b, out, batch * M, K, N);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const views = [view(backend, a, batchA === 1 ? 0 : i * M * K, [1, M, K]), view(backend, b, i * K * N, [1, K, N]), view(backend, out, i * M * N, [1, M, N])];
    wasmMatMul(backend, views[0], views[1], views[2], M, K, N);
    for (const v of views) dropView(backend, v);
  }
  return out;
}

/**
 * transposeBytes: operands above this are not transposed into a copy (see fastBatchMatMul). blockFloats: output rows
 * per block in viaTransposedProduct, at most this many floats of [N, rows] scratch at a time. Tests lower both.
 */
export const MATMUL_LIMITS = { transposeBytes: 64 * 1024 ** 2, blockFloats: 1 << 22 };

/**
 * a b^T for a 2D b [N, K] larger than a and the output together (a vocabulary-sized embedding times hidden rows):
 * computed as (b a^T)^T, a plain product that reads b as it is, so only the small operand and the output are
 * transposed, a block of output rows at a time. wasm's own kernel runs a transposed operand through a scalar loop:
 * GPT-2's 50,257-row head times 83 rows took 6.4 s there (1 GFLOP/s), 0.57 s this way.
 */
function viaTransposedProduct(backend: WasmBackend & { typedArrayFromHeap(t: Info): Float32Array }, a: Info, b: Info, transposeA: boolean): Info {
  const [N, K] = b.shape;
  const rowsA = transposeA ? swapLast(backend, a) : a; // [M, K]
  const M = rowsA.shape[0];
  const step = Math.max(1, Math.floor(MATMUL_LIMITS.blockFloats / N));
  const out = M <= step ? null : backend.makeOutput([M, N], 'float32');
  let last: Info | null = null;
  for (let r = 0; r < M; r += step) {
    const m = Math.min(step, M - r);
    const block = M <= step ? rowsA : view(backend, rowsA, r * K, [m, K]);
    const at = swapLast(backend, block); // [K, m]
    const bat = backend.makeOutput([N, m], 'float32');
    wasmMatMul(backend, b, at, bat, N, K, m);
    last = swapLast(backend, bat); // [m, N]
    for (const t of [at, bat]) backend.disposeData(t.dataId);
    if (block !== rowsA) dropView(backend, block);
    if (out) {
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(last), r * N); // views after the allocations
      backend.disposeData(last.dataId);
    }
  }
  if (rowsA !== a) backend.disposeData(rowsA.dataId);
  return out ?? last!;
}

/** Whether a b^T runs as (b a^T)^T: both 2D, and b too large to copy or larger than a plus the output. */
function prefersTransposedProduct(a: Info, b: Info, transposeA: boolean, transposeB: boolean): boolean {
  if (!transposeB || a.shape.length !== 2 || b.shape.length !== 2) return false;
  if (transposeA && sizeOf(a.shape) * 4 > MATMUL_LIMITS.transposeBytes) return false;
  const M = a.shape[transposeA ? 1 : 0];
  return sizeOf(b.shape) * 4 > MATMUL_LIMITS.transposeBytes || sizeOf(b.shape) > sizeOf(a.shape) + M * b.shape[0];
}

function fastBatchMatMul(original: KernelFn): KernelFn {
  return (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!speedupOn('matmul') || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const backend = args.backend;
    if (prefersTransposedProduct(a, b, transposeA, transposeB)) return viaTransposedProduct(backend as Parameters<typeof viaTransposedProduct>[0], a, b, transposeA);
    // A transposed copy of a large operand costs more memory than wasm's heap spares: what viaTransposedProduct
    // does not take keeps wasm's own kernel, which reads the operand as it is.
    const big = (t: Info, transposed: boolean) => transposed && sizeOf(t.shape) * 4 > MATMUL_LIMITS.transposeBytes;
    if (big(a, transposeA) || big(b, transposeB)) return original(args);
    const a2 = transposeA ? swapLast(backend, a) : a;
    const b2 = transposeB ? swapLast(backend, b) : b;
    const out = plainBatchMatMul(backend, a2, b2) ?? original({ ...args, inputs: { a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
    return out;
  };
}

/** Identity without a copy: wasm kernels never write into their inputs, so sharing the buffer is safe (cpu does it). */
function sharedIdentity(original: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs;
    if (!speedupOn('identity') || x.dtype === 'string') return original(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

type Typed = Float32Array | Int32Array | Uint8Array;

/** Copies the block at `begin` of `size` out of src (shape `shape`) into dst, one contiguous innermost run at a time. */
function copyBlock(src: Typed, shape: number[], begin: number[], size: number[], dst: Typed): void {
  const r = shape.length;
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const run = size[r - 1];
  const idx = new Array(r - 1).fill(0); // position among the outer axes
  for (let o = 0, rows = sizeOf(size.slice(0, -1)); o < rows; o++) {
    let from = begin[r - 1];
    for (let a = 0; a < r - 1; a++) from += (begin[a] + idx[a]) * strides[a];
    dst.set(src.subarray(from, from + run), o * run);
    for (let a = r - 2; a >= 0 && ++idx[a] === size[a]; a--) idx[a] = 0;
  }
}

/** Slice from a heap view: wasm's own kernel first copies the whole input out of the heap (readSync), every call. */
function viewSlice(original: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs;
    if (!speedupOn('slice') || x.dtype === 'string' || x.shape.length === 0) return original(args);
    const { begin, size } = args.attrs as { begin: number[]; size: number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, begin, size);
    const backend = args.backend as WasmBackend & { typedArrayFromHeap(t: Info): Typed };
    const out = backend.makeOutput(s, x.dtype);
    if (sizeOf(s) > 0) copyBlock(backend.typedArrayFromHeap(x), x.shape, b, s, backend.typedArrayFromHeap(out)); // views after the allocation
    return out;
  };
}

/** Cast to the dtype a tensor already has shares it too (wasm copies; tfjs's gradients of mul and div cast their
 * float32 inputs to float32, ~100 copies per step of the demo model). */
function sharedCast(original: KernelFn): KernelFn {
  const identity = sharedIdentity(original);
  return (args) => (args.attrs.dtype === args.inputs.x.dtype ? identity(args) : original(args));
}

const OVERRIDES: Record<string, (original: KernelFn) => KernelFn> = {
  BatchMatMul: fastBatchMatMul, Identity: sharedIdentity, Cast: sharedCast, Slice: viewSlice,
};
const installed = new Set<string>();

/** Replaces the wasm kernels above (each once; each checks its switch per call). Kernels the wasm backend has not
 * registered yet (its module not imported) are left for a later call. */
export function installWasmKernels(): void {
  for (const [name, wrap] of Object.entries(OVERRIDES)) {
    const k = installed.has(name) ? undefined : tf.getKernel(name, 'wasm');
    if (!k) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...k, kernelFunc: wrap(k.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc });
    installed.add(name);
  }
}
