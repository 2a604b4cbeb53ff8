// Backend choice: the adapter is described in words, and an explicit choice reports the backend that really runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeGpuAdapter, initBackend, WEBGPU_DEFAULT_LIMITS, webgpuBufferLimits } from './backend';
import { largestTensorBytes } from './params';

describe('backend', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }, 'SwiftShader (software)'],
    [{ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false }, 'nvidia hopper'],
    [{ vendor: '', architecture: '', description: 'Some GPU' }, 'Some GPU'],
  ])('describes %o as %s', (info, words) => {
    expect(describeGpuAdapter(info)).toBe(words);
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
