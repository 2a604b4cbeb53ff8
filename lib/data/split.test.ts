// Tests for the seeded train / validation split.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../engine/random';
import { splitRecords } from './split';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('mulberry32', () => {
  it('matches the reference sequence and stays in [0, 1)', () => {
    // First outputs of the public-domain reference implementation (bryc) for seed 0.
    const r = mulberry32(0);
    const first = [r(), r(), r()].map((x) => Math.round(x * 4294967296));
    expect(first).toEqual([1144304738, 1416247, 958946056]);
    const s = mulberry32(123);
    for (let i = 0; i < 1000; i++) {
      const x = s();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('splitRecords', () => {
  it('is stable for a seed and differs for another', () => {
    const items = range(100);
    const a = splitRecords(items, 0.2, 42);
    const b = splitRecords(items, 0.2, 42);
    const c = splitRecords(items, 0.2, 43);
    expect(a).toEqual(b);
    expect(c.validation).not.toEqual(a.validation);
  });

  it('partitions the items with the requested ratio, keeping input order', () => {
    const items = range(100);
    const { train, validation } = splitRecords(items, 0.1, 7);
    expect(validation).toHaveLength(10);
    expect(train).toHaveLength(90);
    expect([...train, ...validation].sort((x, y) => x - y)).toEqual(items);
    expect(validation).toEqual([...validation].sort((x, y) => x - y));
    expect(validation).not.toEqual(range(10)); // shuffled choice, not the head
  });

  it.each([
    [0, 10, 0],
    [0.01, 10, 1], // rounds to 0, but at least one
    [0.25, 10, 3], // round(2.5) = 3
    [0.5, 2, 1],
    [0.9, 2, 1], // never the whole set
    [0.5, 1, 0], // a single item stays in train
    [0.5, 0, 0],
  ])('ratio %f of %i items gives %i validation', (ratio, n, nVal) => {
    const { train, validation } = splitRecords(range(n), ratio, 1);
    expect(validation).toHaveLength(nVal);
    expect(train).toHaveLength(n - nVal);
    if (n > 0) expect(train.length).toBeGreaterThan(0);
  });

  it('rejects ratios outside [0, 1)', () => {
    expect(() => splitRecords(range(4), 1, 0)).toThrow(RangeError);
    expect(() => splitRecords(range(4), -0.1, 0)).toThrow(RangeError);
    expect(() => splitRecords(range(4), NaN, 0)).toThrow(RangeError);
  });
});
