// Memory planning before training: bytes for weights, gradients, optimizer state and activations for a method,
// batch and sequence length, compared with what the WebGPU device allows and a budget the user sets.
//
// Written by hand: no library models tfjs's memory use. Weights, gradients and AdamW moments are exact counts;
// activations come from coefficients measured on real training steps (see ACTIVATION_COEFFICIENTS), and
// memory-plan.test.ts checks the estimate against measured steps on shapes the fit did not see.
import { countParams, largestTensorBytes } from './params';
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
  largestParam: { name: string; elements: number };
}

/** The plan's view of a loaded (or configured) model. */
export function planModelFor(c: ModelConfig): PlanModel {
  const largest = largestTensorBytes(c);
  const largestParam = { name: largest.key, elements: largest.bytes / F32 };
  if (isGpt2(c)) {
    const C = c.n_embd;
    const I = typeof c.n_inner === 'number' ? c.n_inner : 4 * C;
    return { family: 'gpt2', layers: c.n_layer, hidden: C, heads: c.n_head, kvHeads: c.n_head, headDim: C / c.n_head,
      intermediate: I, vocab: c.vocab_size, params: countParams(c), largestParam };
  }
  return { family: 'llama', layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads, headDim: c.head_dim, intermediate: c.intermediate_size, vocab: c.vocab_size,
    params: countParams(c), largestParam };
}

export interface PlanRequest {
  method: 'lora' | 'full';
  trainableParams: number; // LoRA parameters, or every parameter for full fine-tuning
  batchSize: number;
  seqLen: number;
  gradAccum?: number; // does not change memory: micro-batches are processed one at a time
}

/** What the device allows; all in bytes. */
export interface DeviceLimits {
  budgetBytes: number; // the user's memory budget (WebGPU does not report device memory)
  maxBufferSize?: number; // adapter limit: one GPUBuffer
  maxStorageBufferBindingSize?: number; // adapter limit: one tensor bound to a shader
}

export interface MemoryPlan {
  weights: number;
  gradients: number;
  optimizer: number; // AdamW: two moments per trainable parameter
  activations: number;
  total: number;
  /** The largest single tensor (weight or activation) and whether one binding holds it. */
  largestTensor: { name: string; bytes: number };
  fits: boolean;
  problems: string[]; // why it does not fit, in plain words
  suggestions: PlanSuggestion[]; // settings that would fit, best first
}

export interface PlanSuggestion {
  label: string; // "batch 2", "sequence 128", "LoRA instead of full"
  change: Partial<Pick<PlanRequest, 'batchSize' | 'seqLen' | 'method'>>;
  total: number;
}

const F32 = 4; // tfjs computes in float32 only: F16/BF16 checkpoints are widened on load

/**
 * Float32 values alive at the peak of one forward + backward pass, per unit of each size term. Fitted by least
 * squares to `tf.profile(...).peakBytes` of real training steps on tfjs's cpu backend over eight or nine tiny shapes per family, LoRA on the attention projections
 * (`npx tsx scripts/calibrate-memory.ts` reprints them); the fit is within 7% on every shape it saw. tfjs keeps each
 * op's output for the backward pass and frees gradients late, hence the large per-layer term.
 */
interface ActivationCoefficients {
  layerTokenHidden: number; // x layers * tokens * C
  layerTokenMlp: number; // x layers * tokens * I
  layerScores: number; // x layers * B * H * T * T
  tokenVocab: number; // x tokens * V (logits, log-softmax, one-hot targets, their gradients)
  tokenHidden: number; // x tokens * C (embeddings, final norm)
}

export const ACTIVATION_COEFFICIENTS: Record<PlanModel['family'], Record<PlanRequest['method'], ActivationCoefficients>> = {
  gpt2: {
    lora: { layerTokenHidden: 45.293, layerTokenMlp: 45.293, layerScores: 6.73, tokenVocab: 13.692, tokenHidden: 40.457 },
    full: { layerTokenHidden: 40.496, layerTokenMlp: 40.496, layerScores: 5.474, tokenVocab: 14.741, tokenHidden: 82.939 },
  },
  llama: {
    lora: { layerTokenHidden: 88.516, layerTokenMlp: 13.731, layerScores: 8.984, tokenVocab: 14.033, tokenHidden: 73.979 },
    full: { layerTokenHidden: 65.788, layerTokenMlp: 13.519, layerScores: 9.731, tokenVocab: 13.956, tokenHidden: 72.568 },
  },
};

/** Activation bytes of one micro-batch's forward and backward pass at its peak (excluding the gradients kept). */
export function activationBytes(m: PlanModel, method: PlanRequest['method'], batchSize: number, seqLen: number): number {
  const k = ACTIVATION_COEFFICIENTS[m.family][method];
  const N = batchSize * seqLen;
  const scores = batchSize * m.heads * seqLen * seqLen; // one [B, H, T, T] tensor
  const floats = m.layers * N * (k.layerTokenHidden * m.hidden + k.layerTokenMlp * m.intermediate) +
    k.layerScores * m.layers * scores + k.tokenVocab * N * m.vocab + k.tokenHidden * N * m.hidden;
  return F32 * floats;
}

function largestTensor(m: PlanModel, batchSize: number, seqLen: number): { name: string; bytes: number } {
  const candidates = [
    { name: m.largestParam.name, bytes: m.largestParam.elements * F32 },
    { name: `logits [${batchSize}, ${seqLen}, ${m.vocab}]`, bytes: batchSize * seqLen * m.vocab * F32 },
    { name: `attention scores [${batchSize}, ${m.heads}, ${seqLen}, ${seqLen}]`, bytes: batchSize * m.heads * seqLen * seqLen * F32 },
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Totals only, no limits: used for the plan itself and for trying smaller settings. */
function totals(m: PlanModel, r: PlanRequest): Omit<MemoryPlan, 'fits' | 'problems' | 'suggestions'> {
  const weights = m.params * F32 + (r.method === 'lora' ? r.trainableParams * F32 : 0);
  const gradients = r.trainableParams * F32;
  const optimizer = 2 * r.trainableParams * F32;
  const activations = activationBytes(m, r.method, r.batchSize, r.seqLen);
  return {
    weights, gradients, optimizer, activations,
    total: weights + gradients + optimizer + activations,
    largestTensor: largestTensor(m, r.batchSize, r.seqLen),
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
  for (let b = Math.floor(r.batchSize / 2); b >= 1 && out.length < 1; b = Math.floor(b / 2)) {
    tryOne(`batch ${b}`, { batchSize: b }, { ...r, batchSize: b });
  }
  for (let t = Math.floor(r.seqLen / 2); t >= 16 && out.length < 2; t = Math.floor(t / 2)) {
    tryOne(`sequence ${t}`, { seqLen: t }, { ...r, seqLen: t });
  }
  if (r.method === 'full' && loraParams !== undefined) {
    tryOne('LoRA instead of full', { method: 'lora' }, { ...r, method: 'lora', trainableParams: loraParams });
  }
  return out;
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
