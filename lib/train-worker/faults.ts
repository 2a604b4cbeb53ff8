// Faults the training worker names instead of passing on a bare message: an allocation failure during a step
// (told with the memory plan of the run and the changes that lower it) and a lost WebGPU device (the page then
// offers to resume the run from its last checkpoint, on WebGPU again or on WebAssembly).
import { formatBytes, planMemory, planModelFor, type WeightFormat } from '../engine/memory-plan';
import { planRequestFor } from '../engine/run-plan';
import { methodSpec } from '../engine/peft/registry';
import type { ModelConfig, TrainConfig } from '../engine/types';
import type { FaultCause } from './protocol';

/** An error the session posts with its cause, so the page can answer it (protocol `error.cause`). */
export class FaultError extends Error {
  constructor(message: string, readonly fault: FaultCause) {
    super(message);
  }
}

/** What the engines say when memory runs out: V8 (typed arrays), WebAssembly memory growth, tfjs, WebGPU. */
const ALLOCATION_FAILURE =
  /out of memory|allocation failed|failed to allocate|Array buffer allocation|Invalid typed array length|Invalid array buffer length|memory access out of bounds|Maximum memory size exceeded|could not grow memory|WebAssembly\.Memory|OutOfMemory/i;

export function isAllocationFailure(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return ALLOCATION_FAILURE.test(text);
}

/**
 * The out-of-memory message: where it happened, the plan's parts for these settings (the step needed more than
 * the device gave, so the plan's total is above what it has), and the changes that bring the plan below it.
 */
export function outOfMemoryMessage(detail: string, step: number, model: ModelConfig, train: TrainConfig, on: { backend?: string; weightFormat?: WeightFormat } = {}): string {
  const request = planRequestFor(model, train, on.weightFormat ?? 'f32', on.backend);
  const m = planModelFor(model);
  const lora = train.method === 'full' ? methodSpec('lora').trainableParams(model, { ...train, method: 'lora' }) : undefined;
  const plan = planMemory(m, request, { budgetBytes: Number.MAX_SAFE_INTEGER }, lora);
  // The device held less than this plan: the changes that fit below its total are the ones that can help.
  const lower = planMemory(m, request, { budgetBytes: Math.max(0, plan.total - 1) }, lora).suggestions;
  const parts = `weights ${formatBytes(plan.weights)}, gradients ${formatBytes(plan.gradients)}, optimizer ${formatBytes(plan.optimizer)}, activations ${formatBytes(plan.activations)}`;
  const now = `batch ${train.batchSize}, sequence ${train.seqLen}, checkpointing ${request.checkpointing ? 'on' : 'off'}, ${methodSpec(train.method).label}`;
  const changes = lower.length
    ? lower.map((s) => `${s.label} (${formatBytes(s.total)})`).join('; ')
    : 'a smaller model: no change of batch, sequence, checkpointing or method lowers this plan';
  const d = detail.trim().replace(/[.\s]+$/, '');
  return (
    `Step ${step} ran out of memory (${d}). The memory plan for these settings (${now}) is ${formatBytes(plan.total)}: ${parts}. ` +
    `The device had less. Change the settings to one of: ${changes}, then start again.`
  );
}

/** The part of a GPUDevice the session watches. */
export interface DeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
}

export function deviceLostMessage(info: { reason?: string; message?: string }, step: number): string {
  const why = [info.reason && info.reason !== 'unknown' ? info.reason : '', info.message ?? ''].filter(Boolean).join(': ') || 'no reason given';
  return (
    `The GPU device was lost during step ${step + 1} (${why}); the browser or driver took it away. ` +
    'The run can resume from its last checkpoint, on WebGPU again or on WebAssembly.'
  );
}
