// What GPU (if any) the browser would give each tfjs backend, asked without starting tfjs: the WebGPU adapter's info
// and the WebGL renderer's name, and whether either is a software rasteriser (SwiftShader, llvmpipe, ...).
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Asks the browser for a WebGPU adapter: null when there is none. */
export async function probeWebGpu(): Promise<GpuAdapterInfoLike | null> {
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

const SOFTWARE = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render/i;

/** A CPU pretending to be a GPU: slower for training than WebAssembly on the same CPU. */
export function isSoftwareAdapter(info: GpuAdapterInfoLike): boolean {
  return Boolean(info.isFallbackAdapter) || SOFTWARE.test(`${info.architecture ?? ''} ${info.description ?? ''}`);
}

/** The software rasteriser a renderer name mentions ("SwiftShader", "llvmpipe"), or null for a real GPU. */
export function softwareRendererName(renderer: string): string | null {
  const m = SOFTWARE.exec(renderer);
  return m ? (m[0].toLowerCase() === 'swiftshader' ? 'SwiftShader' : m[0]) : null;
}

export function describeGpuAdapter(info: GpuAdapterInfoLike): string {
  const arch = info.architecture ?? '';
  const name = arch.toLowerCase() === 'swiftshader' ? 'SwiftShader' : [info.vendor, arch].filter(Boolean).join(' ') || info.description || 'GPU';
  return isSoftwareAdapter(info) ? `${name} (software)` : name;
}

interface GlLike {
  RENDERER: number;
  getExtension(name: string): { UNMASKED_RENDERER_WEBGL?: number; loseContext?(): void } | null;
  getParameter(p: number): unknown;
}

/** The WebGL 2 renderer's name ("ANGLE (..., SwiftShader driver)"), or null without WebGL 2. */
export function probeWebGl(): string | null {
  const Canvas = (globalThis as unknown as { OffscreenCanvas?: new (w: number, h: number) => { getContext(k: string): unknown } }).OffscreenCanvas;
  if (!Canvas) return null;
  try {
    const gl = new Canvas(1, 1).getContext('webgl2') as GlLike | null;
    if (!gl) return null;
    // Chromium reports the real renderer in RENDERER too; the extension is the older way to ask.
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext?.(); // free the probe's context now, not at GC
    return renderer;
  } catch {
    return null;
  }
}
