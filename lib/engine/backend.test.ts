// Backend choice: the adapter is described in words, and an explicit choice reports the backend that really runs.
import { describe, expect, it } from 'vitest';
import { describeGpuAdapter, initBackend } from './backend';

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
});
