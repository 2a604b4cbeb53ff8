// Tests for packing: rows hold several examples with segment ids, padding saved is counted, and the
// block-diagonal causal mask never lets a token attend across examples (checked against a direct rule).
import { describe, expect, it } from 'vitest';
import { blockCausalMask, packExamples, PAD_SEGMENT, segmentPositions } from './pack';

const ex = (n: number, base: number) => ({ ids: Array.from({ length: n }, (_, i) => base + i), mask: Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 1)) });

describe('packExamples', () => {
  it('packs first-fit in order, pads to seqLen, and reports padding saved', () => {
    const r = packExamples([ex(3, 10), ex(4, 20), ex(2, 30), ex(6, 40)], 8, 0);
    expect(r.rows.map((row) => row.segments)).toEqual([
      [0, 0, 0, 1, 1, 1, 1, PAD_SEGMENT],
      [0, 0, 1, 1, 1, 1, 1, 1],
    ]);
    expect(r.rows[0].ids).toEqual([10, 11, 12, 20, 21, 22, 23, 0]);
    expect(r.rows[1].ids).toEqual([30, 31, 40, 41, 42, 43, 44, 45]); // the 2-token example opened row 2; the 6 fills it
    expect(r.rows[0].mask).toEqual([0, 1, 1, 0, 1, 1, 1, 0]); // no loss at an example's first token or on padding
    expect([r.paddingBefore, r.paddingAfter]).toEqual([5 + 4 + 6 + 2, 1]);
    expect(r.paddingSavedShare).toBeCloseTo(16 / 17, 12);
  });

  it('cuts examples longer than seqLen', () => {
    const r = packExamples([ex(10, 0)], 4, 99);
    expect(r.rows).toEqual([{ ids: [0, 1, 2, 3], mask: [0, 1, 1, 1], segments: [0, 0, 0, 0] }]);
  });
});

describe('blockCausalMask', () => {
  it('allows j <= i inside one example only, for random packings', () => {
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let trial = 0; trial < 20; trial++) {
      const lengths = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => 1 + Math.floor(rand() * 6));
      const { rows } = packExamples(lengths.map((n, k) => ex(n, 100 * k)), 16, 0);
      for (const { segments = [] } of rows) {
        const T = segments.length;
        const m = blockCausalMask(segments);
        for (let i = 0; i < T; i++) {
          for (let j = 0; j < T; j++) {
            const sameExample = segments[i] === segments[j] && segments[i] !== PAD_SEGMENT;
            const want = (j <= i && sameExample) || (i === j && segments[i] === PAD_SEGMENT) ? 1 : 0;
            expect(m[i * T + j], `trial ${trial} i=${i} j=${j}`).toBe(want);
          }
        }
      }
    }
  });

  it('is the plain causal mask for one example, and positions restart per example', () => {
    expect(Array.from(blockCausalMask([0, 0, 0]))).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    expect(Array.from(blockCausalMask([0, 1]))).toEqual([1, 0, 0, 1]);
    expect(segmentPositions([0, 0, 1, 1, 1, PAD_SEGMENT])).toEqual([0, 1, 0, 1, 2, 0]);
  });
});
