// Judges the fused attention part of the WebGPU kernel report (scripts/webgpu-attention-entry.ts makes it; the
// kernel bundle scripts/webgpu-kernels.ts runs it): fused sdpa vs plain-op sdpa and the tiny models with the kernels vs
// without, relative error < 1e-4 everywhere, and fewer dispatches with the kernels.
export const ATTENTION_TOL = 1e-4; // max |fused - plain| / max |plain|, per output and gradient

export interface AttentionReport {
  cases: { shape: string; fused: boolean; forward: number; dq: number; dk: number; dv: number }[];
  models: { model: string; logits: number; grads: number; weights: number }[];
  perAttention: { plain: number; fused: number };
  memory: { fused: boolean; measured: number; planned: number }[];
}

/** The memory plan's activation estimate against the measured webgpu peak, each way (the cpu-calibrated plan
 * holds the cpu steps to 15%; a different backend's kernels get a wider band). */
export const ATTENTION_PLAN_BAND: [number, number] = [0.75, 1.3];

/** What is wrong with the attention report; empty when every check passes. */
export function attentionFailures(r: AttentionReport): string[] {
  const out: string[] = [];
  for (const c of r.cases) {
    if (!c.fused) out.push(`attention ${c.shape}: the fused kernels did not run (or the plain reference used them)`);
    const worst = Math.max(c.forward, c.dq, c.dk, c.dv);
    if (!(worst < ATTENTION_TOL)) out.push(`attention ${c.shape}: forward ${c.forward}, dq ${c.dq}, dk ${c.dk}, dv ${c.dv}`);
  }
  for (const m of r.models) {
    if (!(m.logits < ATTENTION_TOL && m.grads < ATTENTION_TOL)) out.push(`tiny ${m.model} with fused attention: logits ${m.logits}, gradients ${m.grads} (worst of ${m.weights})`);
  }
  if (!(r.perAttention.fused < r.perAttention.plain)) out.push(`one attention ran ${r.perAttention.fused} dispatches fused, ${r.perAttention.plain} plain`);
  // The plan is judged where webgpu runs it: with the kernels. Without them (attention dropout on) the plain ops keep
  // more on webgpu than the cpu calibration says (measured 0.76x of the peak here); the report shows it.
  for (const m of r.memory.filter((x) => x.fused)) {
    const ratio = m.planned / m.measured;
    if (!(ratio > ATTENTION_PLAN_BAND[0] && ratio < ATTENTION_PLAN_BAND[1])) out.push(`memory plan ${m.fused ? 'with' : 'without'} fused attention: planned ${m.planned} bytes, measured ${m.measured} (${ratio.toFixed(2)}x)`);
  }
  const [fused, plain] = [r.memory.find((m) => m.fused), r.memory.find((m) => !m.fused)];
  if (!(fused && plain && fused.measured < 0.7 * plain.measured)) out.push(`fused attention did not lower the step's peak: ${fused?.measured} vs ${plain?.measured} bytes`);
  return out;
}
