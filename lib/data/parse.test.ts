// Tests for parseDataFile: each container and record shape, located errors, and whole-file failures.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseDataBytes, parseDataFile } from './parse';
import { ALPACA_TEMPLATE_NO_INPUT, ALPACA_TEMPLATE_WITH_INPUT } from './templates';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, 'fixtures', name), 'utf8');
const shared = (name: string) => path.resolve(__dirname, '../../../shared/data', name);

describe('record shapes', () => {
  it('reads an Alpaca JSON array with both template variants and a system preamble', () => {
    const ds = parseDataFile('alpaca.json', fixture('alpaca.json'));
    expect(ds.format).toBe('alpaca');
    expect(ds.container).toBe('json');
    expect(ds.total).toBe(3);
    expect(ds.errors).toEqual([]);
    expect(ds.records[0]).toEqual({
      prompt: ALPACA_TEMPLATE_WITH_INPUT.replace('{instruction}', 'Add the numbers.').replace('{input}', '2 and 3'),
      completion: '5',
    });
    expect(ds.records[0].prompt).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n### Response:\n',
    );
    expect(ds.records[1].prompt).toBe(ALPACA_TEMPLATE_NO_INPUT.replace('{instruction}', 'Name a colour.'));
    expect(ds.records[1].prompt).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.' +
        '\n\n### Instruction:\nName a colour.\n\n### Response:\n',
    );
    expect(ds.records[2]).toEqual({
      prompt: 'You are terse.\n\n### Instruction:\nSay hi.\n\n### Response:\n',
      completion: 'Hi!',
    });
    expect(ds.raw[2]).toEqual({ instruction: 'Say hi.', output: 'Hi!', system: 'You are terse.' });
  });

  it('reads plain-text JSON Lines, skipping blank lines but keeping line numbers', () => {
    const ds = parseDataFile('text.jsonl', fixture('text.jsonl'));
    expect(ds.format).toBe('text');
    expect(ds.container).toBe('jsonl');
    expect(ds.records).toEqual([
      { prompt: '', completion: 'The first document.' },
      { prompt: '', completion: 'The second one,\nwith two lines.' },
      { prompt: '', completion: 'Third.' },
    ]);
    expect(ds.total).toBe(3);
  });

  it('reads prompt/completion as is', () => {
    const ds = parseDataFile('pc.jsonl', fixture('prompt-completion.jsonl'));
    expect(ds.format).toBe('prompt-completion');
    expect(ds.records[0]).toEqual({ prompt: 'Q: capital of France?\nA:', completion: ' Paris' });
  });

  it('reads a JSON object holding one array of records', () => {
    const ds = parseDataFile('wrapped.json', fixture('wrapped.json'));
    expect(ds.format).toBe('prompt-completion');
    expect(ds.records.map((r) => r.completion)).toEqual([' world', ' morning']);
  });

  it('reads a single record object, and a record with an array field is not mistaken for a wrapper', () => {
    const ds = parseDataFile('one.json', '{"text": "solo", "tags": ["a", "b"]}');
    expect(ds.records).toEqual([{ prompt: '', completion: 'solo' }]);
  });

  it('reads plain text by blocks (default) or by lines, locating each at its first line', () => {
    const blocks = parseDataFile('docs.txt', fixture('docs.txt'));
    expect(blocks.format).toBe('text');
    expect(blocks.container).toBe('txt');
    expect(blocks.records.map((r) => r.completion)).toEqual([
      'First paragraph,\non two lines.',
      'Second paragraph.',
      'Third paragraph',
    ]);
    const lines = parseDataFile('docs.txt', fixture('docs.txt'), { txtMode: 'lines' });
    expect(lines.records.map((r) => r.completion)).toEqual([
      'First paragraph,',
      'on two lines.',
      'Second paragraph.',
      'Third paragraph',
    ]);
  });

  it('sniffs JSON Lines in a file with another extension, and a .json file that is really JSON Lines', () => {
    expect(parseDataFile('data.txt', fixture('text.jsonl')).container).toBe('jsonl');
    expect(parseDataFile('data', fixture('text.jsonl')).format).toBe('text');
    const ds = parseDataFile('data.json', fixture('prompt-completion.jsonl'));
    expect(ds.container).toBe('jsonl');
    expect(ds.records).toHaveLength(2);
  });

  it('lets opts.format override detection (and reports every record that does not fit)', () => {
    const text = '{"text": "a", "prompt": "p", "completion": "c"}\n{"text": "b"}\n{"text": "c"}\n';
    expect(parseDataFile('x.jsonl', text).format).toBe('text');
    const ds = parseDataFile('x.jsonl', text, { format: 'prompt-completion' });
    expect(ds.format).toBe('prompt-completion');
    expect(ds.records).toEqual([{ prompt: 'p', completion: 'c' }]);
    expect(ds.errors).toEqual([
      { line: 2, reason: 'missing field prompt; missing field completion' },
      { line: 3, reason: 'missing field prompt; missing field completion' },
    ]);
  });

  it('detects by majority, not by the first record alone', () => {
    const text = ['{"text": "odd one"}', ...[1, 2, 3].map((i) => `{"prompt": "p${i}", "completion": "c${i}"}`)].join('\n');
    const ds = parseDataFile('m.jsonl', text);
    expect(ds.format).toBe('prompt-completion');
    expect(ds.errors).toEqual([{ line: 1, reason: 'missing field prompt; missing field completion' }]);
  });
});

