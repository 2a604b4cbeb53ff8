// Tests for parseDataset: every layout and record shape from small fixtures and LLaMA-Factory's real demo
// files, one fixture line per issue class, and whole-file problems (BOM, CRLF, binary, empty).
// Counts of the real files were checked independently with python3 (json.load / line counts).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseDataset, parseDatasetText } from './dataset';
import { datasetInfoOptions, readDatasetInfo } from './dataset-info';
import { arrayElementLines } from './read';

const fixturePath = (name: string) => path.resolve(__dirname, 'fixtures/studio', name);
const bytesOf = (p: string) => new Uint8Array(fs.readFileSync(p));
const fixture = (name: string, opts = {}) => parseDataset(name, bytesOf(fixturePath(name)), opts);
const shared = (name: string) => path.resolve(__dirname, '../../../shared/data', name);

describe('layouts', () => {
  it('reads Parquet written by an independent writer (parquetjs-lite), snappy and plain columns', async () => {
    const ds = await fixture('alpaca.parquet');
    expect([ds.container, ds.shape, ds.total, ds.issues]).toEqual(['parquet', 'alpaca', 3, []]);
    expect(ds.records.map((r) => r.turns)).toEqual([
      [{ role: 'user', content: 'Add the numbers.', input: '2 and 3' }, { role: 'assistant', content: '5' }],
      [{ role: 'user', content: 'Name a colour.' }, { role: 'assistant', content: 'Red.' }],
      [{ role: 'user', content: 'Say hi in French.' }, { role: 'assistant', content: 'Bonjour !' }],
    ]);
    expect(ds.records.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('reads CSV with a quoted multi-line field, locating rows at their first line', async () => {
    const ds = await fixture('pc.csv');
    expect([ds.container, ds.shape, ds.total]).toEqual(['csv', 'prompt-completion', 3]);
    expect(ds.records.map((r) => [r.line, r.kind, r.turns[0].content, r.turns[1].content])).toEqual([
      [2, 'completion', 'Q: capital of France?\nA:', ' Paris'],
      [4, 'completion', 'Q: 2+2?', '4, of course'],
    ]);
    expect(ds.issues).toEqual([{ line: 6, class: 'missing_field', reason: expect.stringMatching(/^row has 1 fields but the header names 2/) }]);
  });

  it('reads CSV with a BOM and CRLF line ends the same way', async () => {
    const crlf = '\uFEFF' + fs.readFileSync(fixturePath('pc.csv'), 'utf8').replace(/\n/g, '\r\n');
    const ds = parseDatasetText('pc.csv', crlf);
    expect(ds.records.map((r) => [r.line, r.turns[0].content, r.turns[1].content])).toEqual([
      [2, 'Q: capital of France?\r\nA:', ' Paris'],
      [4, 'Q: 2+2?', '4, of course'],
    ]);
    expect(ds.issues.map((i) => i.line)).toEqual([6]);
  });

  it('reads TSV through a column mapping', async () => {
    const ds = await fixture('mapped.tsv', { mapping: { instruction: 'question', output: 'answer', input: 'context' } });
    expect([ds.container, ds.shape]).toEqual(['tsv', 'alpaca']);
    expect(ds.records.map((r) => r.turns[0])).toEqual([{ role: 'user', content: 'Name a colour.' }, { role: 'user', content: 'Add them.', input: '2 and 3' }]);
    await expect(fixture('mapped.tsv')).rejects.toThrow(/first record has fields question, answer, context: map them/);
  });

  it('locates JSON array elements at the line they start on', () => {
    expect(arrayElementLines('[\n {"a": "[x,"},\n\n {"b": [1, {"c": 2}]},\n 3\n]')).toEqual([2, 4, 5]);
    expect(arrayElementLines('{"data": []}')).toEqual([]);
  });

  it('reads plain text by blocks or by lines', () => {
    const text = 'First block\nstill first\n\nSecond\n';
    expect(parseDatasetText('d.txt', text).records.map((r) => [r.line, r.turns[0].content])).toEqual([[1, 'First block\nstill first'], [4, 'Second']]);
    expect(parseDatasetText('d.txt', text, { txtMode: 'lines' }).records).toHaveLength(3);
  });
});

describe('record shapes', () => {
  it('reads ShareGPT with system, function_call, observation and a tools column', async () => {
    const ds = await fixture('sharegpt.json');
    expect([ds.shape, ds.total, ds.issues.length]).toEqual(['chat', 2, 0]);
    expect(ds.records[0].turns.map((t) => t.role)).toEqual(['system', 'user', 'function_call', 'observation', 'assistant']);
    expect(JSON.parse(ds.records[0].tools!)[0].name).toBe('weather');
    expect(ds.records.map((r) => r.line)).toEqual([2, 12]);
  });

  it('reads Alpaca with system and history as a multi-turn conversation', async () => {
    const ds = await fixture('alpaca-history.json');
    expect(ds.records[0].turns).toEqual([
      { role: 'system', content: 'You are a calculator.' },
      { role: 'user', content: '1+1?' },
      { role: 'assistant', content: '2' },
      { role: 'user', content: 'And times three?' },
      { role: 'assistant', content: '6' },
    ]);
  });

  it('reads preference pairs: TRL strings (raw) and conversational lists', async () => {
    const ds = await fixture('preference.jsonl');
    expect(ds.shape).toBe('preference');
    expect(ds.records[0]).toEqual({ kind: 'completion', line: 1, turns: [{ role: 'user', content: 'The sky is' }, { role: 'assistant', content: ' blue.' }], rejected: { role: 'assistant', content: ' green.' } });
    expect(ds.records[1]).toMatchObject({ kind: 'chat', turns: [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hi!' }], rejected: { content: 'No.' } });
  });

  it('lets the caller override the detected shape', () => {
    const text = '{"text": "a", "prompt": "p", "completion": "c"}\n{"text": "b"}\n{"text": "c"}\n';
    expect(parseDatasetText('x.jsonl', text).shape).toBe('text');
    const ds = parseDatasetText('x.jsonl', text, { shape: 'prompt-completion' });
    expect(ds.records).toHaveLength(1);
    expect(ds.issues.map((i) => [i.line, i.class, i.reason])).toEqual([
      [2, 'missing_field', 'missing field "prompt"'],
      [3, 'missing_field', 'missing field "prompt"'],
    ]);
  });
});

describe('issue classes, one fixture line each', () => {
  it('classifies and locates every bad record, and drops nothing silently', async () => {
    const ds = await fixture('errors.jsonl');
    expect(ds.shape).toBe('chat');
    expect(ds.issues.map((i) => [i.line, i.class])).toEqual([
      [2, 'invalid_json'],
      [3, 'not_object'],
      [4, 'missing_field'],
      [5, 'wrong_type'],
      [6, 'unknown_role'],
      [7, 'empty_content'],
      [8, 'no_assistant_turn'],
      [9, 'not_alternating'],
    ]);
    expect(ds.records.map((r) => r.line)).toEqual([1, 11]); // line 10 is blank
    expect(ds.total).toBe(ds.records.length + ds.issues.length);
    expect(ds.issues[4].reason).toMatch(/unknown role "wizard"; expected one of system, user/);
  });
});

describe('whole-file problems', () => {
  it('strips a UTF-8 BOM and reads CRLF line ends', async () => {
    const ds = await fixture('bom-crlf.jsonl');
    expect(ds.records.map((r) => r.turns[0].content)).toEqual(['café one', 'two']);
  });

  it('refuses an empty file and a binary file, saying what to do', async () => {
    await expect(parseDataset('e.jsonl', new Uint8Array(0))).rejects.toThrow('The file is empty: choose a file with at least one record');
    await expect(parseDataset('e.csv', new TextEncoder().encode('\uFEFF\r\n'))).rejects.toThrow(/The file is empty/);
    const png = new Uint8Array(256).map((_, i) => (i * 97 + 13) & 0xff);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    await expect(parseDataset('image.jsonl', png)).rejects.toThrow('This does not look like a text file (found binary data)');
    await expect(parseDataset('x.parquet', new TextEncoder().encode('not parquet at all'))).rejects.toThrow(/Cannot read this Parquet file/);
    await expect(parseDataset('x.parquet', new Uint8Array(0))).rejects.toThrow(/The file is empty/);
  });

  it('names the fields of an unknown shape and suggests a mapping', () => {
    expect(() => parseDatasetText('u.jsonl', '{"a": 1, "b": 2}')).toThrow(/first record has fields a, b: map them/);
  });
});

describe('real data files (LLaMA-Factory demos)', () => {
  it.each([
    ['alpaca_en_demo.json', 'json', 'alpaca', 999],
    ['dpo_en_demo.json', 'json', 'preference', 300],
    ['c4_demo.jsonl', 'jsonl', 'text', 300],
  ])('%s: %s, %s, %i records, no issues', async (name, container, shape, n) => {
    const ds = await parseDataset(name, bytesOf(shared(name)));
    expect([ds.container, ds.shape, ds.total, ds.records.length, ds.issues]).toEqual([container, shape, n, n, []]);
  });

  it('dpo_en_demo.json: ShareGPT conversations + chosen/rejected; 80 start with a system turn', async () => {
    const ds = await parseDataset('dpo_en_demo.json', bytesOf(shared('dpo_en_demo.json')));
    expect(ds.records.filter((r) => r.turns[0].role === 'system')).toHaveLength(80);
    for (const r of ds.records) {
      expect(r.turns.at(-1)!.role).toBe('assistant');
      expect(r.rejected!.role).toBe('assistant');
    }
    expect(ds.records[0].line).toBe(2); // the array's first element starts on line 2
  });

  it('dataset_info.json entries give the options that read their files', async () => {
    const entries = readDatasetInfo(fs.readFileSync(shared('dataset_info.json'), 'utf8'));
    expect(entries).toHaveLength(104);
    const read = async (name: string) => {
      const o = datasetInfoOptions(entries.find((e) => e.name === name)!);
      return parseDataset(o.fileName, bytesOf(shared(o.fileName)), o);
    };
    expect((await read('wiki_demo')).records).toHaveLength(30); // non-empty lines
    expect((await read('c4_demo')).records).toHaveLength(300);
    const dpo = await read('dpo_en_demo');
    expect([dpo.shape, dpo.records.length]).toEqual(['preference', 300]);
    expect((await read('alpaca_en_demo')).records).toHaveLength(999);
    const hub = entries.find((e) => !e.fileName)!;
    expect(() => datasetInfoOptions(hub)).toThrow(/has no file_name/);
  });
});
