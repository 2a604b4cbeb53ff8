// Switches for the engine's speed work, one per optimisation, so benchmarks can show plain tfjs beside the
// optimised path (and what each optimisation bought) and tests can compare the two. All on by default.
// fusedAttention: the FlashAttention-2 style WebGPU kernels (kernels/attention-webgpu.ts) behind attention.ts's sdpa.
export const SPEEDUPS = ['matmul', 'identity', 'adamw', 'slice', 'fusedLoss', 'fusedLora', 'fusedAttention'] as const;
export type Speedup = (typeof SPEEDUPS)[number];
/** Switches that change nothing off webgpu (its own WGSL programs), left out of the CPU benchmark's ablation. */
export const WEBGPU_ONLY: readonly Speedup[] = ['fusedLoss', 'fusedLora', 'fusedAttention'];

const enabled = new Set<Speedup>(SPEEDUPS);

/** true / false sets every switch; a list turns on exactly those. */
export function setSpeedups(on: boolean | readonly Speedup[]): void {
  enabled.clear();
  for (const s of on === true ? SPEEDUPS : on === false ? [] : on) enabled.add(s);
}

export function speedupOn(name: Speedup): boolean {
  return enabled.has(name);
}

/** Largest head size the fused attention kernels take (kernels/attention-webgpu.ts); larger heads use the plain ops. */
export const ATTENTION_MAX_HEAD = 256;

/** The one rule for when attention runs fused: on webgpu, the switch on, no attention dropout (the kernels keep no
 * probabilities to drop), heads the kernels hold. attention.ts follows it per call; the memory plan ahead of a run. */
export function fusedAttentionApplies(backend: string | null | undefined, headDim: number, dropout: number): boolean {
  return backend === 'webgpu' && speedupOn('fusedAttention') && !(dropout > 0) && headDim <= ATTENTION_MAX_HEAD;
}
