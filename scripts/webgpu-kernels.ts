// Runs the WebGPU kernels' checks (scripts/webgpu-kernels-entry.ts: packed-weight matmul, fused AdamW, fused loss and LoRA, fused attention) on WebGPU in Debian's Chromium
// (SwiftShader) and judges them. npx tsx scripts/webgpu-kernels.ts (needs /usr/bin/chromium); exits 1 on a failure.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { attentionFailures, type AttentionReport } from './webgpu-attention';
import { fusedFailures, type FusedReport } from './webgpu-fused';
import { evaluateOnWebGpu } from './webgpu-page';

export { CHROMIUM } from './webgpu-page';
export const KERNEL_TOL = 1e-4; // packed kernel vs tf.matMul of the dequantized weight, max |diff| / max |ref|
// Tiny model, packed vs f32 logits, max |diff| / max |logit|: each f16 weight is within 2^-11 of its own value and each
// int8 one within 2^-8 of its channel's largest (scale / 2 = max / 254); the sums average those errors down, so the
// logits stay within one such step of the largest logit (measured: f16 0.4 x 2^-11, int8 1.3 x 2^-8, so int8 gets 2^-6).
// The entry also checks the rigorous first-order worst-case bound, which holds with a wide margin.
export const MODEL_TOL: Record<string, number> = { f16: 2 ** -11, int8: 2 ** -6 };

export interface KernelReport {
  backend: string;
  cases: { format: string; layout: string; shape: string; forward: number; dx: number }[];
  sums: { n: number; expected: number; sumTensors: number; addN: number }[];
  model: { format: string; vsEmulated: number; maxAbsLogitDiff: number; relLogitDiff: number; maxBound: number; worstDiffOverBound: number }[];
  adamw: { shapes: string[]; p: number; m: number; v: number; moved: number; dispatchesPlain: number; dispatchesFused: number };
  steps: { method: string; plainAdamW: number; fusedAdamW: number }[];
  fused: FusedReport;
  attention: AttentionReport;
  leaked: number;
}

export async function runKernelChecks(): Promise<KernelReport> {
  return evaluateOnWebGpu<KernelReport>(path.join(import.meta.dirname, 'webgpu-kernels-entry.ts'), 'kernels', 'kernels.check()');
}

/** What is wrong with a report; empty when every check passes. */
export function failures(r: KernelReport): string[] {
  const out: string[] = [];
  if (r.backend !== 'webgpu') out.push(`ran on ${r.backend}, not webgpu`);
  for (const c of r.cases) {
    if (!(c.forward < KERNEL_TOL && c.dx < KERNEL_TOL)) out.push(`${c.format} ${c.layout} ${c.shape}: forward ${c.forward}, dx ${c.dx}`);
  }
  for (const m of r.model) {
    if (!(m.relLogitDiff < MODEL_TOL[m.format])) out.push(`tiny model ${m.format}: logits off by ${m.relLogitDiff} relative`);
    if (!(m.worstDiffOverBound <= 1)) out.push(`tiny model ${m.format}: logits off by ${m.worstDiffOverBound}x the rounding bound`);
    if (!(m.vsEmulated < KERNEL_TOL)) out.push(`tiny model ${m.format}: packed logits differ from the dequantized model's by ${m.vsEmulated}`);
  }
  for (const s of r.sums) if (s.sumTensors !== s.expected) out.push(`sumTensors of ${s.n} tensors gave ${s.sumTensors}, not ${s.expected}`);
  const a = r.adamw;
  if (!(a.p < KERNEL_TOL && a.m < KERNEL_TOL && a.v < KERNEL_TOL)) out.push(`fused AdamW vs plain AdamW: p ${a.p}, m ${a.m}, v ${a.v}`);
  if (!(a.moved > 1e-3)) out.push(`AdamW steps moved the parameters by only ${a.moved} (relative): the comparison shows nothing`);
  if (a.dispatchesFused !== a.shapes.length) out.push(`fused AdamW ran ${a.dispatchesFused} programs for ${a.shapes.length} parameters, not one each`);
  out.push(...fusedFailures(r.fused));
  out.push(...attentionFailures(r.attention));
  if (r.leaked !== 0) out.push(`${r.leaked} tensors left behind`);
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runKernelChecks();
  console.log(JSON.stringify(report, null, 2));
  const bad = failures(report);
  for (const b of bad) console.error(`FAIL ${b}`);
  process.exitCode = bad.length ? 1 : 0;
}
