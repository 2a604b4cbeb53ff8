// The packed-weight matmul kernel on the software WebGPU adapter (Debian's Chromium + SwiftShader), from the unit-test
// command; skipped only where Chromium is missing (CI has it). The same checks: npx tsx scripts/webgpu-kernels.ts.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, failures, runKernelChecks } from './webgpu-kernels';

describe.skipIf(!existsSync(CHROMIUM))('packed matmul kernel on WebGPU (Chromium, SwiftShader)', () => {
  it('matches tf.matMul of the dequantized weights (forward, dx) and keeps a tiny model\'s logits within rounding', async () => {
    const report = await runKernelChecks();
    expect(report.backend).toBe('webgpu');
    expect(report.cases).toHaveLength(2 * 2 * 6); // f16, int8 x out-in, in-out x six shapes
    expect(report.model.map((m) => m.format)).toEqual(['f16', 'int8']);
    expect(failures(report)).toEqual([]);
  }, 300_000);
});
