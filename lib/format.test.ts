// Tests for the UI formatting helpers.
import { describe, expect, it } from 'vitest';
import {
  estimateRemainingMs,
  formatBytes,
  formatCount,
  formatDuration,
  formatLoss,
  formatLr,
  formatTokensPerSec,
  plural,
} from './format';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [1_000, '1K'],
    [12_345, '12.3K'],
    [4_300_000, '4.3M'],
    [4_312_345, '4.3M'],
    [124_439_808, '124M'],
    [1_500_000_000, '1.5B'],
    [Number.NaN, '–'],
  ])('%s -> %s', (n, want) => expect(formatCount(n)).toBe(want));
});

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [999, '0:01'],
    [65_000, '1:05'],
    [3_725_000, '1:02:05'],
    [-1, '–'],
    [Number.POSITIVE_INFINITY, '–'],
  ])('%s ms -> %s', (ms, want) => expect(formatDuration(ms)).toBe(want));
});

describe('formatLr', () => {
  it.each([
    [0.002, '2e-3'],
    [0.0003, '3e-4'],
    [0.00015, '1.5e-4'],
    [0.000123, '1.23e-4'],
    [0, '0'],
    [1, '1e0'],
  ])('%s -> %s', (x, want) => expect(formatLr(x)).toBe(want));
});

describe('small formatters', () => {
  it('formats losses, keeping NaN and infinity visible', () => {
    expect(formatLoss(2.345678)).toBe('2.3457');
    expect(formatLoss(Number.NaN)).toBe('NaN');
    expect(formatLoss(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatLoss(null)).toBe('–');
  });
  it('formats throughput', () => {
    expect(formatTokensPerSec(1234.5)).toBe('1,235 tok/s');
    expect(formatTokensPerSec(12.34)).toBe('12.3 tok/s');
  });
  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3 MiB');
  });
  it('pluralises', () => {
    expect(plural(1, 'record')).toBe('1 record');
    expect(plural(600, 'record')).toBe('600 records');
    expect(plural(1200, 'record')).toBe('1,200 records');
  });
  it('estimates time left linearly', () => {
    expect(estimateRemainingMs(0, 10, 0)).toBeNull();
    expect(estimateRemainingMs(5, 10, 1000)).toBe(1000);
    expect(estimateRemainingMs(10, 10, 1000)).toBe(0);
  });
});
