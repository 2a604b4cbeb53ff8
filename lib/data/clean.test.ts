// Tests for cleaning (NFC/trim, empty, exact and near duplicates, length limits), the three-way split and
// statistics, including the duplicate counts of the real demo files (checked independently with python3).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cleanRecords } from './clean';
import { lshBands, nearDuplicateOf } from './minhash';
import { splitDataset } from './split3';
import { datasetStats, histogram, tooLongIssues } from './stats';
import { parseDataset } from './dataset';
import { builtinTemplate } from './chat-template';
import type { Conversation, TextTokenizer } from './types';

const text = (content: string, line: number): Conversation => ({ kind: 'text', line, turns: [{ role: 'assistant', content }] });
const charTok: TextTokenizer = { encode: (s) => Array.from(s, (c) => c.codePointAt(0)!), decode: (ids) => String.fromCodePoint(...ids), vocabSize: 0x110000, eosId: 0 };
const shared = (name: string) => path.resolve(__dirname, '../../../shared/data', name);

const base = 'the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat by the door';

describe('cleanRecords', () => {
  it('normalises to NFC and trims, then removes empty records and exact duplicates, keeping them viewable', () => {
    const r = cleanRecords([text('cafe\u0301 ', 1), text('   ', 2), text('café', 3), text('other\r\nline', 4)]);
    expect(r.records.map((c) => [c.line, c.turns[0].content])).toEqual([[1, 'café'], [4, 'other\nline']]);
    expect(r.normalized).toBe(3);
    expect(r.removedCounts).toEqual({ empty: 1, duplicate: 1, near_duplicate: 0, too_long: 0 });
    expect(r.removed.map((x) => [x.step, x.record.line, x.keptLine])).toEqual([['empty', 2, undefined], ['duplicate', 3, 1]]);
  });

  it('removes near duplicates above the threshold, not below, the same for the same seed', () => {
    const recs = [text(base, 1), text(base.replace('lazy', 'sleepy'), 2), text('an entirely different sentence about trains and rain in spring', 3)];
    const r = cleanRecords(recs, { nearDuplicates: { threshold: 0.5, seed: 1 } });
    expect(r.records.map((c) => c.line)).toEqual([1, 3]);
    expect(r.removed[0]).toMatchObject({ step: 'near_duplicate', keptLine: 1 });
    expect(cleanRecords(recs, { nearDuplicates: { threshold: 0.95, seed: 1 } }).removedCounts.near_duplicate).toBe(0);
    expect(nearDuplicateOf(recs.map((c) => c.turns[0].content), { threshold: 0.5, seed: 7 })).toEqual([-1, 0, -1]);
  });

  it('picks LSH bands whose S-curve sits near the threshold', () => {
    const { bands, rows } = lshBands(128, 0.8);
    expect(bands * rows).toBe(128);
    expect(Math.abs(Math.pow(1 / bands, 1 / rows) - 0.8)).toBeLessThan(0.1);
  });

  it('drops or keeps records over a token limit', () => {
    const recs = [text('short', 1), text('much longer text', 2)];
    const count = (c: Conversation) => c.turns[0].content.length;
    const drop = cleanRecords(recs, { maxTokens: { limit: 8, action: 'drop', count } });
    expect(drop.records.map((c) => c.line)).toEqual([1]);
    expect(drop.removed[0]).toMatchObject({ step: 'too_long', reason: '16 tokens, over the limit of 8' });
    const cut = cleanRecords(recs, { maxTokens: { limit: 8, action: 'truncate', count } });
    expect([cut.records.length, cut.truncated]).toEqual([2, 1]);
  });

  it('finds the duplicates of the real demo files (14 in Alpaca, 5 in DPO)', async () => {
    for (const [name, dups] of [['alpaca_en_demo.json', 14], ['dpo_en_demo.json', 5]] as const) {
      const ds = await parseDataset(name, new Uint8Array(fs.readFileSync(shared(name))));
      const r = cleanRecords(ds.records);
      expect(r.removedCounts.duplicate).toBe(dups);
      expect(r.records.length + r.removed.length).toBe(ds.records.length);
    }
  });
});

describe('splitDataset', () => {
  it('splits by ratios, stably for one seed, differently for another, losing nothing', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = splitDataset(items, { validation: 0.1, test: 0.2 }, 3);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([70, 10, 20]);
    expect([...a.train, ...a.validation, ...a.test].sort((x, y) => x - y)).toEqual(items);
    expect(splitDataset(items, { validation: 0.1, test: 0.2 }, 3)).toEqual(a);
    expect(splitDataset(items, { validation: 0.1, test: 0.2 }, 4).test).not.toEqual(a.test);
    expect(() => splitDataset(items, { validation: 0.5, test: 0.5 }, 1)).toThrow(/leave some data to train on/);
  });
});

describe('datasetStats', () => {
  it('counts tokens, roles, cuts, and estimates time from a measured speed', () => {
    const recs: Conversation[] = [text('abcd', 1), { kind: 'chat', line: 2, turns: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }];
    const template = builtinTemplate('chatml', { bos: '', eos: '', pad: '' });
    const s = datasetStats(charTok, recs, { template, seqLen: 10, tokensPerSec: 5, bins: 4 });
    const chatLen = template.render(recs[1].turns, { addGenerationPrompt: false }).length;
    expect(s.tokens).toEqual({ total: 5 + chatLen, min: 5, max: chatLen, mean: (5 + chatLen) / 2 });
    expect(s.perRole).toMatchObject({ user: 2, assistant: 6, template: 1 + chatLen - 4 });
    expect([s.truncated, s.truncatedShare]).toEqual([1, 0.5]);
    expect(s.estimate!.seconds).toBeCloseTo((5 + 10) / 5, 12);
    expect(s.histogram.reduce((a, b) => a + b.count, 0)).toBe(2);
    expect(tooLongIssues(charTok, recs, { template, seqLen: 10 })).toEqual([
      { line: 2, class: 'too_long', reason: expect.stringMatching(new RegExp(`^${chatLen} tokens, longer than the sequence length 10`)) },
    ]);
    // The statistics list the same records in the same pass, without encoding them again.
    expect(s.tooLong).toEqual(tooLongIssues(charTok, recs, { template, seqLen: 10 }));
    expect(datasetStats(charTok, recs, { template, seqLen: 10, maxListed: 0 }).tooLong).toEqual([]);
  });

  it('bins lengths from 0', () => {
    expect(histogram([0, 3, 9], 2)).toEqual([{ from: 0, to: 5, count: 2 }, { from: 5, to: 10, count: 1 }]);
  });
});
