// The training benchmark's measurements: FLOPs of one step (counted from the model's shapes, the same count for us
// and the PyTorch peer), and one benchmark row for our engine (median step split, dispatches, readbacks, memory).
import { BenchStep } from './bench-step';
import { planMemory, planModelFor } from './memory-plan';
import { linearModules, matchesTarget } from './params';
import { profileStep, type KernelStat } from './profile';
import { setSpeedups, type Speedup } from './speedups';
import { isGpt2, type LoraConfig, type ModelConfig, type WeightMap } from './types';

/** Matmul FLOPs of one training step (forward, backward, and weight gradients where trained); elementwise ops,
 * norms and the embedding lookup are left out, as in the usual 6 * params * tokens estimate. */
export function stepFlops(c: ModelConfig, method: 'lora' | 'full', B: number, T: number, lora: Pick<LoraConfig, 'r' | 'targetModules'>): number {
  if (!isGpt2(c)) throw new Error('stepFlops counts GPT-2-shaped models only');
  const N = B * T;
  const linear = [...linearModules(c).values()].reduce((a, m) => a + m.fanIn * m.fanOut, 0);
  const head = c.vocab_size * c.n_embd;
  const attention = 4 * T * c.n_embd * c.n_layer; // per token: q k^T and att v, 2 * T * C each, full T x T
  const fwd = N * (2 * (linear + head) + attention);
  if (method === 'full') return 3 * fwd; // backward: input and weight gradients, each as costly as the forward
  let adapters = 0; // x A^T then (.) B^T: 2 r (in + out) per token, and three times that with the backward
  for (const [path, m] of linearModules(c)) if (matchesTarget(path, lora.targetModules)) adapters += 2 * lora.r * (m.fanIn + m.fanOut);
  // Frozen weights need only input gradients (one more forward's worth); attention has no weights: both inputs.
  return N * (2 * 2 * (linear + head) + 3 * attention + 3 * adapters);
}

export interface OurRow {
  speedups: Speedup[];
  tokensPerSec: number;
  forwardMs: number;
  backwardMs: number; // gradients and clipping
  optimizerMs: number;
  stepMs: number;
  dispatches: number;
  readbacks: number;
  measuredPeakBytes: number; // tensor bytes at the step's peak, weights and optimizer state included
  plannedBytes: number; // planMemory's total for the same setup
  gflops: number;
  topKernels: KernelStat[];
}

export interface OurSetup {
  config: ModelConfig;
  weights: WeightMap;
  method: 'lora' | 'full';
  batch: number;
  seqLen: number;
  lora: LoraConfig;
  steps: number; // timed steps after one warm-up step
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One row: warm-up, `steps` timed steps (median of each phase by total), then one profiled step. */
export async function measureOurs(s: OurSetup, speedups: Speedup[]): Promise<OurRow> {
  setSpeedups(speedups);
  const step = new BenchStep({ ...s, lr: 1e-4, weightDecay: s.method === 'full' ? 0.01 : 0 });
  try {
    await step.run();
    const times = [];
    for (let i = 0; i < s.steps; i++) times.push(await step.run());
    const mid = times.find((t) => t.totalMs === median(times.map((x) => x.totalMs)))!;
    const p = await profileStep(async () => void (await step.run()));
    const trainable = step.trainableParams;
    const plan = planMemory(planModelFor(s.config), { method: s.method, trainableParams: trainable, batchSize: s.batch, seqLen: s.seqLen }, { budgetBytes: Infinity });
    return {
      speedups, tokensPerSec: step.tokens / (mid.totalMs / 1000), forwardMs: mid.forwardMs, backwardMs: mid.backwardMs,
      optimizerMs: mid.optimizerMs, stepMs: mid.totalMs, dispatches: p.dispatches, readbacks: p.readbacks,
      measuredPeakBytes: p.peakBytes + p.startBytes, plannedBytes: plan.total,
      gflops: stepFlops(s.config, s.method, s.batch, s.seqLen, s.lora) / (mid.totalMs * 1e6), topKernels: p.kernels.slice(0, 8),
    };
  } finally {
    step.dispose();
    setSpeedups(true);
  }
}
