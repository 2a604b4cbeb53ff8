// Chooses the tfjs backend: webgpu, else webgl, else wasm, else cpu, and says which one really runs.
// tfjs falls back silently when a backend fails to start, so the result is read back with tf.getBackend().
import * as tf from '@tensorflow/tfjs';
import { installWasmKernels } from './wasm-kernels';

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
}

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Asks the browser for a WebGPU adapter without starting tfjs: null when there is none. */
async function probeWebGpu(): Promise<GpuAdapterInfoLike | null> {
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return null;
  const adapter = (await gpu.requestAdapter()) as { info?: GpuAdapterInfoLike; isFallbackAdapter?: boolean } | null;
  if (!adapter) return null;
  // GPUAdapterInfo's fields are prototype getters: spreading it gives {}, so copy them one by one.
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  };
}

export function describeGpuAdapter(info: GpuAdapterInfoLike): string {
  const arch = info.architecture ?? '';
  const name = arch.toLowerCase() === 'swiftshader' ? 'SwiftShader' : [info.vendor, arch].filter(Boolean).join(' ') || info.description || 'GPU';
  return info.isFallbackAdapter ? `${name} (software)` : name;
}

async function describe(name: BackendName, gpuInfo: GpuAdapterInfoLike | null): Promise<string> {
  if (name === 'webgpu' && gpuInfo) return describeGpuAdapter(gpuInfo);
  if (name === 'webgl') return 'WebGL 2';
  if (name === 'wasm') return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'WebAssembly SIMD' : 'WebAssembly';
  return 'JavaScript (slow)';
}

/** Tries each backend in order; `choice` 'auto' walks the whole chain, a name tries only that one. */
export async function initBackend(choice: BackendName | 'auto', opts: BackendOptions): Promise<BackendInfo> {
  const registered = new Set(Object.keys(tf.engine().registryFactory));
  const order = choice === 'auto' ? BACKEND_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    if (!registered.has(name)) {
      skipped.push(`${name}: not available in this build`);
      continue;
    }
    let gpuInfo: GpuAdapterInfoLike | null = null;
    if (name === 'webgpu') {
      gpuInfo = await probeWebGpu().catch(() => null);
      if (!gpuInfo) {
        skipped.push('webgpu: this browser offers no WebGPU adapter');
        continue;
      }
      if (gpuInfo.isFallbackAdapter && !opts.allowFallbackAdapter) {
        skipped.push('webgpu: only a software (fallback) adapter is available; allow it in the settings to use it');
        continue;
      }
    }
    if (name === 'wasm') installWasmKernels();
    const ok = await tf.setBackend(name).catch(() => false);
    if (ok && tf.getBackend() === name) {
      await tf.ready();
      return { backend: name, adapter: await describe(name, gpuInfo), skipped };
    }
    skipped.push(`${name}: failed to start`);
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
