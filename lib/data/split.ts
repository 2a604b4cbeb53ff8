// Seeded train / validation split (the engine's tfjs-free PRNG, so one seed means the same thing everywhere).
import { mulberry32 } from '../engine/random';

/**
 * Picks round(n * ratio) items for validation (at least 1 when ratio > 0 and n >= 2, never all of them).
 * The same seed gives the same split; both parts keep the input order.
 */
export function splitRecords<T>(
  items: T[],
  validationRatio: number,
  seed: number,
): { train: T[]; validation: T[] } {
  if (!(validationRatio >= 0 && validationRatio < 1)) {
    throw new RangeError(`validationRatio must be in [0, 1), got ${validationRatio}`);
  }
  const n = items.length;
  let nVal = Math.round(n * validationRatio);
  if (validationRatio > 0 && n >= 2) nVal = Math.max(1, nVal);
  nVal = Math.max(0, Math.min(nVal, n - 1));
  if (nVal === 0) return { train: items.slice(), validation: [] };

  // Partial Fisher-Yates: the first nVal slots of a seeded shuffle are the validation indices.
  const rand = mulberry32(seed);
  const idx = items.map((_, i) => i);
  for (let i = 0; i < nVal; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const isVal = new Uint8Array(n);
  for (let i = 0; i < nVal; i++) isVal[idx[i]] = 1;
  return {
    train: items.filter((_, i) => !isVal[i]),
    validation: items.filter((_, i) => isVal[i] === 1),
  };
}
