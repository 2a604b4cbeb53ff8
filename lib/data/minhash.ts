// Near-duplicate detection: MinHash signatures over word shingles and locality-sensitive hashing in bands,
// then the estimated Jaccard similarity of each candidate pair checked against the threshold.

export interface MinHashOptions {
  /** Estimated Jaccard similarity at or above which two records are near duplicates (default 0.8). */
  threshold?: number;
  /** Words per shingle (default 3). */
  shingle?: number;
  /** Hash functions in a signature (default 128). */
  numPerm?: number;
  seed?: number;
}

/** FNV-1a over a string: the 32-bit id of a shingle. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's finaliser: a good 32-bit mix, one independent-looking hash function per seed. */
function mix(x: number, seed: number): number {
  let h = (x ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function shingles(text: string, k: number): Set<number> {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const out = new Set<number>();
  if (words.length <= k) out.add(fnv1a(words.join(' ')));
  for (let i = 0; i + k <= words.length; i++) out.add(fnv1a(words.slice(i, i + k).join(' ')));
  return out;
}

export function signature(set: Set<number>, seeds: Uint32Array): Uint32Array {
  const sig = new Uint32Array(seeds.length).fill(0xffffffff);
  for (const x of set) {
    for (let p = 0; p < seeds.length; p++) {
      const h = mix(x, seeds[p]);
      if (h < sig[p]) sig[p] = h;
    }
  }
  return sig;
}

export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Bands x rows = numPerm whose S-curve threshold (1/b)^(1/r) is closest to the wanted one. */
export function lshBands(numPerm: number, threshold: number): { bands: number; rows: number } {
  let best = { bands: numPerm, rows: 1 };
  let err = Infinity;
  for (let r = 1; r <= numPerm; r++) {
    if (numPerm % r) continue;
    const b = numPerm / r;
    const e = Math.abs(Math.pow(1 / b, 1 / r) - threshold);
    if (e < err) [best, err] = [{ bands: b, rows: r }, e];
  }
  return best;
}

function seedsFor(numPerm: number, seed: number): Uint32Array {
  const seeds = new Uint32Array(numPerm);
  for (let i = 0; i < numPerm; i++) seeds[i] = mix(i + 1, seed >>> 0);
  return seeds;
}

/**
 * For each text, the index of an earlier text it nearly duplicates, or -1. The first of a group is kept.
 * Candidates come from LSH buckets; each is confirmed by the estimated Jaccard similarity.
 */
export function nearDuplicateOf(texts: string[], opts: MinHashOptions = {}): number[] {
  const threshold = opts.threshold ?? 0.8;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const numPerm = opts.numPerm ?? 128;
  const seeds = seedsFor(numPerm, opts.seed ?? 0);
  const { bands, rows } = lshBands(numPerm, threshold);
  const buckets = new Map<string, number[]>();
  const sigs = texts.map((t) => signature(shingles(t, opts.shingle ?? 3), seeds));
  return sigs.map((sig, i) => {
    let dupOf = -1;
    for (let b = 0; b < bands; b++) {
      const key = `${b}:${sig.subarray(b * rows, (b + 1) * rows).join(',')}`;
      const bucket = buckets.get(key);
      if (dupOf < 0 && bucket) dupOf = bucket.find((j) => estimateJaccard(sig, sigs[j]) >= threshold) ?? -1;
      if (!bucket) buckets.set(key, [i]);
      else if (dupOf < 0) bucket.push(i);
    }
    return dupOf;
  });
}
