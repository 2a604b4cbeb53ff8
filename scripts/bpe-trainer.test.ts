// Tests for the hand-written byte-level BPE trainer: merges worked by hand on tiny corpora, and exact round trips
// through @huggingface/tokenizers (the library the app encodes with).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { EOT, bytesToUnicode, countWords, preTokenize, trainBpe, trainTokenizer } from './bpe-trainer';
import { mulberry32 } from '../lib/engine/random';
import { loadDocs, splitDocs } from './demo-corpus';

describe('bytesToUnicode', () => {
  it('maps 256 bytes to distinct printable characters like GPT-2', () => {
    const t = bytesToUnicode();
    expect(new Set(t).size).toBe(256);
    expect(t[0x41]).toBe('A');
    expect(t[0x20]).toBe('Ġ'); // space
    expect(t[0x0a]).toBe('Ċ'); // newline
    expect(t[0]).toBe('Ā');
  });
});

describe('preTokenize and countWords', () => {
  it('splits like GPT-2 and counts byte-level words', () => {
    expect(preTokenize("Hello world, it's 2021!  ok")).toEqual(['Hello', ' world', ',', ' it', "'s", ' 2021', '!', ' ', ' ok']);
    const counts = countWords(['ab ab ab abc']);
    expect([...counts.entries()]).toEqual([['ab', 1], ['Ġab', 2], ['Ġabc', 1]]);
  });
});

describe('trainBpe', () => {
  it('learns the merges worked by hand', () => {
    // Words: ab x1, Ġab x2, Ġabc x1. Pairs: (a,b)=4, (Ġ,a)=3, (b,c)=1 -> merge a+b.
    // Then (Ġ,ab)=3, (ab,c)=1 -> merge Ġ+ab. Then (Ġab,c)=1 -> merge Ġab+c. No pairs remain.
    const res = trainBpe(countWords(['ab ab ab abc']), 10);
    expect(res.merges).toEqual([['a', 'b'], ['Ġ', 'ab'], ['Ġab', 'c']]);
    expect(res.vocab.get('ab')).toBe(256);
    expect(res.vocab.get('Ġab')).toBe(257);
    expect(res.vocab.get('Ġabc')).toBe(258);
  });

  it('breaks count ties by string order, deterministically', () => {
    // xy x1, Ġzw x1: (x,y), (Ġ,z), (z,w) all 1; 'x' < 'z' < 'Ġ' in code units.
    const res = trainBpe(countWords(['xy zw']), 10);
    expect(res.merges).toEqual([['x', 'y'], ['z', 'w'], ['Ġ', 'zw']]);
  });

  it('keeps ids contiguous and every merge result in the vocabulary (random small-alphabet corpora)', () => {
    const r = mulberry32(3);
    for (let t = 0; t < 50; t++) {
      const counts = new Map<string, number>();
      for (let i = 0; i < 8; i++) {
        let w = '';
        for (let j = 0, n = 2 + Math.floor(r() * 8); j < n; j++) w += 'abc'[Math.floor(r() * 3)];
        counts.set(w, 1 + Math.floor(r() * 9));
      }
      const res = trainBpe(counts, 40);
      const ids = [...res.vocab.values()].sort((a, b) => a - b);
      expect(ids).toEqual(ids.map((_, i) => i));
      for (const [a, b] of res.merges) expect(res.vocab.has(a + b)).toBe(true);
    }
  });
});

const corpus = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps.',
  'Numbers 1234 and 2021-03-05, punctuation!? "quotes" and  double  spaces.\nNew line\ttab.',
  'Unicode: café, naïve, 東京, emoji 🙂 and more — dashes.',
];

function load(json: Record<string, unknown>, config: Record<string, unknown>) {
  return new Tokenizer(json, config);
}

describe('tokenizer.json through @huggingface/tokenizers', () => {
  it('applies the learned merges and round-trips text exactly', () => {
    const { tokenizerJson, tokenizerConfig, result } = trainTokenizer(corpus, 320);
    expect(result.vocab.size + 1).toBe(320);
    const tok = load(tokenizerJson, tokenizerConfig);
    const samples = [...corpus, ' leading space', 'trailing  ', 'The dog, the fox.', "it's 'quoted' isn't"];
    for (const text of samples) {
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      expect(tok.decode(ids, { skip_special_tokens: false })).toBe(text);
    }
    expect(tok.tokenize('The dog')).toEqual(['The', 'Ġdog']);
  });

  it('encodes the hand-worked corpus to the expected tokens, with <|endoftext|> as one special token', () => {
    const { tokenizerJson, tokenizerConfig } = trainTokenizer(['ab ab ab abc'], 260);
    const tok = load(tokenizerJson, tokenizerConfig);
    expect(tok.tokenize('ab abc ab')).toEqual(['ab', 'Ġabc', 'Ġab']);
    const ids = tok.encode(`ab${EOT}ab`, { add_special_tokens: false }).ids;
    expect(ids).toEqual([256, 259, 256]);
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe('abab');
  });

  const dataDir = path.resolve(__dirname, '../../shared/data');
  it.skipIf(!existsSync(path.join(dataDir, 'wiki_demo.txt')))('trains the 4096 vocabulary on the demo corpus', () => {
    const { train, val } = splitDocs(loadDocs(dataDir));
    const { tokenizerJson, tokenizerConfig, result } = trainTokenizer(train, 4096);
    expect(result.vocab.size + 1).toBe(4096);
    const tok = load(tokenizerJson, tokenizerConfig);
    const text = val[0].slice(0, 5000);
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    expect(Math.max(...ids)).toBeLessThan(4095);
    expect(ids.length).toBeLessThan(text.length / 2.5); // real compression
    expect(tok.decode(ids)).toBe(text);
  });
});
