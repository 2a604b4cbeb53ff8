// Where a step's time goes: per-kernel call counts and milliseconds (tf.profile), kernel dispatches, readbacks
// (backend reads) and peak bytes. tf.profile gives the raw list; this groups it and counts what it does not.
import * as tf from '@tensorflow/tfjs';

export interface KernelStat {
  name: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  kernels: KernelStat[]; // sorted by ms, largest first
  dispatches: number; // kernels run (webgpu: GPU programs recorded)
  readbacks: number; // device-to-host reads (read or readSync on the backend)
  startBytes: number; // tf.memory().numBytes before the step
  peakBytes: number; // highest tf.memory().numBytes reached, above startBytes
  kernelMs: number; // sum of kernel times
}

const kernelDepth = () => (tf.engine() as unknown as { state: { kernelDepth: number } }).state.kernelDepth;

type Reader = { read: (id: object) => Promise<unknown>; readSync: (id: object) => unknown };

/** Counts reads of tensor data by the caller while `f` runs; wasm's read() calls readSync(), so nested reads count once,
 * and reads a kernel makes of its own inputs (wasm's Slice and GatherV2 do) are memory copies, not readbacks. */
async function countReads<T>(f: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const b = tf.backend() as unknown as Reader;
  const { read, readSync } = b;
  let reads = 0;
  let depth = 0;
  const counted = <A extends unknown[], R>(g: (...a: A) => R) => (...a: A): R => {
    if (depth === 0 && kernelDepth() === 0) reads++;
    depth++;
    try {
      return g.apply(b, a);
    } finally {
      depth--;
    }
  };
  b.read = counted(read);
  b.readSync = counted(readSync);
  try {
    return { value: await f(), reads };
  } finally {
    b.read = read;
    b.readSync = readSync;
  }
}

export function groupKernels(list: { name: string; kernelTimeMs: number | { error: string } }[]): KernelStat[] {
  const byName = new Map<string, KernelStat>();
  for (const k of list) {
    const s = byName.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
    s.calls += 1;
    s.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, s);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

type Recorder = { recordAndSubmit?: (...a: unknown[]) => void };

/** On webgpu, counts the programs recorded while `f` runs (every dispatch goes through recordAndSubmit, the fused
 * AdamW's too; a kernel may run several programs, or none where tfjs computes a small one on the CPU); elsewhere null. */
export async function countDispatches<T>(f: () => Promise<T>): Promise<{ value: T; dispatches: number | null }> {
  const b = tf.backend() as unknown as Recorder;
  const orig = b.recordAndSubmit;
  if (tf.getBackend() !== 'webgpu' || !orig) return { value: await f(), dispatches: null };
  let dispatches = 0;
  b.recordAndSubmit = (...a: unknown[]) => (dispatches++, orig.apply(b, a));
  try {
    return { value: await f(), dispatches };
  } finally {
    b.recordAndSubmit = orig;
  }
}

/** Profiles one call of `f` (a whole training step). Kernel times are exact on sync backends (cpu, wasm). */
export async function profileStep(f: () => Promise<void>): Promise<StepProfile> {
  const before = tf.memory().numBytes;
  let gpu: number | null = null;
  const { value: info, reads } = await countReads(async () => {
    const r = await countDispatches(() => tf.profile(f));
    gpu = r.dispatches;
    return r.value;
  });
  const kernels = groupKernels(info.kernels as unknown as { name: string; kernelTimeMs: number }[]);
  return {
    kernels,
    dispatches: gpu ?? info.kernels.length,
    readbacks: reads,
    startBytes: before,
    peakBytes: info.peakBytes - before,
    kernelMs: kernels.reduce((a, k) => a + k.ms, 0),
  };
}

/** A markdown table of the top kernels. */
export function kernelTable(p: StepProfile, top = 15): string {
  const rows = p.kernels.slice(0, top).map((k) => `| ${k.name} | ${k.calls} | ${k.ms.toFixed(1)} | ${((100 * k.ms) / Math.max(1e-9, p.kernelMs)).toFixed(1)}% |`);
  return ['| kernel | calls | ms | share |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
