// Divergence detection for the trainer: a non-finite loss or gradient norm, a loss far above its running level,
// or gradients that vanish while the loss rises stop the run, and the weights go back to the last step whose next
// step was still healthy (kept as a host copy), so what the user exports is the last good state.
import * as tf from '@tensorflow/tfjs';
import { readHost } from './peft/host';
import type { HostTensor } from './types';

/** Thresholds of the judgement; losses in nats. */
export const DIVERGENCE = {
  levelDecay: 0.9, // running level: an exponential average of the healthy steps' losses
  suspectRatio: 2, // a loss above level * 2 and level + suspectNats is suspect
  suspectNats: 2.5,
  extremeRatio: 4, // above level * 4 + extremeNats it stops at once
  extremeNats: 5,
  vanishShare: 1e-7, // a gradient norm below this share of the largest seen has vanished
  suspectsToStop: 2, // suspect steps in a row that stop the run
  hostCopyLimit: 16e6, // trainable values copied every step up to this; larger states every `largeEvery` steps
  largeEvery: 20,
};

export type TroubleKind = 'non-finite-loss' | 'non-finite-gradient' | 'loss-spike' | 'vanishing-gradient';

/** The loss or gradient went wrong; the weights are those of `keptStep` (0: the starting weights). */
export class TrainingDivergedError extends Error {
  constructor(readonly step: number, readonly kind: TroubleKind, readonly keptStep: number, detail: string, lr: { peak: number; now: number }, clipNorm: number) {
    const rate = `${lr.peak.toExponential(2)}` + (lr.now !== lr.peak ? `, ${lr.now.toExponential(2)} at this step` : '');
    const advice = clipNorm > 0
      ? `Gradient clipping is already on (max norm ${clipNorm}): lower the learning rate (it was ${rate}), for example to a tenth, then start again.`
      : `Lower the learning rate (it was ${rate}) or turn on gradient clipping, then start again.`;
    const kept = keptStep === 0 ? 'step 0 (where it started)' : `step ${keptStep}`;
    super(`Training stopped at step ${step}: ${detail}. The model keeps the weights of ${kept}. ${advice}`);
    this.name = 'TrainingDivergedError';
  }
}

interface Verdict {
  kind: TroubleKind | null; // null: healthy
  stop: boolean;
  detail: string;
}

/** Judges one step's loss and gradient norm against the run so far (pure; the guard keeps the counters). */
export function judgeStep(loss: number, gradNorm: number, level: number | null, peakNorm: number, suspects: number): Verdict {
  if (!Number.isFinite(loss)) return { kind: 'non-finite-loss', stop: true, detail: `the loss became ${loss}` };
  if (!Number.isFinite(gradNorm)) return { kind: 'non-finite-gradient', stop: true, detail: `the gradient norm became ${gradNorm}` };
  if (level === null) return { kind: null, stop: false, detail: '' };
  const stop = suspects + 1 >= DIVERGENCE.suspectsToStop;
  if (loss > level * DIVERGENCE.extremeRatio + DIVERGENCE.extremeNats) {
    return { kind: 'loss-spike', stop: true, detail: `the loss jumped to ${loss.toFixed(3)}, far above its running level ${level.toFixed(3)}` };
  }
  if (loss > level * DIVERGENCE.suspectRatio && loss > level + DIVERGENCE.suspectNats) {
    return { kind: 'loss-spike', stop, detail: `the loss rose to ${loss.toFixed(3)}, far above its running level ${level.toFixed(3)}` };
  }
  if (gradNorm <= peakNorm * DIVERGENCE.vanishShare && loss > level) {
    return { kind: 'vanishing-gradient', stop, detail: `the gradients vanished (norm ${gradNorm.toExponential(1)}, largest so far ${peakNorm.toExponential(1)}) while the loss rose to ${loss.toFixed(3)}` };
  }
  return { kind: null, stop: false, detail: '' };
}

/** Watches every step and keeps a host copy of the weights at the last step proven good by its successor. */
export class DivergenceGuard {
  private level: number | null = null;
  private peakNorm = 0;
  private suspects = 0;
  private good: { step: number; weights: HostTensor[] } | null = null; // proven: its next step was healthy
  private pending: { step: number; weights: HostTensor[] } | null = null; // taken before the step being judged
  private readonly every: number;

  constructor(private readonly vars: tf.Variable[], private readonly clipNorm: number, private readonly peakLr: number) {
    const size = vars.reduce((a, v) => a + v.size, 0);
    this.every = size <= DIVERGENCE.hostCopyLimit ? 1 : DIVERGENCE.largeEvery;
  }

  /** Before the optimizer step after `step`: copies the weights of `step` when it is a copy step (always at the start). */
  async beforeStep(step: number): Promise<void> {
    if (this.good && step % this.every !== 0) return;
    const snaps = this.vars.map((v) => tf.clone(v));
    const weights = await Promise.all(snaps.map(readHost));
    if (!this.good) this.good = { step, weights }; // the starting weights are good by definition
    else this.pending = { step, weights };
  }

  /** Judges step `step`; returns the error to stop with (the weights already put back), or null. */
  afterStep(step: number, loss: number, gradNorm: number, lr: number): TrainingDivergedError | null {
    const v = judgeStep(loss, gradNorm, this.level, this.peakNorm, this.suspects);
    if (v.kind === null || (v.kind === 'non-finite-gradient' && this.isHealthyLoss(loss))) {
      // A finite, ordinary loss proves the weights it was computed with.
      if (this.pending && this.pending.step === step - 1) this.good = this.pending;
      this.pending = null;
    }
    if (v.kind === null) {
      this.suspects = 0;
      this.level = this.level === null ? loss : this.level * DIVERGENCE.levelDecay + loss * (1 - DIVERGENCE.levelDecay);
      this.peakNorm = Math.max(this.peakNorm, gradNorm);
      return null;
    }
    this.suspects += 1;
    if (!v.stop) return null;
    const kept = this.restore();
    return new TrainingDivergedError(step, v.kind, kept, v.detail, { peak: this.peakLr, now: lr }, this.clipNorm);
  }

  private isHealthyLoss(loss: number): boolean {
    return this.level === null || judgeStep(loss, 1, this.level, 0, 0).kind === null;
  }

  /** Puts the last good weights back into the variables; returns their step. */
  private restore(): number {
    const good = this.good!;
    this.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(good.weights[i].data, good.weights[i].shape, 'float32'))));
    this.pending = null;
    return good.step;
  }
}
