// Tests for encodeRecord / encodeRecords with a hand-written character-level tokenizer.
import { describe, expect, it } from 'vitest';
import { encodeRecord, encodeRecords } from './encode';
import { parseDataFile } from './parse';
import type { TextTokenizer } from './types';

/** One id per character code; eos is 0 (no character maps there). */
const charTok: TextTokenizer = {
  encode: (s) => Array.from(s, (ch) => ch.codePointAt(0)!),
  decode: (ids) => ids.filter((i) => i !== 0).map((i) => String.fromCodePoint(i)).join(''),
  vocabSize: 0x110000,
  eosId: 0,
};
const ids = (s: string) => charTok.encode(s);

describe('encodeRecord', () => {
  it('masks the prompt and learns the completion and eos', () => {
    const { example, truncated } = encodeRecord(charTok, { prompt: 'Q:', completion: 'ab' }, 16);
    expect(truncated).toBe(false);
    expect(example.ids).toEqual([...ids('Q:'), ...ids('ab'), 0]);
    expect(example.mask).toEqual([0, 0, 1, 1, 1]);
  });

  it('masks an Alpaca record token by token', () => {
    const ds = parseDataFile('a.jsonl', '{"instruction": "Hi", "output": "Yo"}');
    const rec = ds.records[0];
    const { example } = encodeRecord(charTok, rec, 1024);
    const n = rec.prompt.length;
    expect(rec.prompt.endsWith('### Response:\n')).toBe(true);
    expect(example.ids).toHaveLength(n + 3);
    expect(charTok.decode(example.ids)).toBe(rec.prompt + 'Yo');
    for (let t = 0; t < example.ids.length; t++) expect(example.mask[t]).toBe(t < n ? 0 : 1);
    expect(example.ids[n]).toBe('Y'.codePointAt(0));
    expect(example.ids.at(-1)).toBe(charTok.eosId);
  });

  it('learns plain text everywhere but position 0', () => {
    const { example } = encodeRecord(charTok, { prompt: '', completion: 'abc' }, 16);
    expect(example.ids).toEqual([...ids('abc'), 0]);
    expect(example.mask).toEqual([0, 1, 1, 1]);
  });

  it('keeps the first seqLen tokens and says so (eos is cut too)', () => {
    const { example, truncated } = encodeRecord(charTok, { prompt: 'P', completion: 'abcdef' }, 4);
    expect(truncated).toBe(true);
    expect(example.ids).toEqual(ids('Pabc'));
    expect(example.mask).toEqual([0, 1, 1, 1]);
    // Exactly seqLen tokens including eos is not truncated.
    const fits = encodeRecord(charTok, { prompt: 'P', completion: 'ab' }, 4);
    expect(fits.truncated).toBe(false);
    expect(fits.example.ids).toEqual([...ids('Pab'), 0]);
  });

  it('rejects a seqLen that cannot hold a prediction', () => {
    expect(() => encodeRecord(charTok, { prompt: '', completion: 'a' }, 1)).toThrow(RangeError);
  });
});

describe('encodeRecords', () => {
  it('counts truncations and drops (with a count) records with no loss left', () => {
    const out = encodeRecords(
      charTok,
      [
        { prompt: 'ab', completion: 'c' }, // fits: [a b c eos]
        { prompt: 'abcd', completion: 'e' }, // prompt fills seqLen: nothing to learn
        { prompt: 'abc', completion: 'de' }, // truncated, one completion token left
        { prompt: '', completion: 'abcdefg' }, // truncated text
      ],
      4,
    );
    expect(out.truncated).toBe(3);
    expect(out.droppedNoLoss).toBe(1);
    expect(out.droppedIndices).toEqual([1]);
    expect(out.examples).toHaveLength(3);
    expect(out.examples[1]).toEqual({ ids: ids('abcd'), mask: [0, 0, 0, 1] });
    expect(out.examples[2]).toEqual({ ids: ids('abcd'), mask: [0, 1, 1, 1] });
    for (const e of out.examples) expect(e.mask).toHaveLength(e.ids.length);
  });
});