describe('located errors', () => {
  it('reports each bad JSON Lines record at its line and keeps the good ones', () => {
    const ds = parseDataFile('bad.jsonl', fixture('malformed.jsonl'));
    expect(ds.format).toBe('alpaca');
    expect(ds.records.map((r) => r.completion)).toEqual(['Fine.', 'Also fine.']);
    expect(ds.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
    const [bad, notObj, missing, wrongType, empty] = ds.errors.map((e) => e.reason);
    expect(bad).toBe('invalid JSON: unexpected end of input at column 55');
    expect(notObj).toBe('not a JSON object (found an array)');
    expect(missing).toBe('missing field output');
    expect(wrongType).toBe('field instruction must be a string (found number)');
    expect(empty).toBe('empty output');
    expect(ds.total).toBe(ds.records.length + ds.errors.length);
    expect(ds.total).toBe(7);
  });

  it('locates JSON array records by 1-based index', () => {
    const ds = parseDataFile('bad.json', fixture('malformed.json'));
    expect(ds.records.map((r) => r.prompt)).toEqual(['a', 'e']);
    expect(ds.errors).toEqual([
      { line: 2, reason: 'not a JSON object (found a string)' },
      { line: 3, reason: 'empty completion' },
      { line: 4, reason: 'missing field completion' },
    ]);
    expect(ds.total).toBe(5);
  });
});

describe('whole-file problems', () => {
  it('strips a UTF-8 BOM and accepts CRLF line ends', () => {
    const crlf = '\uFEFF' + fixture('malformed.jsonl').replace(/\r?\n/g, '\r\n');
    const ds = parseDataFile('bad.jsonl', crlf);
    expect(ds.records.map((r) => r.completion)).toEqual(['Fine.', 'Also fine.']);
    expect(ds.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
    expect(ds.records[0].prompt).not.toContain('\r');

    const json = parseDataFile('a.json', '\uFEFF' + fixture('alpaca.json').replace(/\n/g, '\r\n'));
    expect(json.records).toHaveLength(3);
    const txt = parseDataFile('d.txt', '\uFEFF' + fixture('docs.txt').replace(/\n/g, '\r\n'));
    expect(txt.records.map((r) => r.completion)).toEqual([
      'First paragraph,\non two lines.',
      'Second paragraph.',
      'Third paragraph',
    ]);
  });

  it('rejects an empty file', () => {
    expect(() => parseDataFile('e.jsonl', '')).toThrow('The file is empty');
    expect(() => parseDataFile('e.txt', '\uFEFF  \r\n\n')).toThrow('The file is empty');
    expect(() => parseDataFile('e.json', '[]')).toThrow('The file holds no records');
  });

  it('rejects binary data', () => {
    // A PNG-like header and random bytes, decoded as UTF-8 the way File.text() does.
    const bytes = new Uint8Array(512);
    let s = 7;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    expect(() => parseDataBytes('image.jsonl', bytes)).toThrow(
      'This does not look like a text file (found binary data)',
    );
    // UTF-16 text: every other byte is NUL.
    const utf16 = new Uint8Array(Buffer.from('{"text": "hello"}\n', 'utf16le'));
    expect(() => parseDataBytes('u.jsonl', utf16)).toThrow(/binary data.*UTF-16/);
    // A stray replacement character in real text is fine.
    expect(parseDataFile('ok.jsonl', '{"text": "caf\uFFFD au lait"}').records).toHaveLength(1);
  });

  it('names the fields of an unknown format', () => {
    expect(() => parseDataFile('u.jsonl', fixture('unknown.jsonl'))).toThrow(
      'No records in a format the studio knows: expected fields text, instruction/output, or prompt/completion; ' +
        'first record has fields a, b',
    );
  });

  it('throws with the first problems when no record is valid', () => {
    expect(() => parseDataFile('x.jsonl', '{"text": ""}\n{"text": 3}\n')).toThrow(
      'No valid records for format text (2 seen): line 1: empty text; line 2: field text must be a string (found number)',
    );
    expect(() => parseDataFile('x.jsonl', 'nope\n[1]\n', { format: 'text' })).toThrow(/^No usable records/);
  });

  it('reports an invalid JSON file with a line number', () => {
    expect(() => parseDataFile('x.json', '[\n {"text": "a"},\n {"text": }\n]')).toThrow(
      'The file is not valid JSON: unexpected "}" at line 3, column 11',
    );
  });
});

describe('real data files (LLaMA-Factory demos)', () => {
  const read = (name: string) => fs.readFileSync(shared(name), 'utf8');

  it('alpaca_en_demo.json: Alpaca, 999 records', () => {
    const ds = parseDataFile('alpaca_en_demo.json', read('alpaca_en_demo.json'));
    expect(ds.format).toBe('alpaca');
    expect(ds.records).toHaveLength(999);
    expect(ds.errors).toEqual([]);
    expect(ds.records[0].prompt).toContain('### Instruction:\nDescribe a process of making crepes.');
    expect(ds.records[0].completion).toMatch(/^Making crepes is an easy/);
  });

  it('c4_demo.jsonl: text, 300 records', () => {
    const ds = parseDataFile('c4_demo.jsonl', read('c4_demo.jsonl'));
    expect(ds.format).toBe('text');
    expect(ds.records).toHaveLength(300);
    expect(ds.errors).toEqual([]);
    expect(ds.records.every((r) => r.prompt === '')).toBe(true);
  });

  it('wiki_demo.txt by lines: text, one record per non-empty line (30)', () => {
    const text = read('wiki_demo.txt');
    const nonEmpty = text.split(/\r?\n/).filter((l) => l.trim() !== '').length;
    expect(nonEmpty).toBe(30);
    const ds = parseDataFile('wiki_demo.txt', text, { txtMode: 'lines' });
    expect(ds.format).toBe('text');
    expect(ds.records).toHaveLength(30);
    expect(ds.records[0].completion).toMatch(/^Anarchism is a political philosophy/);
    // The file has no blank lines, so by blocks it is one document.
    expect(parseDataFile('wiki_demo.txt', text).records).toHaveLength(1);
  });

  it('dpo_en_demo.json: a preference set is refused, naming its fields', () => {
    const text = read('dpo_en_demo.json');
    expect(() => parseDataFile('dpo_en_demo.json', text)).toThrow(
      /format the studio knows.*first record has fields conversations, chosen, rejected.*preference \(DPO\)/,
    );
  });
});
