// Judges the fused attention part of the WebGPU kernel report (scripts/webgpu-attention-entry.ts makes it; the
// kernel bundle scripts/webgpu-kernels.ts runs it): fused sdpa vs plain-op sdpa and the tiny models with the kernels vs
// without, relative error < 1e-4 everywhere, and fewer dispatches with the kernels.
export const ATTENTION_TOL = 1e-4; // max |fused - plain| / max |plain|, per output and gradient

export interface AttentionReport {
  cases: { shape: string; fused: boolean; forward: number; dq: number; dk: number; dv: number }[];
  models: { model: string; logits: number; grads: number; weights: number }[];
  perAttention: { plain: number; fused: number };
}

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
  return out;
}
