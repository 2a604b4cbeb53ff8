// Tests for the text layouts every reader shares (lib/data/parse.ts): JSON Lines, JSON arrays and wrapping
// objects, plain text by blocks or lines, located item problems, and whole-file failures (empty, binary, bad JSON).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { readItems } from './parse';
import { parseDatasetText } from './dataset';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, 'fixtures', name), 'utf8');
const shared = (name: string) => path.resolve(__dirname, '../../../shared/data', name);
const located = (name: string, text: string) => readItems(name, text, 'blocks').items.map((i) => [i.line, i.reason ?? 'object']);

describe('layouts', () => {
  it('reads a JSON object holding one array of records', () => {
    expect(readItems('wrapped.json', fixture('wrapped.json'), 'blocks')).toEqual({
      container: 'json',
      items: [{ line: 1, obj: { prompt: 'Hello', completion: ' world' } }, { line: 2, obj: { prompt: 'Good', completion: ' morning' } }],
    });
  });

  it('reads a single record object, and a record with an array field is not mistaken for a wrapper', () => {
    expect(readItems('one.json', '{"text": "solo", "tags": ["a", "b"]}', 'blocks').items).toEqual([{ line: 1, obj: { text: 'solo', tags: ['a', 'b'] } }]);
  });

  it('reads plain text by blocks or by lines, locating each at its first line', () => {
    const blocks = readItems('docs.txt', fixture('docs.txt'), 'blocks');
    expect(blocks.container).toBe('txt');
    expect(blocks.items.map((i) => [i.line, i.obj?.text])).toEqual([[1, 'First paragraph,\non two lines.'], [4, 'Second paragraph.'], [7, 'Third paragraph']]);
    const lines = readItems('docs.txt', fixture('docs.txt'), 'lines');
    expect(lines.items.map((i) => [i.line, i.obj?.text])).toEqual([[1, 'First paragraph,'], [2, 'on two lines.'], [4, 'Second paragraph.'], [7, 'Third paragraph']]);
  });

  it('sniffs JSON Lines in a file with another extension, and a .json file that is really JSON Lines', () => {
    expect(readItems('data.txt', fixture('text.jsonl'), 'blocks').container).toBe('jsonl');
    expect(readItems('data', fixture('text.jsonl'), 'blocks').container).toBe('jsonl');
    const pc = readItems('data.json', fixture('prompt-completion.jsonl'), 'blocks');
    expect(pc.container).toBe('jsonl');
    expect(pc.items).toHaveLength(2);
  });

  it('detects the record shape by majority, not by the first record alone, and locates the odd one', () => {
    const text = ['{"text": "odd one"}', ...[1, 2, 3].map((i) => `{"prompt": "p${i}", "completion": "c${i}"}`)].join('\n');
    const ds = parseDatasetText('m.jsonl', text);
    expect(ds.shape).toBe('prompt-completion');
    expect(ds.records).toHaveLength(3);
    expect(ds.issues).toEqual([{ line: 1, class: 'missing_field', reason: 'missing field "prompt"' }]);
  });
});

describe('located item problems', () => {
  it('locates each bad JSON Lines record at its line and keeps the objects', () => {
    expect(located('bad.jsonl', fixture('malformed.jsonl'))).toEqual([
      [1, 'object'], [2, 'invalid JSON: unexpected end of input at column 55'], [3, 'not a JSON object (found an array)'],
      [4, 'object'], [5, 'object'], [6, 'object'], [8, 'object'],
    ]);
  });

  it('locates JSON array records by 1-based index', () => {
    expect(located('bad.json', fixture('malformed.json'))).toEqual([[1, 'object'], [2, 'not a JSON object (found a string)'], [3, 'object'], [4, 'object'], [5, 'object']]);
  });
});

describe('whole-file problems', () => {
  it('strips a UTF-8 BOM and accepts CRLF line ends', () => {
    const crlf = '\uFEFF' + fixture('malformed.jsonl').replace(/\r?\n/g, '\r\n');
    expect(parseDatasetText('bad.jsonl', crlf).issues.map((e) => e.line)).toEqual(parseDatasetText('bad.jsonl', fixture('malformed.jsonl')).issues.map((e) => e.line));
    const txt = parseDatasetText('d.txt', '\uFEFF' + fixture('docs.txt').replace(/\n/g, '\r\n'));
    expect(txt.records.map((r) => r.turns[0].content)).toEqual(['First paragraph,\non two lines.', 'Second paragraph.', 'Third paragraph']);
    expect(parseDatasetText('a.json', '\uFEFF' + fixture('alpaca.json').replace(/\n/g, '\r\n')).records).toHaveLength(3);
  });

  it('rejects an empty file', () => {
    expect(() => parseDatasetText('e.jsonl', '')).toThrow('The file is empty');
    expect(() => parseDatasetText('e.txt', '\uFEFF  \r\n\n')).toThrow('The file is empty');
    expect(() => parseDatasetText('e.json', '[]')).toThrow('The file holds no records');
  });

  it('rejects binary data, naming UTF-16 when it looks like it', () => {
    // A PNG-like header and random bytes, decoded as UTF-8 the way File.text() does.
    const bytes = new Uint8Array(512);
    let s = 7;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const decode = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);
    expect(() => parseDatasetText('image.jsonl', decode(bytes))).toThrow('This does not look like a text file (found binary data)');
    expect(() => parseDatasetText('u.jsonl', decode(new Uint8Array(Buffer.from('{"text": "hello"}\n', 'utf16le'))))).toThrow(/binary data.*UTF-16/);
    // A stray replacement character in real text is fine.
    expect(parseDatasetText('ok.jsonl', '{"text": "caf\uFFFD au lait"}').records).toHaveLength(1);
  });

  it('reports an invalid JSON file with a line number', () => {
    expect(() => readItems('x.json', '[\n {"text": "a"},\n {"text": }\n]', 'blocks')).toThrow('The file is not valid JSON: unexpected "}" at line 3, column 11');
  });
});

describe('real data files (LLaMA-Factory demos)', () => {
  it('wiki_demo.txt: one record per non-empty line by lines (30), one document by blocks (it has no blank lines)', () => {
    const text = fs.readFileSync(shared('wiki_demo.txt'), 'utf8');
    expect(text.split(/\r?\n/).filter((l) => l.trim() !== '').length).toBe(30);
    const lines = readItems('wiki_demo.txt', text, 'lines').items;
    expect(lines).toHaveLength(30);
    expect(lines[0].obj?.text).toMatch(/^Anarchism is a political philosophy/);
    expect(readItems('wiki_demo.txt', text, 'blocks').items).toHaveLength(1);
  });
});
