// Replay and the forgetting meter: the mixer's share is exact and row-position determined; a model first taught a
// "general" pattern and then fine-tuned on another forgets less of the first (lower general perplexity after) when a
// share of general rows is replayed; the meter's verdicts follow the change; the shipped text is a few KB.
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERAL_TEXT, GENERAL_TEXT_LICENSE } from '../data/general-text';
import { forgettingReport, generalPerplexity } from './forgetting';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { ReplayMixer, textWindows } from './replay';
import { tinyConfig, tinyTrainConfig, useCpu } from './test-utils';
import { Trainer } from './trainer';
import type { Example, WeightMap } from './types';

beforeAll(useCpu);

const config = tinyConfig();
const V = config.vocab_size;

/** Rows following next = prev + stride (mod V - 1, ids 1..V-1), each starting elsewhere. */
function patternRows(n: number, len: number, stride: number, offset: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const ids = Array.from({ length: len }, (_, t) => 1 + ((offset + i * 7 + t * stride) % (V - 1)));
    return { ids, mask: ids.map((_, t) => (t === 0 ? 0 : 1)) };
  });
}

describe('ReplayMixer', () => {
  it('marks exactly the chosen share of rows, by position alone, and keeps row order', () => {
    const mix = new ReplayMixer([{ ids: [9, 9], mask: [0, 1] }], 0.25, 1);
    const marked = Array.from({ length: 100 }, (_, r) => mix.isReplayRow(r));
    expect(marked.filter(Boolean)).toHaveLength(25);
    expect(marked.slice(0, 8)).toEqual([false, false, false, true, false, false, false, true]);
    let asked = 0;
    const rows = mix.rows(0, 4, (n) => {
      asked = n;
      return Array.from({ length: n }, (_, i) => ({ ids: [i + 1, i + 1], mask: [0, 1] }));
    });
    expect(asked).toBe(3);
    expect(rows.map((r) => r.ids[0])).toEqual([1, 2, 3, 9]);
    expect(() => new ReplayMixer([], 0.5, 1)).toThrow(/general text/);
    expect(() => new ReplayMixer([{ ids: [1, 2], mask: [0, 1] }], 1, 1)).toThrow(/below 1/);
  });

  it('cuts text into windows of seqLen with every target counted', () => {
    const w = textWindows([1, 2, 3, 4, 5, 6, 7], 3);
    expect(w.map((e) => e.ids)).toEqual([[1, 2, 3], [4, 5, 6]]); // a lone last token has nothing to predict
    expect(w[0].mask).toEqual([0, 1, 1]);
  });
});

describe('forgetting', () => {
  it('verdicts follow the relative perplexity change', () => {
    expect(forgettingReport(10, 10.1)).toMatchObject({ level: 'none' });
    expect(forgettingReport(10, 10.5).level).toBe('slight');
    expect(forgettingReport(10, 12).level).toBe('noticeable');
    expect(forgettingReport(10, 20)).toMatchObject({ level: 'strong', change: 1 });
    expect(forgettingReport(10, 9).level).toBe('better');
    expect(forgettingReport(10, 20).verdict).toMatch(/replay/);
    expect(() => forgettingReport(0, 1)).toThrow(/positive/);
  });

  it('ships a few KB of general English with its licence', () => {
    expect(GENERAL_TEXT.length).toBeGreaterThan(3000);
    expect(GENERAL_TEXT_LICENSE).toMatch(/CC0/);
  });

  it('replaying general rows limits how much a fine-tune forgets of them', async () => {
    const weights = initGpt2Weights(config, 7);
    const general = patternRows(8, 16, 1, 0);
    const task = patternRows(8, 16, 3, 5);
    // "Pretraining": the model learns the general pattern well.
    const pre = new Trainer({ config, weights }, general, [], tinyTrainConfig({ method: 'full', steps: 80, lr: 1e-2, batchSize: 4 }));
    await pre.run();
    const known: WeightMap = new Map(pre.evalModel().weights);
    const before = (await generalPerplexity({ config, weights: known }, general)).perplexity;
    const tune = async (replayShare: number) => {
      const t = new Trainer({ config, weights: known }, task, [], tinyTrainConfig({ method: 'full', steps: 40, lr: 1e-2, batchSize: 4, replayShare }), {}, { replay: general });
      await t.run();
      const after = (await generalPerplexity(t.evalModel(), general)).perplexity;
      const taskPpl = (await generalPerplexity(t.evalModel(), task)).perplexity;
      t.dispose();
      return { after, taskPpl };
    };
    const plain = await tune(0);
    const replayed = await tune(0.5);
    const without = forgettingReport(before, plain.after);
    const withReplay = forgettingReport(before, replayed.after);
    expect(without.change).toBeGreaterThan(0.3);
    expect(withReplay.change).toBeLessThan(without.change / 2);
    expect(replayed.taskPpl).toBeLessThan(4); // the task is still learned
    pre.dispose();
    disposeWeights(weights);
  }, 120_000);
});
