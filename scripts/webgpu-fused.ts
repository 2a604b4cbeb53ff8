// Judges the fused loss and LoRA checks (scripts/webgpu-fused-entry.ts), part of the WebGPU kernel report
// (webgpu-kernels.ts): every kernel within KERNEL_TOL of its reference, the loss statistics within LOSS_TOL of float64.
export const FUSED_TOL = 1e-4; // max |diff| / max |ref| of an output or gradient
// The summed loss against float64 from the same logits (measured on SwiftShader: <= 3.3e-8), and fused against plain
// (<= 2.7e-7: the logits' f32 matmul rounds differently in the plain and fused graphs' chunks).
export const LOSS_TOL = 1e-6;

export interface FusedReport {
  loss: { shape: string; stats: number; loss: number; dz: number }[];
  chunked: { shape: string; value: number; dh: number; dW: number; fusedVsF64: number; plainVsF64: number }[];
  lora: { shape: string; forward: number; dx: number; dy: number; dA: number; dB: number }[];
  steps: { method: string; loss: number; grads: number; checkpointedLoss: number; checkpointedGrads: number; gradScale: number; dispatchesPlain: number; dispatchesFused: number }[];
}

/** What is wrong with the fused checks; empty when all pass. */
export function fusedFailures(r: FusedReport): string[] {
  const out: string[] = [];
  const bad = (x: number, tol = FUSED_TOL) => !(x < tol); // NaN fails
  for (const c of r.loss) {
    if (bad(c.stats) || bad(c.dz) || bad(c.loss, LOSS_TOL)) out.push(`loss kernels ${c.shape} vs float64: stats ${c.stats}, loss ${c.loss}, dz ${c.dz}`);
  }
  for (const c of r.chunked) {
    if (bad(c.value, LOSS_TOL) || bad(c.dh) || bad(c.dW)) out.push(`chunked loss ${c.shape}, fused vs plain: value ${c.value}, dh ${c.dh}, dW ${c.dW}`);
    if (bad(c.fusedVsF64, 1e-5)) out.push(`chunked loss ${c.shape}: fused value off float64 by ${c.fusedVsF64}`);
  }
  for (const c of r.lora) {
    if ([c.forward, c.dx, c.dy, c.dA, c.dB].some((x) => bad(x))) out.push(`fused LoRA ${c.shape} vs plain ops: ${JSON.stringify(c)}`);
  }
  for (const s of r.steps) {
    if (bad(s.loss, LOSS_TOL) || bad(s.grads)) out.push(`${s.method} step, kernels on vs off: loss ${s.loss}, gradients ${s.grads}`);
    if (bad(s.checkpointedLoss, LOSS_TOL) || bad(s.checkpointedGrads)) out.push(`${s.method} step, kernels on and checkpointed vs off: loss ${s.checkpointedLoss}, gradients ${s.checkpointedGrads}`);
    if (!(s.gradScale > 0)) out.push(`${s.method} step: every gradient is 0, the comparison shows nothing`);
    if (!(s.dispatchesFused < s.dispatchesPlain)) out.push(`${s.method} step: ${s.dispatchesFused} dispatches with the kernels, ${s.dispatchesPlain} without`);
  }
  return out;
}
