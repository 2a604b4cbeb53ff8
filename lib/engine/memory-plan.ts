// Memory planning before training: bytes for weights, gradients, optimizer state and activations for a method,
// batch and sequence length, with or without gradient checkpointing and packed frozen weights, compared with what
// the WebGPU device allows and a budget the user sets.
//
// Written by hand: no library models tfjs's memory use. Weights, gradients and AdamW moments are exact counts;
// activations come from coefficients measured on real training steps (see ACTIVATION_COEFFICIENTS), and
// memory-plan.test.ts checks the estimate, and the whole plan against a measured trainer step, on shapes the fit
// did not see.
import { chunkTokensFor, KEEP_BYTES, type ChunkOptions } from './chunked-loss';
import { countParams, largestTensorBytes, layerOf, linearModules, loraTargetPresets, matchesTarget } from './params';
import type { PlanShape } from './peft/spec';
import { isGpt2, type ModelConfig } from './types';

/** The model facts a plan needs; both families reduce to these. */
export interface PlanModel {
  family: 'gpt2' | 'llama';
  layers: number;
  hidden: number; // C
  heads: number; // H
  kvHeads: number; // K (= H without grouped-query attention)
  headDim: number; // D
  intermediate: number; // I: MLP width (4C in GPT-2)
  vocab: number; // V
  params: number; // every weight, tied ones once
  linearParams?: number; // the blocks' linear weights (what packed frozen weights shrink); 0 when absent
  linearRows?: number; // their output rows (one int8 scale each)
  largestParam: { name: string; elements: number };
  /** One block's attention projections (their summed widths): the LoRA adapter the 'lora' coefficients were
   * measured with, which plans of other adapters replace by their own (see ADAPTER_FLOATS). */
  calibrationAdapter?: { fanIn: number; fanOut: number };
}

/** The plan's view of a loaded (or configured) model. */
export function planModelFor(c: ModelConfig): PlanModel {
  const largest = largestTensorBytes(c);
  const largestParam = { name: largest.key, elements: largest.bytes / F32 };
  const linear = [...linearModules(c).values()];
  const linearParams = linear.reduce((a, m) => a + m.fanIn * m.fanOut, 0);
  const linearRows = linear.reduce((a, m) => a + m.fanOut, 0);
  const attention = loraTargetPresets(c).presets.attention;
  const calibrationAdapter = { fanIn: 0, fanOut: 0 };
  for (const [path, m] of linearModules(c)) {
    if (layerOf(path) !== 0 || !matchesTarget(path, attention)) continue;
    calibrationAdapter.fanIn += m.fanIn;
    calibrationAdapter.fanOut += m.fanOut;
  }
  const common = { vocab: c.vocab_size, params: countParams(c), linearParams, linearRows, largestParam, calibrationAdapter };
  if (isGpt2(c)) {
    const C = c.n_embd;
    const I = typeof c.n_inner === 'number' ? c.n_inner : 4 * C;
    return { family: 'gpt2', layers: c.n_layer, hidden: C, heads: c.n_head, kvHeads: c.n_head, headDim: C / c.n_head, intermediate: I, ...common };
  }
  return { family: 'llama', layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads, headDim: c.head_dim, intermediate: c.intermediate_size, ...common };
}

/** How the frozen base weights are stored: float32, or packed f16 pairs / int8 with per-row scales (LoRA family). */
export type WeightFormat = 'f32' | 'f16' | 'int8';

export interface PlanRequest {
  method: 'lora' | 'full';
  trainableParams: number; // LoRA parameters, or every parameter for full fine-tuning
  batchSize: number;
  seqLen: number;
  gradAccum?: number; // does not change memory: micro-batches are processed one at a time
  checkpointing?: boolean; // gradient checkpointing (each block recomputed in the backward pass)
  weightFormat?: WeightFormat; // frozen base weights of the blocks' linear layers; f32 when absent (full: always f32)
  /** What the method adds to the forward pass (its spec's planShape); absent = LoRA on the attention projections,
   * as calibrated. */
  shape?: PlanShape;
  /** The method can train on packed base weights (an adapter that reads the frozen linears only through their
   * product): the plan may suggest loading them as f16 or int8. */
  packable?: boolean;
  /** Frozen weights of another model the run reads (an RL run's reward model), counted with the weights. */
  extraWeightBytes?: number;
  /** Attention runs the fused FlashAttention-2 style kernels (WebGPU, lib/engine/attention.ts): no [B, H, T, T]
   * scores or probabilities are kept, only one log-sum-exp per query row. */
  fusedAttention?: boolean;
}

