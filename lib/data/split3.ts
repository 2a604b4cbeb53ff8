// Seeded train / validation / test split by ratios, or a separate validation file (then no split is needed).
import { mulberry32 } from '../engine/random';

export interface SplitRatios {
  validation: number;
  test?: number;
}

export interface ThreeWaySplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Shuffles indices with the seed (Fisher-Yates), takes round(n * test) for test and round(n * validation)
 * for validation; the rest trains. Each part keeps the input order. The same seed gives the same split.
 */
export function splitDataset<T>(items: T[], ratios: SplitRatios, seed: number): ThreeWaySplit<T> {
  const v = ratios.validation;
  const t = ratios.test ?? 0;
  if (!(v >= 0 && t >= 0 && v + t < 1)) {
    throw new RangeError(`validation (${v}) and test (${t}) must be >= 0 and leave some data to train on (sum < 1)`);
  }
  const n = items.length;
  const nTest = Math.round(n * t);
  const nVal = Math.min(Math.round(n * v), Math.max(0, n - nTest - 1));
  const rand = mulberry32(seed);
  const idx = items.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const part = new Uint8Array(n); // 0 train, 1 validation, 2 test
  idx.slice(0, nTest).forEach((i) => (part[i] = 2));
  idx.slice(nTest, nTest + nVal).forEach((i) => (part[i] = 1));
  return {
    train: items.filter((_, i) => part[i] === 0),
    validation: items.filter((_, i) => part[i] === 1),
    test: items.filter((_, i) => part[i] === 2),
  };
}

/** A separate validation file: everything in the main file trains, the other file validates. */
export function withValidationFile<T>(train: T[], validation: T[]): ThreeWaySplit<T> {
  return { train: train.slice(), validation: validation.slice(), test: [] };
}
