// Starts tfjs-backend-webgpu in Node on a real GPU through Dawn (the npm `webgpu` package, dawn.node): a browser is
// too large to carry to a GPU machine, Dawn's Node binding is one file. tfjs-backend-webgpu registers itself only if
// navigator.gpu exists when it is first imported, so this sets the WebGPU globals first and imports it after.
import { createRequire } from 'node:module';
import { initBackend, type BackendInfo } from '../engine/backend';

/** What Dawn says about the adapter (GPUAdapterInfo's fields). */
export interface DawnAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(o?: object): Promise<{ info: DawnAdapterInfo & { isFallbackAdapter?: boolean } } | null> };
  globals: Record<string, unknown>;
}

/** Raised when no usable GPU adapter is found; the message says what is missing, in plain words. */
export class NoGpuAdapterError extends Error {}

type AdapterProto = { requestDevice(d?: { requiredFeatures?: unknown[] }): Promise<unknown> };

/** tfjs-backend-webgpu 4.22 asks for the feature ['bgra8unorm-storage'] (an array in the list, which a browser turns
 * into its string); Dawn's binding checks each entry against the feature names, so pass it the flat list. */
function flattenRequiredFeatures(adapterClass: { prototype: AdapterProto } | undefined): void {
  const proto = adapterClass?.prototype;
  if (!proto || (proto as { webtuneFlat?: boolean }).webtuneFlat) return;
  const requestDevice = proto.requestDevice;
  proto.requestDevice = function (this: AdapterProto, d) {
    return requestDevice.call(this, d && { ...d, requiredFeatures: d.requiredFeatures?.flat() });
  };
  (proto as { webtuneFlat?: boolean }).webtuneFlat = true;
}

/** dawn.node from WEBTUNE_DAWN_NODE (the carried bundle sets it), else the installed `webgpu` package. */
async function loadDawn(): Promise<DawnModule> {
  const path = process.env.WEBTUNE_DAWN_NODE;
  if (path) return createRequire(import.meta.url)(path) as DawnModule;
  return (await import('webgpu')) as unknown as DawnModule;
}

/**
 * Starts the webgpu backend on Dawn's high-performance adapter. Refuses a software or fallback adapter (SwiftShader,
 * llvmpipe, lavapipe: their speed says nothing about a GPU). `nullBackend`: Dawn's Null backend, which validates and
 * compiles every shader and records every dispatch but runs nothing (a dry run of the Dawn path on any machine).
 */
export async function initDawnBackend(opts: { nullBackend?: boolean } = {}): Promise<{ backend: BackendInfo; adapter: DawnAdapterInfo }> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, GPUBuffer, ... as a browser has them
  flattenRequiredFeatures(dawn.globals.GPUAdapter as { prototype: AdapterProto } | undefined);
  const gpu = dawn.create(opts.nullBackend ? ['backend=null'] : []);
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new NoGpuAdapterError('Dawn found no WebGPU adapter: this machine has no usable Vulkan driver. A GPU machine needs the Vulkan loader ' +
      '(libvulkan.so.1; the bundle carries it) and the GPU vendor\'s Vulkan driver (NVIDIA: its ICD JSON, e.g. ' +
      '/usr/share/vulkan/icd.d/nvidia_icd.json or VK_DRIVER_FILES pointing at one).');
  }
  const info = adapter.info;
  const software = info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  if (software) {
    throw new NoGpuAdapterError(`Dawn's only adapter is a software one (${info.description || info.architecture || info.vendor}): no GPU to measure`);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  const backend = await initBackend('webgpu', { allowFallbackAdapter: false });
  const { vendor, architecture, device, description } = info;
  return { backend, adapter: { vendor, architecture, device, description } };
}