/** What the device allows; all in bytes. */
export interface DeviceLimits {
  budgetBytes: number; // the user's memory budget (WebGPU does not report device memory)
  maxBufferSize?: number; // adapter limit: one GPUBuffer
  maxStorageBufferBindingSize?: number; // adapter limit: one tensor bound to a shader
}

export interface MemoryPlan {
  weights: number; // base weights, plus the adapter (LoRA) or the trained copy (full)
  gradients: number;
  optimizer: number; // AdamW: two moments per trainable parameter
  activations: number; // the working memory of one micro-batch at its peak (forward, backward, update)
  total: number;
  checkpointing: boolean; // what this plan assumed
  /** The largest single tensor (weight or activation) and whether one binding holds it. */
  largestTensor: { name: string; bytes: number };
  fits: boolean;
  problems: string[]; // why it does not fit, in plain words
  suggestions: PlanSuggestion[]; // settings that would fit, best first
}

export interface PlanSuggestion {
  label: string; // "gradient checkpointing", "batch 2", "sequence 128", "LoRA instead of full"
  change: Partial<Pick<PlanRequest, 'batchSize' | 'seqLen' | 'method' | 'checkpointing' | 'weightFormat'>>;
  total: number;
}

const F32 = 4; // tfjs computes in float32 only: F16/BF16 checkpoints are widened on load

/** Bytes per weight of a frozen linear layer in each format (int8 adds one float32 scale per row, ignored here). */
export const WEIGHT_BYTES: Record<WeightFormat, number> = { f32: 4, f16: 2, int8: 1 };

/**
 * Float32 values alive at the peak of one forward + backward pass, per unit of each size term. Fitted by least
 * squares to `tf.profile(...).peakBytes` of real passes of the training objective on tfjs's cpu backend over
 * eight or nine tiny shapes per family, LoRA on the attention projections (`npx tsx scripts/calibrate-memory.ts`
 * reprints them). tfjs keeps each op's output for the backward pass, hence the large per-layer terms without
 * checkpointing; with it, each layer keeps its input (savedLayer) and one block is alive at a time.
 */
export interface ActivationCoefficients {
  layerTokenHidden: number; // x layers * tokens * C (checkpointed: the saved block inputs)
  layerTokenMlp: number; // x layers * tokens * I (0 when checkpointed)
  layerScores: number; // x layers * B * H * T * T (0 when checkpointed)
  tokenHidden: number; // x tokens * C: embeddings, final norm (and, checkpointed, the one block being recomputed)
  tokenMlp: number; // x tokens * I: the recomputed block's MLP (0 without checkpointing)
  scores: number; // x B * H * T * T: the recomputed block's attention (0 without checkpointing)
  lossKept: number; // x counted tokens * V when the loss keeps its softmax
  lossChunk: number; // x chunk tokens * V: one chunk's logits and softmax
  vocabHidden: number; // x V * C: the output embedding's gradient being summed (full fine-tuning; 0 for LoRA)
}

export type Mode = 'plain' | 'checkpointed';
// Refit with `npx tsx scripts/calibrate-memory.ts` whenever the engine's ops change.
export const ACTIVATION_COEFFICIENTS: Record<PlanModel['family'], Record<PlanRequest['method'], Record<Mode, ActivationCoefficients>>> = {
  gpt2: {
    lora: {
      plain: { layerTokenHidden: 44.899, layerTokenMlp: 44.899, layerScores: 6.457, tokenHidden: 50.095, tokenMlp: 0, scores: 0, lossKept: 1, lossChunk: 0.224, vocabHidden: 0 },
      checkpointed: { layerTokenHidden: 1, layerTokenMlp: 0, layerScores: 0, tokenHidden: 56.173, tokenMlp: 56.173, scores: 7.745, lossKept: 1, lossChunk: 0.366, vocabHidden: 0 },
    },
    full: {
      plain: { layerTokenHidden: 40.983, layerTokenMlp: 40.983, layerScores: 6.997, tokenHidden: 63.327, tokenMlp: 0, scores: 0, lossKept: 1, lossChunk: 0, vocabHidden: 3.648 },
      checkpointed: { layerTokenHidden: 1, layerTokenMlp: 0, layerScores: 0, tokenHidden: 50.934, tokenMlp: 50.934, scores: 8.185, lossKept: 1, lossChunk: 0, vocabHidden: 1.994 },
    },
  },
  llama: {
    lora: {
      plain: { layerTokenHidden: 86.796, layerTokenMlp: 13.745, layerScores: 8.647, tokenHidden: 84.486, tokenMlp: 0, scores: 0, lossKept: 1, lossChunk: 0.643, vocabHidden: 0 },
      checkpointed: { layerTokenHidden: 1, layerTokenMlp: 0, layerScores: 0, tokenHidden: 148.284, tokenMlp: 12.539, scores: 11.666, lossKept: 1, lossChunk: 0.474, vocabHidden: 0 },
    },
    full: {
      plain: { layerTokenHidden: 66.03, layerTokenMlp: 13.458, layerScores: 10.259, tokenHidden: 69.398, tokenMlp: 0, scores: 0, lossKept: 1, lossChunk: 0, vocabHidden: 1.962 },
      checkpointed: { layerTokenHidden: 1, layerTokenMlp: 0, layerScores: 0, tokenHidden: 113.004, tokenMlp: 12.998, scores: 12.142, lossKept: 1, lossChunk: 0, vocabHidden: 1.18 },
    },
  },
};

