// The words a person reads when a checkpoint did not fit in the browser's storage: which run, how much it needs,
// what is used of what is allowed, that the earlier checkpoint is still there, and which runs to delete.
import { formatBytes } from '../format';

export interface QuotaFacts {
  runName: string;
  step: number;
  needed: number; // bytes of the checkpoint that did not fit
  kept: number | null; // step of the checkpoint still stored, if any
  storage: { usage: number; quota: number } | null;
  others: { name: string; bytes: number }[]; // other runs' checkpoints
}

/** Thrown by RunDb.saveCheckpoint when the storage is full; the message says what to do. */
export class CheckpointQuotaError extends Error {
  constructor(readonly facts: QuotaFacts) {
    super(quotaMessage(facts));
    this.name = 'CheckpointQuotaError';
  }
}

export function quotaMessage(f: QuotaFacts): string {
  const used = f.storage ? ` (${formatBytes(f.storage.usage)} of the ${formatBytes(f.storage.quota)} it allows are used)` : '';
  const kept = f.kept !== null ? `Its checkpoint at step ${f.kept} is still stored and can be resumed or exported.` : 'It has no earlier checkpoint.';
  const largest = [...f.others].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  const free = largest.length > 0
    ? `Delete runs you no longer need in Runs (largest: ${largest.map((o) => `"${o.name}", ${formatBytes(o.bytes)}`).join('; ')})`
    : 'Free space for this site (browser settings, site data)';
  return `The checkpoint of run "${f.runName}" at step ${f.step} did not fit in this browser's storage: it needs ${formatBytes(f.needed)}${used}. ` +
    `${kept} ${free}, then the next autosave or Stop and save stores it.`;
}
