// Keeps the GPU benchmark from rotting without a GPU: its smoke mode (tiny GPT-2 and Llama shapes, one step, wasm)
// runs every part but Dawn (rows, profile, the PyTorch peer's --jobs on the CPU, table, JSON), and without an adapter
// (no Vulkan driver here) the real mode exits 2 with a plain message. Never asserts a speed.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run bench:gpu', () => {
  it('--smoke --json prints one JSON line of rows in the issue\'s shape, Llama and GPT-2, peer beside', () => {
    const out = execFileSync('npx', ['tsx', 'scripts/bench-gpu.ts', '--smoke', '--json'], { encoding: 'utf8', timeout: 110_000 });
    const { rows } = JSON.parse(out.trim().split('\n').pop()!);
    expect(rows.map((r: { config: string; method: string }) => `${r.config}:${r.method}`)).toEqual(['tiny-gpt2:lora', 'tiny-gpt2:full', 'tiny-llama:lora', 'tiny-llama:full']);
    for (const r of rows) {
      expect(r).toMatchObject({ backend: expect.stringMatching(/^wasm/), batch: 1, seqLen: 16, peerThreads: null });
      for (const k of ['tokensPerSec', 'plannedBytes', 'measuredPeakBytes', 'dispatches', 'gflops', 'flopsPerStep']) expect(r[k], k).toBeGreaterThan(0);
      expect(r.readbacks).toBe(1);
      // The peer is optional here (Debian's python3-torch); when present, the ratio is ours over its fp32 tokens/s.
      if (r.peerTokensPerSec === null) expect(r.ratio).toBeNull();
      else expect(r.ratio).toBeCloseTo(r.tokensPerSec / r.peerTokensPerSec, 9);
      expect(r.peerTf32TokensPerSec).toBeNull(); // TF32 exists on CUDA only
    }
  }, 120_000);

  it('says plainly that Dawn found no GPU adapter and exits 2', () => {
    const r = spawnSync('npx', ['tsx', 'scripts/bench-gpu.ts', '--no-peer'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return; // a machine with a GPU: nothing to check here
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bench:gpu: Dawn found no WebGPU adapter/);
  }, 70_000);
});