/** Tokens the loss reads per micro-batch (every target counted: the worst case) and its chunking. */
export function lossShape(m: PlanModel, batchSize: number, seqLen: number, o: ChunkOptions = {}): { counted: number; chunk: number; kept: boolean } {
  const counted = batchSize * (seqLen - 1);
  return { counted, chunk: Math.min(counted, chunkTokensFor(m.vocab, o)), kept: counted * m.vocab * F32 <= (o.keepBytes ?? KEEP_BYTES) };
}

/** The size terms of ActivationCoefficients for one shape, in their order. Prompt tuning's virtual inputs lengthen
 * every sequence the blocks see, prefix tuning's virtual keys widen attention; neither carries loss. */
export function activationTerms(
  m: PlanModel, mode: Mode, batchSize: number, seqLen: number, o: ChunkOptions = {}, shape?: PlanShape, fusedAttention = false,
): Record<keyof ActivationCoefficients, number> {
  const T = seqLen + (shape?.virtualInputs ?? 0);
  const N = batchSize * T;
  const L = m.layers;
  // One [B, H, T, keys] tensor; the fused kernels keep a [B, H, T] log-sum-exp in its place (counted with the
  // same coefficient: an overcount of a small term).
  const scores = batchSize * m.heads * T * (fusedAttention ? 1 : T + (shape?.virtualKeys ?? 0));
  const loss = lossShape(m, batchSize, seqLen, o);
  const ck = mode === 'checkpointed';
  return {
    layerTokenHidden: L * N * m.hidden, layerTokenMlp: ck ? 0 : L * N * m.intermediate, layerScores: ck ? 0 : L * scores,
    tokenHidden: N * m.hidden, tokenMlp: ck ? N * m.intermediate : 0, scores: ck ? scores : 0,
    lossKept: loss.kept ? loss.counted * m.vocab : 0, lossChunk: loss.chunk * m.vocab, vocabHidden: m.vocab * m.hidden,
  };
}

/**
 * Float32 values an adapter keeps per token per adapted linear layer (per unit of its widths), and per weight for
 * DoRA's recomposed weight. Measured like ACTIVATION_COEFFICIENTS (tfjs cpu backend, `tf.profile` peaks of
 * training steps), from the differences between runs that adapt different layers of one model (q_proj alone,
 * gate_proj, down_proj, the attention projections, every linear) in both families. Peaks do not add exactly, so
 * these are fits, not counts: memory-plan.test.ts checks every method's whole plan against measured trainer steps.
 * Bottleneck adapters: per adapter, per unit of its width and of the hidden size.
 */
export const ADAPTER_FLOATS = {
  lora: { out: 6.4, in: 1.3, weight: 0 },
  dora: { out: 11, in: 1.3, weight: 5 }, // W + s·BA and its row norms are whole-weight tensors
  ia3: { out: 3.4, in: 3.4, weight: 0 }, // the scaled output (or, feed-forward, input)
  bottleneck: { size: 2, hidden: 8 },
} as const;

/** Floats an adapter keeps beyond the frozen model: per token (summed over the blocks alive at the peak: all of
 * them, or the one being recomputed when checkpointed) and in whole-weight tensors. */
