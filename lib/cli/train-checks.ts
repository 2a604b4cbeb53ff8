// Checks `cli train` makes before it allocates anything: the run's memory plan against the backend's budget (the
// plan and `fits` the studio's Train button reads), and the default sequence length fitted to the model.
import { totalmem } from 'node:os';
import { formatBytes, type MemoryPlan } from '../engine/memory-plan';
import { maxPositions, type ModelConfig, type TrainConfig } from '../engine/types';
import { WASM_HEAP_BYTES } from './plan';

/** The memory one run may plan for on a Node backend: wasm's heap, or the machine's memory on cpu. */
export function backendBudget(backend: 'wasm' | 'cpu' | string): { bytes: number; what: string } {
  return backend === 'wasm' ? { bytes: WASM_HEAP_BYTES, what: "WebAssembly's heap" } : { bytes: totalmem(), what: "this machine's memory" };
}

/** Refuses a plan that does not fit, naming the flags that size it and the planned bytes against the budget. */
export function refuseUnfitPlan(plan: MemoryPlan, cfg: TrainConfig, budget: { bytes: number; what: string }, rows = 1): void {
  if (plan.fits) return;
  const batch = rows > 1 ? `--batch ${cfg.batchSize} (${rows} rows per example)` : `--batch ${cfg.batchSize}`;
  throw new Error(`${batch} with --seq-len ${cfg.seqLen}: the memory plan needs about ${formatBytes(plan.total)}, more than ${budget.what} ` +
    `(${formatBytes(budget.bytes)}). ` + (plan.suggestions.length ? `What would fit: ${plan.suggestions.map((s) => s.label).join(', ')}.` : 'Choose a smaller model.'));
}

/** The sequence length of a run: a --seq-len the user gave must fit the model; the default is cut to its positions. */
export function fitSeqLen(cfg: TrainConfig, config: ModelConfig, given: boolean): TrainConfig {
  const max = maxPositions(config);
  if (cfg.seqLen <= max) return cfg;
  if (given) throw new Error(`--seq-len ${cfg.seqLen} exceeds the model's ${max} positions`);
  return { ...cfg, seqLen: max };
}
