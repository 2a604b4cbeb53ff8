// The WebGPU kernels (packed-weight matmul, fused AdamW, fused loss and LoRA, fused attention) on the software WebGPU adapter (Debian's Chromium + SwiftShader), from the unit-test
// command; skipped only where Chromium is missing (CI has it). The same checks: npx tsx scripts/webgpu-kernels.ts.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, failures, runKernelChecks } from './webgpu-kernels';

describe.skipIf(!existsSync(CHROMIUM))('WebGPU kernels (Chromium, SwiftShader)', () => {
  it('packed matmul matches tf.matMul of the dequantized weights (forward, dx), keeps a tiny model\'s logits within rounding; fused AdamW, loss, LoRA and attention match the plain ops', async () => {
    const report = await runKernelChecks();
    expect(report.backend).toBe('webgpu');
    expect(report.cases).toHaveLength(2 * 2 * 6); // f16, int8 x out-in, in-out x six shapes
    expect(report.model.map((m) => m.format)).toEqual(['f16', 'int8']);
    expect(report.adamw.shapes).toHaveLength(8);
    expect(report.steps.map((s) => s.method)).toEqual(['lora', 'full']);
    expect(report.attention.cases).toHaveLength(4);
    expect(report.attention.models).toHaveLength(3);
    console.log('Fused attention: dispatches of one attention forward and backward', report.attention.perAttention.plain, '->', report.attention.perAttention.fused);
    console.log('GPU dispatches per training step (tiny GPT-2):', JSON.stringify(report.steps), 'AdamW step:', report.adamw.dispatchesPlain, '->', report.adamw.dispatchesFused);
    console.log('Fused loss and LoRA, forward + backward of a tiny LoRA GPT-2, dispatches off -> on:', report.fused.steps.map((x) => `${x.dispatchesPlain} -> ${x.dispatchesFused}`).join(', '));
    expect(failures(report)).toEqual([]);
  }, 300_000);
});
