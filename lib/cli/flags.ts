// Numeric command-line flags: only decimal numbers are numbers ("", " ", "0x10", "1_000" and "Infinity" are not, though
// JavaScript's Number() reads them), and a train run's settings pass the same zod schema as the studio's form and
// the training worker's messages, reported by flag name.
import { parseDecimal } from '../engine/peft/fields';
import { trainConfigSchema } from '../train-worker/protocol';
import type { TrainConfig } from '../engine/types';

/** The flag's text as a number, or NaN when it is not a plain decimal number (every check then refuses it). */
export const flagNumber = parseDecimal;

/** TrainConfig fields and the flags that set them (a field missing here is named as it is in the config). */
const FLAG_OF: Record<string, string> = {
  steps: '--steps', batchSize: '--batch', seqLen: '--seq-len', lr: '--lr', seed: '--seed', evalEvery: '--val-every',
  warmupSteps: '--warmup', schedule: '--schedule', checkpointEvery: '--save-every', replayShare: '--replay-share',
  earlyStop: '--early-stop-patience / --early-stop-min-delta', lora: 'the --lora-* flags', methodConfig: "the method's flags",
  objective: 'the objective flags (--beta, --loss-type, ...)', dropout: 'dropout',
};

/** Refuses a run config the studio's schema refuses, naming the flag and the rule. */
export function checkTrainConfig(cfg: TrainConfig): TrainConfig {
  const r = trainConfigSchema.safeParse(cfg);
  if (r.success) return cfg;
  const issue = r.error.issues[0];
  const [field, ...rest] = issue.path.map(String);
  const name = FLAG_OF[field] ?? field;
  const where = rest.length ? ` (${rest.join('.')})` : '';
  const value = field in cfg ? ` got ${JSON.stringify((cfg as unknown as Record<string, unknown>)[field])}` : '';
  throw new Error(`${name}${where}: ${issue.message.toLowerCase()}${rest.length ? '' : `,${value}`}`);
}