function adapterFloats(m: PlanModel, shape: PlanShape, mode: Mode): { perToken: number; fixed: number } {
  const perLayer = new Map<number, { perToken: number; fixed: number }>();
  const add = (layer: number, perToken: number, fixed: number) => {
    const e = perLayer.get(layer) ?? { perToken: 0, fixed: 0 };
    perLayer.set(layer, { perToken: e.perToken + perToken, fixed: e.fixed + fixed });
  };
  if (shape.kind === 'lora' || shape.kind === 'dora' || shape.kind === 'ia3') {
    const k = ADAPTER_FLOATS[shape.kind];
    for (const x of shape.modules) {
      const perToken = shape.kind === 'ia3' ? (x.input ? k.in * x.fanIn : k.out * x.fanOut) : k.out * x.fanOut + k.in * x.fanIn;
      add(x.layer, perToken, k.weight * x.fanIn * x.fanOut);
    }
  } else if (shape.kind === 'bottleneck' && shape.bottleneck) {
    const { size, sites } = shape.bottleneck;
    for (let l = 0; l < m.layers; l++) add(l, sites * (ADAPTER_FLOATS.bottleneck.size * size + ADAPTER_FLOATS.bottleneck.hidden * m.hidden), 0);
  }
  const layers = [...perLayer.values()];
  if (mode === 'plain') return layers.reduce((a, e) => ({ perToken: a.perToken + e.perToken, fixed: a.fixed + e.fixed }), { perToken: 0, fixed: 0 });
  return layers.reduce((a, e) => (e.perToken > a.perToken ? e : a), { perToken: 0, fixed: 0 });
}

/** Activation bytes of one micro-batch's forward and backward pass at its peak (excluding the gradients kept).
 * `shape` (the method's planShape) replaces the calibration's attention LoRA by what the method really adds. */
export function activationBytes(
  m: PlanModel, method: PlanRequest['method'], batchSize: number, seqLen: number, checkpointing = false, shape?: PlanShape, fusedAttention = false,
): number {
  const mode: Mode = checkpointing ? 'checkpointed' : 'plain';
  const k = ACTIVATION_COEFFICIENTS[m.family][method][mode];
  const t = activationTerms(m, mode, batchSize, seqLen, {}, shape, fusedAttention);
  let floats = 0;
  for (const key of Object.keys(t) as (keyof ActivationCoefficients)[]) floats += k[key] * t[key];
  if (shape && method === 'lora') {
    const tokens = batchSize * (seqLen + (shape.virtualInputs ?? 0));
    const own = adapterFloats(m, shape, mode);
    const calibrated = m.calibrationAdapter ?? { fanIn: 0, fanOut: 0 };
    const blocks = mode === 'plain' ? m.layers : 1;
    const measuredWith = blocks * (ADAPTER_FLOATS.lora.out * calibrated.fanOut + ADAPTER_FLOATS.lora.in * calibrated.fanIn);
    floats += tokens * (own.perToken - measuredWith) + own.fixed + (shape.fixedFloats ?? 0);
  }
  return F32 * floats;
}

