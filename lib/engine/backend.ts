// Chooses the tfjs backend: a real GPU through webgpu or webgl, else wasm, else a GPU backend on a software rasteriser,
// else cpu, and says which one really runs and why. tfjs falls back silently when a backend fails to start, so the
// result is read back with tf.getBackend().
import * as tf from '@tensorflow/tfjs';
import { describeGpuAdapter, isSoftwareAdapter, probeWebGl, probeWebGpu, softwareRendererName } from './backend-probe';
import { byTime, raceBackends, raceWords, type ProbeShape, type RaceEntry } from './backend-race';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from './wasm-kernels';
import { prepareWasmThreads } from './wasm-threads';

export { describeGpuAdapter } from './backend-probe';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  /** What runs it, in words: "SwiftShader (software)", "WebAssembly SIMD", ... */
  adapter: string;
  /** Why earlier backends in the chain were skipped. */
  skipped: string[];
}

export interface BackendOptions {
  allowFallbackAdapter: boolean;
  /** The model's shapes: with 'auto', every runnable backend but cpu is timed on them and the fastest kept. */
  race?: ProbeShape;
}

/** One backend as the probes found it, before anything starts. */
export interface Candidate {
  name: BackendName;
  adapter?: string; // what would run it, in words, when a probe could tell
  software?: string; // the software rasteriser behind a GPU backend ("SwiftShader"), if any
  unavailable?: string; // why it cannot run at all
}

/** Why a GPU backend on a software rasteriser is ranked below WebAssembly (measured in the studio, demo model). */
const SLOWER = 'slower than WebAssembly on the same CPU (demo model in Chromium: WebGL on SwiftShader 64-70 tokens/s, WebAssembly 128)';

/**
 * The order to try: GPUs on real hardware first, then wasm, then GPU backends on a software rasteriser, then cpu.
 * A software WebGPU adapter runs only when allowed (allowFallbackAdapter: tests use SwiftShader on purpose), and
 * then keeps its first place. An explicit choice tries only that backend.
 */
export function rankBackends(choice: BackendName | 'auto', candidates: Candidate[], opts: BackendOptions): { order: Candidate[]; skipped: string[]; slow: Candidate[] } {
  const skipped: string[] = [];
  const first: Candidate[] = [];
  const demoted: Candidate[] = [];
  const slow: Candidate[] = []; // passed over for being software
  for (const c of candidates.filter((c) => choice === 'auto' || c.name === choice)) {
    if (c.unavailable) skipped.push(`${c.name}: ${c.unavailable}`);
    else if (c.name === 'webgpu' && c.software && !opts.allowFallbackAdapter) {
      skipped.push(`webgpu: only a software adapter (${c.software}) is available, ${SLOWER}; allow software adapters in the settings to use it`);
      slow.push(c);
    } else if (choice === 'auto' && c.name === 'webgl' && c.software) {
      skipped.push(`webgl: the renderer is ${c.software}, a software rasteriser, ${SLOWER}; choose webgl to use it anyway`);
      demoted.push(c);
      slow.push(c);
    } else first.push(c);
  }
  const cpuAt = first.findIndex((c) => c.name === 'cpu');
  const order = cpuAt < 0 ? [...first, ...demoted] : [...first.slice(0, cpuAt), ...demoted, ...first.slice(cpuAt)];
  return { order, skipped, slow };
}

/** The order to try after a race: those that ran, fastest first, then the rest (failed or unraced) as ranked. */
export function orderAfterRace(order: Candidate[], entries: RaceEntry[]): Candidate[] {
  const ran = byTime(entries).filter((e) => e.ms !== null);
  return [...ran.map((e) => order.find((c) => c.name === e.name)!), ...order.filter((c) => !ran.some((e) => e.name === c.name))];
}

/** What each registered backend would run on, from the probes (no backend is started). */
async function probeAll(names: BackendName[]): Promise<Candidate[]> {
  const registered = new Set(Object.keys(tf.engine().registryFactory));
  const out: Candidate[] = [];
  for (const name of names) {
    if (!registered.has(name)) out.push({ name, unavailable: 'not available in this build' });
    else if (name === 'webgpu') {
      const info = await probeWebGpu().catch(() => null);
      const software = info && isSoftwareAdapter(info) ? (info.architecture?.toLowerCase() === 'swiftshader' ? 'SwiftShader' : 'a fallback adapter') : undefined;
      out.push(info ? { name, adapter: describeGpuAdapter(info), software } : { name, unavailable: 'this browser offers no WebGPU adapter' });
    } else if (name === 'webgl') {
      const renderer = probeWebGl();
      const software = renderer ? (softwareRendererName(renderer) ?? undefined) : undefined;
      out.push({ name, adapter: software ? `WebGL 2 on ${software} (software)` : 'WebGL 2', software });
    } else out.push({ name });
  }
  return out;
}

