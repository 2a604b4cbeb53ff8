// Early stopping and the best checkpoint: after each validation pass, a loss lower than the best by more than
// minDelta is an improvement (its trainable weights are copied to the host); `patience` passes in a row without one
// end training (as transformers' EarlyStoppingCallback). The kept copy is what the run exports at the end.
import * as tf from '@tensorflow/tfjs';
import { readHost } from './peft/host';
import type { HostTensor } from './types';

export interface EarlyStopConfig {
  patience: number; // validation passes without improvement before training stops; 0 = never stop early
  minDelta: number; // an improvement must lower the best validation loss by more than this
}

/** What the keeper remembers between runs (saved with the train state for --resume). */
export interface KeeperState {
  bestLoss: number; // Infinity before the first validation pass
  bestStep: number; // 0 before the first validation pass
  badPasses: number;
}

export class BestKeeper {
  private s: KeeperState = { bestLoss: Infinity, bestStep: 0, badPasses: 0 };
  private best: HostTensor[] | null = null;

  constructor(private readonly vars: tf.Variable[], private readonly cfg: EarlyStopConfig = { patience: 0, minDelta: 0 }) {
    if (!(Number.isInteger(cfg.patience) && cfg.patience >= 0)) throw new Error(`early stopping patience must be a non-negative integer, got ${cfg.patience}`);
    if (!(cfg.minDelta >= 0)) throw new Error(`early stopping minimum improvement must be >= 0, got ${cfg.minDelta}`);
  }

  /** Records one validation pass; an improvement copies the trainable weights (snapshotted now, read after). */
  async observe(step: number, valLoss: number): Promise<boolean> {
    if (!Number.isFinite(valLoss)) return false;
    const improved = valLoss < this.s.bestLoss - this.cfg.minDelta;
    if (!improved) {
      this.s.badPasses += 1;
      return false;
    }
    this.s = { bestLoss: valLoss, bestStep: step, badPasses: 0 };
    const snaps = this.vars.map((v) => tf.clone(v));
    this.best = await Promise.all(snaps.map(readHost));
    return true;
  }

  /** True when `patience` passes in a row brought no improvement. */
  get shouldStop(): boolean {
    return this.cfg.patience > 0 && this.s.badPasses >= this.cfg.patience;
  }

  get state(): KeeperState {
    return { ...this.s };
  }

  /** The kept weights, one per variable (null before any validation pass). */
  get bestWeights(): HostTensor[] | null {
    return this.best;
  }

  /** Resuming: the counters and (when there was one) the kept copy of an earlier run. */
  restore(s: KeeperState, best: HostTensor[] | null): void {
    this.s = { ...s };
    this.best = best;
  }

  /** Puts the kept weights into the variables; returns the step they come from, or null when none was kept. */
  restoreBest(): number | null {
    if (!this.best) return null;
    this.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(this.best![i].data, this.best![i].shape, 'float32'))));
    return this.s.bestStep;
  }
}
