// The training benchmark's measurements: FLOPs of one step (counted from the model's shapes, the same count for us
// and the PyTorch peer), and one benchmark row for our engine (median step split, dispatches, readbacks, memory).
import { BenchStep, type StepTimes } from './bench-step';
import { planMemory, planModelFor } from './memory-plan';
import { linearModules, matchesTarget } from './params';
import { profileStep, type KernelStat } from './profile';
import { setSpeedups, type Speedup } from './speedups';
import { hiddenSize, isGpt2, type LoraConfig, type ModelConfig, type WeightMap } from './types';

/** Matmul FLOPs of one training step (forward, backward, and weight gradients where trained); elementwise ops,
 * norms and the embedding lookup are left out, as in the usual 6 * params * tokens estimate. */
export function stepFlops(c: ModelConfig, method: 'lora' | 'full', B: number, T: number, lora: Pick<LoraConfig, 'r' | 'targetModules'>): number {
  const N = B * T;
  const linear = [...linearModules(c).values()].reduce((a, m) => a + m.fanIn * m.fanOut, 0);
  const head = c.vocab_size * hiddenSize(c);
  // Per token and layer: q k^T and att v, 2 * T * (query heads x head size) each, full T x T.
  const [layers, qWidth] = isGpt2(c) ? [c.n_layer, c.n_embd] : [c.num_hidden_layers, c.num_attention_heads * c.head_dim];
  const attention = 4 * T * qWidth * layers;
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
  stepMs: number; // the fastest timed step
  steps: number; // how many were timed
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
}

/**
 * Our side of one benchmark row. Steps are timed in rounds (`time`), so a caller can interleave several of these and
 * the PyTorch peer; the row reports the fastest step, the usual estimate on a machine whose load changes (timeit's).
 * Memory is profiled on a fresh instance (`profile`), so interleaved instances do not inflate each other's peak.
 */
export class OurBench {
  private readonly step: BenchStep;
  private readonly times: StepTimes[] = [];

  constructor(private readonly s: OurSetup, readonly speedups: Speedup[]) {
    this.step = new BenchStep({ ...s, lr: 1e-4, weightDecay: s.method === 'full' ? 0.01 : 0 });
  }

  /** Runs `n` steps with this row's speedups; `record` false for a warm-up. */
  async time(n: number, record = true): Promise<void> {
    setSpeedups(this.speedups);
    try {
      for (let i = 0; i < n; i++) {
        const t = await this.step.run();
        if (record) this.times.push(t);
      }
    } finally {
      setSpeedups(true);
    }
  }

  /** The timing half of the row, from the fastest recorded step. */
  timing(): Pick<OurRow, 'speedups' | 'tokensPerSec' | 'forwardMs' | 'backwardMs' | 'optimizerMs' | 'stepMs' | 'steps' | 'gflops'> {
    const best = this.times.reduce((a, t) => (t.totalMs < a.totalMs ? t : a));
    const { config, method, batch, seqLen, lora } = this.s;
    return {
      speedups: this.speedups, tokensPerSec: this.step.tokens / (best.totalMs / 1000), forwardMs: best.forwardMs, backwardMs: best.backwardMs,
      optimizerMs: best.optimizerMs, stepMs: best.totalMs, steps: this.times.length, gflops: stepFlops(config, method, batch, seqLen, lora) / (best.totalMs * 1e6),
    };
  }

  /** One profiled step: dispatches, readbacks and memory. Run it with no other OurBench alive, or their state counts. */
  async profile(): Promise<Pick<OurRow, 'dispatches' | 'readbacks' | 'measuredPeakBytes' | 'plannedBytes' | 'topKernels'>> {
    setSpeedups(this.speedups);
    const p = await profileStep(async () => void (await this.step.run())).finally(() => setSpeedups(true));
    const { config, method, batch, seqLen } = this.s;
    const plan = planMemory(planModelFor(config), { method, trainableParams: this.step.trainableParams, batchSize: batch, seqLen }, { budgetBytes: Infinity });
    return { dispatches: p.dispatches, readbacks: p.readbacks, measuredPeakBytes: p.peakBytes + p.startBytes, plannedBytes: plan.total, topKernels: p.kernels.slice(0, 8) };
  }

  dispose(): void {
    this.step.dispose();
  }
}
