// Micro-batches on the host for the trainer: padded [B, T] ids and loss masks (with segment ids when the rows are
// packed), the seeded endless sampler, and the packing of training examples into rows of seqLen.
import { packExamples, PAD_SEGMENT } from '../data/pack';
import { countedTargets } from './loss';
import { deriveSeed, shuffled } from './random';
import type { Example } from './types';

/** One padded micro-batch on the host; ids, mask and segments are [B, T] row-major. */
export interface Batch {
  ids: Int32Array;
  mask: Float32Array;
  segments?: Int32Array; // packed rows only: example index per token, PAD_SEGMENT on padding
  B: number;
  T: number;
  counted: number; // targets the loss counts
  tokens: number; // real (unpadded) tokens
}

/** Sequence lengths are rounded up to a multiple of this: WebGPU compiles shaders per shape (seconds each on a
 * software adapter), so few distinct lengths matter more than the padding they cost. */
export const LENGTH_BUCKET = 32;

/** Pads/truncates to the longest example rounded up to LENGTH_BUCKET, capped at seqLen. Padding is on the
 * right with mask 0, so causal attention never lets it reach real tokens. Packed rows (with `segments`) keep
 * their segment ids, and only their non-padding tokens count as tokens. */
export function makeBatch(examples: Example[], seqLen: number, padId: number): Batch {
  const longest = Math.max(2, ...examples.map((e) => e.ids.length));
  const T = Math.max(2, Math.min(seqLen, Math.ceil(longest / LENGTH_BUCKET) * LENGTH_BUCKET));
  const B = examples.length;
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  const segments = examples.some((e) => e.segments) ? new Int32Array(B * T).fill(PAD_SEGMENT) : undefined;
  let counted = 0;
  let tokens = 0;
  examples.forEach((e, b) => {
    const n = Math.min(T, e.ids.length);
    for (let t = 0; t < n; t++) {
      ids[b * T + t] = e.ids[t];
      mask[b * T + t] = e.mask[t] ?? 0;
      if (segments) segments[b * T + t] = e.segments?.[t] ?? 0;
      if (!segments || segments[b * T + t] !== PAD_SEGMENT) tokens += 1;
    }
    counted += countedTargets(mask.subarray(b * T, b * T + n));
  });
  return { ids, mask, segments, B, T, counted, tokens };
}

/** Training rows for `packing`: first-fit packs of the examples (each cut to seqLen), every row seqLen long. */
export function packTrainingRows(examples: Example[], seqLen: number, padId: number): { rows: Example[]; paddingSavedShare: number } {
  const { rows, paddingSavedShare } = packExamples(examples, seqLen, padId);
  if (rows.length === 0) throw new Error('The training set has no tokens to pack');
  return { rows, paddingSavedShare };
}

export interface SamplerState {
  epoch: number;
  pos: number;
}

/** Endless seeded order over n examples: a fresh shuffle every epoch. */
export class BatchSampler {
  private order: number[] = [];
  private pos = 0;
  epoch = -1;

  constructor(private readonly n: number, private readonly seed: number) {}

  /** Where the sampler stands (the order itself follows from seed and epoch). */
  get state(): SamplerState {
    return { epoch: this.epoch, pos: this.pos };
  }

  restore(s: SamplerState): void {
    this.epoch = s.epoch;
    this.order = s.epoch >= 0 ? this.orderOf(s.epoch) : [];
    this.pos = s.pos;
  }

  private orderOf(epoch: number): number[] {
    return shuffled([...Array(this.n).keys()], deriveSeed(this.seed, 0x5eed, epoch));
  }

  next(size: number): number[] {
    const out: number[] = [];
    while (out.length < size) {
      if (this.pos >= this.order.length) {
        this.epoch += 1;
        this.order = this.orderOf(this.epoch);
        this.pos = 0;
      }
      out.push(this.order[this.pos++]);
    }
    return out;
  }
}
