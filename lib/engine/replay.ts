// Replay: a chosen share of every batch's rows comes from general text instead of the training set, which limits
// how much general ability fine-tuning wears away. Which rows are general is a function of the row's position in
// the run alone (row r is general when floor((r + 1) * share) > floor(r * share)), so the share is exact over any
// stretch of rows and a resumed run mixes exactly as an uninterrupted one.
import { BatchSampler, type SamplerState } from './batch';
import { deriveSeed } from './random';
import type { Example } from './types';

export class ReplayMixer {
  private readonly sampler: BatchSampler;

  constructor(private readonly general: Example[], readonly share: number, seed: number) {
    if (!(share >= 0 && share < 1)) throw new Error(`The replay share must be at least 0 and below 1, got ${share}`);
    if (share > 0 && general.length === 0) throw new Error('Replay needs general text: none was given (or it has no tokens)');
    this.sampler = new BatchSampler(Math.max(1, general.length), deriveSeed(seed, 0x4e9a));
  }

  /** Whether row r of the run (counted over every micro-batch row since step 0) is a general-text row. */
  isReplayRow(r: number): boolean {
    return Math.floor((r + 1) * this.share) > Math.floor(r * this.share);
  }

  /** The rows of one micro-batch whose first row is row `first` of the run: training rows from `drawTrain`
   * (asked for only as many as are needed), general rows from the replay sampler, in row order. */
  rows(first: number, size: number, drawTrain: (n: number) => Example[]): Example[] {
    const replay = Array.from({ length: size }, (_, j) => this.isReplayRow(first + j));
    const train = drawTrain(replay.filter((x) => !x).length);
    const general = this.sampler.next(replay.filter((x) => x).length).map((i) => this.general[i]);
    return replay.map((g) => (g ? general.shift()! : train.shift()!));
  }

  get state(): SamplerState {
    return this.sampler.state;
  }

  restore(s: SamplerState): void {
    this.sampler.restore(s);
  }
}

/** General text as training rows: windows of seqLen tokens (the last one may be shorter), every target counted. */
export function textWindows(ids: number[], seqLen: number): Example[] {
  if (!(Number.isInteger(seqLen) && seqLen >= 2)) throw new Error(`seqLen must be an integer >= 2, got ${seqLen}`);
  const out: Example[] = [];
  for (let i = 0; i + 1 < ids.length; i += seqLen) {
    const w = ids.slice(i, i + seqLen);
    if (w.length >= 2) out.push({ ids: w, mask: w.map((_, t) => (t === 0 ? 0 : 1)) });
  }
  return out;
}
