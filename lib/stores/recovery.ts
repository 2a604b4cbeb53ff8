// After the training worker dies or loses its GPU mid-run: the message that offers to resume from the stored run's
// last checkpoint, and the curve a resumed run starts from (its points up to that checkpoint).
import { createEma, emaPush } from './smoothing';
import type { Recovery, RunState } from './studio-reducer';

/** The worker's own words, then what the stored run can do. */
export function recoveryMessage(detail: string, r: Recovery): string {
  const lost = Math.max(0, r.reached - r.step);
  const base = detail.replace(/\s*Your settings and data are kept; press Start to try again\.$/, '').replace(/\s*The run can resume from its last checkpoint.*$/, '');
  const where = r.cause === 'device-lost' ? 'on WebGPU again or on WebAssembly' : 'in a new worker';
  return (
    `${base} Your settings, data and the checkpoint of step ${r.step} are kept: resume from it ${where} ` +
    `(${lost === 1 ? 'the 1 step' : `the ${lost} steps`} after it will run again), or press Start again to begin anew.`
  );
}

/** The run state a resume of the same run starts from: the curve up to the checkpoint, smoothed as before. */
export function resumedRun(previous: RunState, fresh: RunState, step: number): RunState {
  const points = previous.points.filter((p) => p.step <= step);
  const ema = points.reduce((e, p) => emaPush(e, p.loss), createEma(previous.ema.beta));
  return { ...fresh, points, evals: previous.evals.filter((e) => e.step <= step), ema, last: null };
}
