// Tests for the bias-corrected EMA: hand-worked values, constant series, skipped non-finite points.
import { describe, expect, it } from 'vitest';
import { createEma, emaPush, emaValue, smoothSeries } from './smoothing';

describe('bias-corrected EMA', () => {
  it('starts at the first value, not near zero', () => {
    expect(smoothSeries([4])[0]).toBeCloseTo(4, 12);
  });

  it('matches a hand-worked example (beta 0.9)', () => {
    // biased: 0.1*4 = 0.4; 0.9*0.4 + 0.1*2 = 0.56; corrections 0.1 and 0.19.
    const s = smoothSeries([4, 2]);
    expect(s[1]).toBeCloseTo(0.56 / 0.19, 12); // 2.947...
    expect(s[1]).toBeGreaterThan(2);
    expect(s[1]).toBeLessThan(4);
  });

  it('leaves a constant series unchanged', () => {
    for (const v of smoothSeries(Array(50).fill(3.25))) expect(v).toBeCloseTo(3.25, 10);
  });

  it('with beta 0 is the raw series', () => {
    expect(smoothSeries([5, 1, 3], 0)).toEqual([5, 1, 3]);
  });

  it('skips NaN and Infinity but keeps the previous value', () => {
    const s = smoothSeries([Number.NaN, 2, Number.POSITIVE_INFINITY, 2]);
    expect(s[0]).toBeNull();
    expect(s[1]).toBeCloseTo(2, 12);
    expect(s[2]).toBeCloseTo(2, 12);
    expect(s[3]).toBeCloseTo(2, 12);
  });

  it('is incremental: pushing one by one equals the series', () => {
    const xs = [3, 2.5, 2.8, 1.9, 1.7, 1.75];
    let e = createEma();
    const inc = xs.map((x) => emaValue((e = emaPush(e, x))));
    expect(inc).toEqual(smoothSeries(xs));
  });
});
