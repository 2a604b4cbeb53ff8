// Seeded randomness for the engine: a small PRNG (mulberry32), normal samples, shuffles, and
// per-step integer seeds for tf ops, so one seed fixes init, data order and dropout.

/** A generator of floats in [0, 1); the same seed gives the same sequence on every platform. */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for init and shuffling (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 31-bit seed (splitmix-style), e.g. deriveSeed(seed, step, microBatch). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  // tf ops take a number seed; keep it a positive 31-bit integer so it survives any int conversion.
  return h & 0x7fffffff;
}

/** Standard normal samples (Box-Muller) scaled by std, as a Float32Array. */
export function normalArray(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // 1 - rng() lies in (0, 1], so the log never sees 0.
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const theta = 2 * Math.PI * rng();
    out[i] = r * Math.cos(theta) * std;
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta) * std;
  }
  return out;
}

/** Uniform samples in [-bound, bound). */
export function uniformArray(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng() - 1) * bound;
  return out;
}

/** Fisher-Yates shuffle of a copy; the input is left unchanged. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rng = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
