// Backend choice: the adapter is described in words, an explicit choice reports the backend that really runs, and
// GPU backends on a software rasteriser rank below wasm (unless a software WebGPU adapter is allowed, as tests do).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeGpuAdapter, initBackend, rankBackends, WEBGPU_DEFAULT_LIMITS, webgpuBufferLimits, type Candidate } from './backend';
import { isSoftwareAdapter, probeWebGl, softwareRendererName } from './backend-probe';
import { largestTensorBytes } from './params';

describe('backend', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }, 'SwiftShader (software)'],
    [{ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false }, 'nvidia hopper'],
    [{ vendor: '', architecture: '', description: 'Some GPU' }, 'Some GPU'],
  ])('describes %o as %s', (info, words) => {
    expect(describeGpuAdapter(info)).toBe(words);
  });

  const SWIFTSHADER_GL = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
  const noGpu: Candidate[] = [
    { name: 'webgpu', adapter: 'SwiftShader (software)', software: 'SwiftShader' },
    { name: 'webgl', adapter: 'WebGL 2 on SwiftShader (software)', software: 'SwiftShader' },
    { name: 'wasm' },
    { name: 'cpu' },
  ];
  const order = (c: Candidate[], allow: boolean, choice: 'auto' | 'webgl' = 'auto') => rankBackends(choice, c, { allowFallbackAdapter: allow }).order.map((x) => x.name);

  it('ranks software GPU backends below wasm and says why', () => {
    const r = rankBackends('auto', noGpu, { allowFallbackAdapter: false });
    expect(r.order.map((c) => c.name)).toEqual(['wasm', 'webgl', 'cpu']);
    expect(r.skipped.join(' ')).toMatch(/webgpu: only a software adapter \(SwiftShader\).*webgl: the renderer is SwiftShader/);
    expect(r.slow.map((c) => c.name)).toEqual(['webgpu', 'webgl']);
  });

  it('keeps an allowed software WebGPU adapter first (tests), and an explicit webgl choice on SwiftShader', () => {
    expect(order(noGpu, true)).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(order(noGpu, false, 'webgl')).toEqual(['webgl']);
  });

  it('keeps real GPUs first', () => {
    const gpu: Candidate[] = [{ name: 'webgpu', adapter: 'nvidia hopper' }, { name: 'webgl', adapter: 'WebGL 2' }, { name: 'wasm' }, { name: 'cpu' }];
    expect(order(gpu, false)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(order([{ name: 'webgpu', unavailable: 'none' }, ...gpu.slice(1)], false)).toEqual(['webgl', 'wasm', 'cpu']);
  });

  it.each([
    [SWIFTSHADER_GL, 'SwiftShader'],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
    ['ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11 vs_5_0 ps_5_0)', null],
  ])('reads the WebGL renderer %s as software: %s', (renderer, name) => {
    expect(softwareRendererName(renderer)).toBe(name);
  });

  it('probes the WebGL renderer through WEBGL_debug_renderer_info and frees the context', () => {
    const lose = vi.fn();
    const gl = { RENDERER: 1, getParameter: (p: number) => (p === 0x9246 ? SWIFTSHADER_GL : 'WebKit WebGL'), getExtension: (n: string) => (n === 'WEBGL_debug_renderer_info' ? { UNMASKED_RENDERER_WEBGL: 0x9246 } : { loseContext: lose }) };
    vi.stubGlobal('OffscreenCanvas', class { getContext = () => gl; });
    expect(probeWebGl()).toBe(SWIFTSHADER_GL);
    expect(lose).toHaveBeenCalled();
  });

  it('treats a SwiftShader WebGPU adapter as software even when it is not flagged as a fallback', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper' })).toBe(false);
  });

  it('skips webgpu when Node offers no adapter and lands on a backend that really runs', async () => {
    const info = await initBackend('cpu', { allowFallbackAdapter: false });
    expect(info).toMatchObject({ backend: 'cpu', adapter: 'JavaScript (slow)' });
    await expect(initBackend('webgpu', { allowFallbackAdapter: true })).rejects.toThrow(/webgpu: not available in this build|no WebGPU adapter/);
  });

  afterEach(() => vi.unstubAllGlobals());

  it('reports the adapter buffer limits tfjs requests, or null without WebGPU', async () => {
    await initBackend('cpu', { allowFallbackAdapter: false });
    vi.stubGlobal('navigator', undefined);
    expect(await webgpuBufferLimits()).toBeNull();
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 }; // SwiftShader's, measured
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => ({ limits }) } });
    expect(await webgpuBufferLimits()).toEqual({ ...limits, source: 'adapter' });
  });

  it("finds GPT-2 small's embedding over WebGPU's default binding limit", () => {
    const gpt2 = { model_type: 'gpt2' as const, vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };
    const big = largestTensorBytes(gpt2);
    expect(big).toEqual({ key: 'wte.weight', bytes: 50257 * 768 * 4 });
    expect(big.bytes).toBeGreaterThan(WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize);
  });
});
