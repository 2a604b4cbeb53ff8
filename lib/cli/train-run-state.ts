// `cli train`'s evaluation, early-stopping, resume and replay options: their flags, the saved state in --out
// (read for --resume, written at --save-every and at the end), the test split's metrics and the forgetting meter.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainState, trainStateFiles, TRAIN_STATE_JSON, TRAIN_STATE_TENSORS, type TrainState } from '../engine/train-state';
import type { ScheduleKind, TrainConfig } from '../engine/types';
import { flagNumber } from './flags';

export const RUN_STATE_USAGE = `      [--val-every N] [--early-stop-patience P [--early-stop-min-delta D]] [--test-ratio F | --test-data <file>]
      [--schedule cosine|linear|constant] [--warmup N] [--save-every N] [--resume <dir>] [--replay-share F] [--forgetting]
      With validation, --out holds the weights of the lowest validation loss (the done event names its step);
      --early-stop-patience stops after P validation passes without an improvement larger than D.
      --out also holds train-state.json/.safetensors (last step: weights, AdamW moments, step, data order), written
      every --save-every steps and at the end; --resume <dir> continues such a run with its settings (flags given
      override the allowed ones: --steps, --val-every, early stopping) to --steps. A cosine or linear schedule decays
      over --steps, so only a run resumed with the --steps it started with equals an uninterrupted run.
      --replay-share mixes that share of general text (shipped with the studio) into the batches; --forgetting
      reports perplexity on it before and after training.`;

export const RUN_STATE_OPTIONS = {
  'val-every': { type: 'string' }, 'early-stop-patience': { type: 'string' }, 'early-stop-min-delta': { type: 'string' },
  'test-ratio': { type: 'string' }, 'test-data': { type: 'string' }, schedule: { type: 'string' }, warmup: { type: 'string' },
  'save-every': { type: 'string' }, resume: { type: 'string' }, 'replay-share': { type: 'string' }, forgetting: { type: 'boolean', default: false },
} as const;

type Values = Partial<Record<keyof typeof RUN_STATE_OPTIONS, string | boolean>>;

function number(values: Values, flag: keyof typeof RUN_STATE_OPTIONS, int: boolean, max = Infinity): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  const x = flagNumber(String(v));
  if (!Number.isFinite(x) || x < 0 || x > max || (int && !Number.isInteger(x))) {
    throw new Error(`--${flag} must be a ${int ? 'non-negative integer' : `number from 0 to ${max}`}, got "${v}"`);
  }
  return x;
}

/** The saved state of --resume <dir>, or null without the flag. */
export function readResumeState(values: Values): TrainState | null {
  const dir = values.resume as string | undefined;
  if (!dir) return null;
  const read = (name: string) => {
    try {
      return new Uint8Array(readFileSync(join(dir, name)));
    } catch {
      return null;
    }
  };
  return parseTrainState(read(TRAIN_STATE_JSON), read(TRAIN_STATE_TENSORS), dir);
}

/** These flags applied to a config (the defaults, or a resumed run's saved settings). */
export function applyRunStateFlags(cfg: TrainConfig, values: Values): TrainConfig {
  const out = { ...cfg };
  const valEvery = number(values, 'val-every', true);
  if (valEvery !== undefined) out.evalEvery = valEvery;
  const patience = number(values, 'early-stop-patience', true);
  const minDelta = number(values, 'early-stop-min-delta', false);
  if (minDelta !== undefined && patience === undefined && !cfg.earlyStop) throw new Error('--early-stop-min-delta needs --early-stop-patience');
  if (patience !== undefined || minDelta !== undefined) out.earlyStop = { patience: patience ?? cfg.earlyStop!.patience, minDelta: minDelta ?? cfg.earlyStop?.minDelta ?? 0 };
  if (out.earlyStop && out.evalEvery === 0) throw new Error('Early stopping needs validation passes: add --val-every N');
  if (values.schedule !== undefined) {
    if (!['cosine', 'linear', 'constant'].includes(values.schedule as string)) throw new Error(`--schedule must be cosine, linear or constant, got "${values.schedule}"`);
    out.schedule = values.schedule as ScheduleKind;
  }
  out.warmupSteps = number(values, 'warmup', true) ?? out.warmupSteps;
  out.checkpointEvery = number(values, 'save-every', true) ?? out.checkpointEvery;
  const share = number(values, 'replay-share', false, 0.95);
  if (share !== undefined) out.replayShare = share;
  return out;
}

/** Writes a state (from Trainer.saveState, which snapshots when called) into `out`. */
export async function writeTrainState(state: Promise<TrainState>, out: string): Promise<void> {
  const files = trainStateFiles(await state);
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
}

// The run's scores live in the engine (the studio's worker reports the same ones).
export { forgetting, testMetrics } from '../engine/run-report';
