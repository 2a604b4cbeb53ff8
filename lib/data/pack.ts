// Packing: several short examples share one sequence, each token tagged with its example (segment id), and
// the attention mask that keeps every token inside its own example (block-diagonal and causal).
import type { TokenExample } from './types';

/** Segment id of padding positions. */
export const PAD_SEGMENT = -1;

export interface PackResult {
  rows: TokenExample[];
  /** Padding tokens if each example had its own row of seqLen, and after packing. */
  paddingBefore: number;
  paddingAfter: number;
  /** Share of padding removed (0..1). */
  paddingSavedShare: number;
}

/**
 * First-fit packing in input order: each example (cut to seqLen) goes into the first row with room.
 * Rows are padded to seqLen with `padId`, mask 0 and segment PAD_SEGMENT. The first token of every
 * example carries no loss: nothing before it in its segment predicts it.
 */
export function packExamples(examples: TokenExample[], seqLen: number, padId: number): PackResult {
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new RangeError(`seqLen must be an integer >= 2, got ${seqLen}`);
  const rows: { ids: number[]; mask: number[]; segments: number[]; next: number }[] = [];
  let paddingBefore = 0;
  for (const ex of examples) {
    const n = Math.min(ex.ids.length, seqLen);
    if (n === 0) continue;
    paddingBefore += seqLen - n;
    let row = rows.find((r) => r.ids.length + n <= seqLen);
    if (!row) rows.push((row = { ids: [], mask: [], segments: [], next: 0 }));
    const seg = row.next++;
    for (let t = 0; t < n; t++) {
      row.ids.push(ex.ids[t]);
      row.mask.push(t === 0 ? 0 : ex.mask[t]);
      row.segments.push(seg);
    }
  }
  let paddingAfter = 0;
  for (const r of rows) {
    const pad = seqLen - r.ids.length;
    paddingAfter += pad;
    for (let i = 0; i < pad; i++) [r.ids[r.ids.length], r.mask[r.mask.length], r.segments[r.segments.length]] = [padId, 0, PAD_SEGMENT];
  }
  return {
    rows: rows.map(({ ids, mask, segments }) => ({ ids, mask, segments })),
    paddingBefore,
    paddingAfter,
    paddingSavedShare: paddingBefore === 0 ? 0 : (paddingBefore - paddingAfter) / paddingBefore,
  };
}

/**
 * The [T, T] attention mask of one packed row, row-major: 1 where query i may attend to key j, that is
 * j <= i and both are in the same example. Padding attends only to itself (keeps softmax rows finite).
 */
export function blockCausalMask(segments: number[]): Uint8Array {
  const T = segments.length;
  const m = new Uint8Array(T * T); // [T, T]
  for (let i = 0; i < T; i++) {
    if (segments[i] === PAD_SEGMENT) {
      m[i * T + i] = 1;
      continue;
    }
    for (let j = i; j >= 0 && segments[j] === segments[i]; j--) m[i * T + j] = 1;
  }
  return m;
}

/** Position ids that restart at 0 for every example (what a packed model needs for its position embeddings). */
export function segmentPositions(segments: number[]): number[] {
  const pos: number[] = [];
  segments.forEach((s, i) => pos.push(i > 0 && segments[i - 1] === s ? pos[i - 1] + 1 : 0));
  return pos;
}