function largestTensor(m: PlanModel, batchSize: number, seqLen: number, fusedAttention = false): { name: string; bytes: number } {
  const loss = lossShape(m, batchSize, seqLen);
  const candidates = [
    { name: m.largestParam.name, bytes: m.largestParam.elements * F32 },
    { name: `logits [${loss.chunk}, ${m.vocab}]`, bytes: loss.chunk * m.vocab * F32 },
    ...(fusedAttention ? [] : [{ name: `attention scores [${batchSize}, ${m.heads}, ${seqLen}, ${seqLen}]`, bytes: batchSize * m.heads * seqLen * seqLen * F32 }]),
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Bytes of the base weights as stored: the blocks' linear weights in `format`, everything else float32. */
export function baseWeightBytes(m: PlanModel, format: WeightFormat = 'f32'): number {
  const linear = m.linearParams ?? 0;
  const scales = format === 'int8' ? (m.linearRows ?? 0) * F32 : 0;
  return (m.params - linear) * F32 + linear * WEIGHT_BYTES[format] + scales;
}

/** Totals only, no limits: used for the plan itself and for trying other settings. */
function totals(m: PlanModel, r: PlanRequest): Omit<MemoryPlan, 'fits' | 'problems' | 'suggestions'> {
  const checkpointing = r.checkpointing ?? false;
  const trainable = r.trainableParams * F32;
  // Full fine-tuning trains a copy: the loaded base stays (for comparison and export) beside the trained weights.
  const weights = (r.method === 'lora' ? baseWeightBytes(m, r.weightFormat) + trainable : 2 * m.params * F32) + (r.extraWeightBytes ?? 0);
  const gradients = trainable;
  const optimizer = 2 * trainable;
  // The update phase: a few temporaries of the largest parameter (the plain-op AdamW on GPU backends, one parameter
  // at a time; the fused one writes new parameters a group of at most 64 MiB at a time, the moments in place).
  // Clipping is applied as gradients are read, never as a scaled copy.
  const update = 3 * Math.min(r.trainableParams, m.largestParam.elements) * F32;
  const activations = Math.max(activationBytes(m, r.method, r.batchSize, r.seqLen, checkpointing, r.shape, r.fusedAttention), update);
  return {
    weights, gradients, optimizer, activations, checkpointing,
    total: weights + gradients + optimizer + activations,
    largestTensor: largestTensor(m, r.batchSize, r.seqLen, r.fusedAttention),
  };
}

function limitProblems(t: ReturnType<typeof totals>, limits: DeviceLimits): string[] {
  const problems: string[] = [];
  if (t.total > limits.budgetBytes) {
    problems.push(`Needs about ${formatBytes(t.total)}, more than the ${formatBytes(limits.budgetBytes)} budget.`);
  }
  const binding = Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity);
  if (t.largestTensor.bytes > binding) {
    problems.push(`${t.largestTensor.name} takes ${formatBytes(t.largestTensor.bytes)}, more than this GPU binds at ` +
      `once (${formatBytes(binding)}).`);
  }
  return problems;
}

/** Halves batch, then sequence length, then offers LoRA, keeping the first few settings that fit. */
function suggest(m: PlanModel, r: PlanRequest, limits: DeviceLimits, loraParams?: number): PlanSuggestion[] {
  const out: PlanSuggestion[] = [];
  const tryOne = (label: string, change: PlanSuggestion['change'], req: PlanRequest) => {
    const t = totals(m, req);
    if (limitProblems(t, limits).length === 0) out.push({ label, change, total: t.total });
  };
  if (!r.checkpointing) tryOne('gradient checkpointing', { checkpointing: true }, { ...r, checkpointing: true });
  const base = out.length;
  for (let b = Math.floor(r.batchSize / 2); b >= 1 && out.length < base + 1; b = Math.floor(b / 2)) {
    tryOne(`batch ${b}`, { batchSize: b }, { ...r, batchSize: b });
  }
  for (let t = Math.floor(r.seqLen / 2); t >= 16 && out.length < base + 2; t = Math.floor(t / 2)) {
    tryOne(`sequence ${t}`, { seqLen: t }, { ...r, seqLen: t });
  }
  if (r.packable && (r.weightFormat ?? 'f32') === 'f32') {
    const before = out.length;
    for (const f of ['f16', 'int8'] as const) {
      if (out.length === before) tryOne(`base weights as ${f === 'f16' ? 'float16' : 'int8'} (reloads the model)`, { weightFormat: f }, { ...r, weightFormat: f });
    }
  }
  if (r.method === 'full' && loraParams !== undefined) {
    tryOne('LoRA instead of full', { method: 'lora' }, { ...r, method: 'lora', trainableParams: loraParams, shape: undefined });
  }
  return out;
}

/** A memory budget for a browser tab on an ordinary GPU (4-8 GB, shared with the page) when the user sets none. */
export const DEFAULT_BUDGET_GIB = 4;

/** Whether to checkpoint when the user has not said: only when the plan does not fit without it (it costs
 * about a third more time per step). */
export function autoCheckpointing(m: PlanModel, r: PlanRequest, limits: DeviceLimits): boolean {
  return limitProblems(totals(m, { ...r, checkpointing: false }), limits).length > 0;
}

/**
 * The plan for one training setup. `loraParams` (the adapter size at the current LoRA settings) lets a full
 * fine-tuning plan that does not fit suggest LoRA.
 */
export function planMemory(m: PlanModel, r: PlanRequest, limits: DeviceLimits, loraParams?: number): MemoryPlan {
  const t = totals(m, r);
  const problems = limitProblems(t, limits);
  const suggestions = problems.length ? suggest(m, r, limits, loraParams) : [];
  return { ...t, fits: problems.length === 0, problems, suggestions };
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