/** Before the wasm backend first starts: our kernels, and its thread pool (lib/engine/wasm-threads.ts). */
function startWasm(): void {
  prepareWasmThreads();
  installWasmKernels();
}

async function describe(c: Candidate): Promise<string> {
  if (c.adapter) return c.adapter;
  if (c.name === 'wasm') {
    const threads = getThreadsCount();
    return `${(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'WebAssembly SIMD' : 'WebAssembly'}${threads > 1 ? `, ${threads} threads` : ''}`;
  }
  return c.name === 'cpu' ? 'JavaScript (slow)' : c.name;
}

/** Starts the best backend for `choice` ('auto' ranks them all, a name tries only that one) and says why. */
export async function initBackend(choice: BackendName | 'auto', opts: BackendOptions): Promise<BackendInfo> {
  const ranked = rankBackends(choice, await probeAll(choice === 'auto' ? BACKEND_ORDER : [choice]), opts);
  const { order, slow } = ranked;
  let { skipped } = ranked;
  let tries = order;
  let measured = '';
  const racers = order.filter((c) => c.name !== 'cpu');
  // An allowed software WebGPU adapter was asked for (tests): it keeps its place, unmeasured.
  if (choice === 'auto' && opts.race && racers.length >= 2 && !(racers[0].name === 'webgpu' && racers[0].software)) {
    if (racers.some((c) => c.name === 'wasm')) startWasm();
    const entries = await raceBackends(racers.map((c) => ({ name: c.name, label: c.software ? `${c.name} on ${c.software}` : c.name })), opts.race);
    tries = orderAfterRace(order, entries);
    measured = raceWords(entries);
    skipped = skipped.filter((line) => !racers.some((c) => line.startsWith(`${c.name}:`))); // the race says why instead
  }
  for (const c of tries) {
    if (c.name === 'wasm') startWasm();
    const ok = await tf.setBackend(c.name).catch(() => false);
    if (ok && tf.getBackend() === c.name) {
      await tf.ready();
      const over = c.software ? [] : slow.map((o) => `${o.name} on ${o.software}`);
      const why = measured ? ` (fastest, ${measured})` : over.length ? ` (faster here than ${over.join(' or ')})` : '';
      return { backend: c.name, adapter: (await describe(c)) + why, skipped };
    }
    skipped.push(`${c.name}: failed to start`);
  }
  throw new Error(`No tfjs backend could start (${skipped.join('; ')})`);
}

/** WebGPU's default limits (spec): what a device gets unless it asks the adapter for more. */
export const WEBGPU_DEFAULT_LIMITS = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 } as const;

export interface GpuBufferLimits {
  maxBufferSize: number; // largest GPUBuffer, bytes
  maxStorageBufferBindingSize: number; // largest buffer one shader can bind: the largest tensor a kernel can read
  /** 'device': read from the running tfjs webgpu backend; 'adapter': what tfjs will request when it starts. */
  source: 'device' | 'adapter';
}

interface LimitsLike {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

const pick = (l: LimitsLike, source: GpuBufferLimits['source']): GpuBufferLimits => ({
  maxBufferSize: Number(l.maxBufferSize), maxStorageBufferBindingSize: Number(l.maxStorageBufferBindingSize), source,
});

/**
 * The buffer limits a tensor meets on WebGPU, for memory planning; null without WebGPU. tfjs-backend-webgpu 4.22
 * (base.js) creates its device with requiredLimits set to the adapter's maxBufferSize and maxStorageBufferBindingSize
 * (and its workgroup limits), so the device gets the adapter's limits, not the 128 MiB binding default: nothing to
 * re-register. Once webgpu runs, the device's own limits are read back, so a change upstream would show here.
 */
export async function webgpuBufferLimits(): Promise<GpuBufferLimits | null> {
  if (tf.getBackend() === 'webgpu') {
    const device = (tf.backend() as unknown as { device?: { limits?: LimitsLike } }).device;
    if (device?.limits) return pick(device.limits, 'device');
  }
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<{ limits: LimitsLike } | null> } } | undefined)?.gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  return adapter ? pick(adapter.limits, 'adapter') : null;
}
