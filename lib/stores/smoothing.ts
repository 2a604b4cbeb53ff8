// Exponential moving average with bias correction (as TensorBoard and Adam do), for the loss curve.
// Without the correction the first points are pulled toward zero: ema_1 = (1 - beta) * x_1.

export interface Ema {
  beta: number;
  biased: number; // beta * biased + (1 - beta) * x, starting at 0
  count: number; // finite values seen
}

export const LOSS_SMOOTHING = 0.9;

export function createEma(beta = LOSS_SMOOTHING): Ema {
  return { beta, biased: 0, count: 0 };
}

/** The corrected value: biased / (1 - beta^count); null before the first finite value. */
export function emaValue(e: Ema): number | null {
  return e.count === 0 ? null : e.biased / (1 - e.beta ** e.count);
}

/** Adds x; a non-finite x (NaN, Infinity) is skipped so one bad step does not erase the curve. */
export function emaPush(e: Ema, x: number): Ema {
  if (!Number.isFinite(x)) return e;
  return { beta: e.beta, biased: e.beta * e.biased + (1 - e.beta) * x, count: e.count + 1 };
}

export function smoothSeries(xs: number[], beta = LOSS_SMOOTHING): (number | null)[] {
  let e = createEma(beta);
  return xs.map((x) => {
    e = emaPush(e, x);
    return emaValue(e);
  });
}
