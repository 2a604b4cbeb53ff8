// Seeded randomness: reproducible, well spread, and shuffles that are permutations.
import { describe, expect, it } from 'vitest';
import { deriveSeed, mulberry32, normalArray, shuffled, uniformArray } from './random';

describe('random', () => {
  it('repeats for one seed and differs across seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(Array.from({ length: 5 }, mulberry32(43))).not.toEqual(xs);
    xs.forEach((x) => expect(x >= 0 && x < 1).toBe(true));
  });

  it('draws normals with the requested std and uniforms within the bound', () => {
    const n = normalArray(20001, 0.5, mulberry32(1));
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeCloseTo(0.5, 1);
    const u = uniformArray(1000, 0.25, mulberry32(2));
    expect(Math.max(...u)).toBeLessThanOrEqual(0.25);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-0.25);
    expect(Math.max(...u)).toBeGreaterThan(0.24);
  });

  it('shuffles into a permutation, reproducibly, without touching the input', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffled(items, 7);
    expect([...s].sort((x, y) => x - y)).toEqual(items);
    expect(s).not.toEqual(items);
    expect(shuffled(items, 7)).toEqual(s);
    expect(shuffled(items, 8)).not.toEqual(s);
    expect(items[0]).toBe(0);
  });

  it('derives distinct 31-bit seeds from tuples', () => {
    const seeds = new Set<number>();
    for (let step = 0; step < 100; step++) for (let k = 0; k < 4; k++) seeds.add(deriveSeed(1, step, k));
    expect(seeds.size).toBe(400);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
    for (const s of seeds) expect(s >= 0 && s < 2 ** 31 && Number.isInteger(s)).toBe(true);
  });
});
