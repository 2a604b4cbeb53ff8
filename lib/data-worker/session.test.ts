// DataSession over the demo model's real tokenizer: a JSONL file with bad records streamed from a Blob,
// the report (cleaning counts, split, statistics), the preview's loss tokens, and encoded examples.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenExample } from '../data/types';
import { describe, expect, it } from 'vitest';
import { DataSession, type Loaded } from './session';
import type { DataEvent, ParseOptions, PrepareSettings } from './protocol';
import { HfTokenizer } from '../engine/tokenizer';

const DEMO = path.resolve(import.meta.dirname, '../../public/models/webtune-demo');
const loadDemo = async (): Promise<Loaded> => {
  const read = (f: string) => JSON.parse(readFileSync(path.join(DEMO, f), 'utf8'));
  const config = read('tokenizer_config.json');
  return { tokenizer: new HfTokenizer(read('tokenizer.json'), config), config };
};

const chat = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
const FILE = [
  chat('What is the capital of France?', 'The capital of France is Paris.'),
  '[1, 2, 3]',
  chat('Say hello.', 'Hello there.'),
  chat('Say hello.', 'Hello there.'), // exact duplicate of line 3
  chat('Count to three.', 'One, two, three.'),
  chat('Name a colour.', 'Blue.'),
].join('\n');

const OPTIONS: ParseOptions = { shape: 'auto', txtMode: 'blocks' };
const SETTINGS: PrepareSettings = {
  tokenizerUrl: '/models/webtune-demo/',
  template: 'auto',
  trainOnAll: false,
  seqLen: 64,
  clean: { normalize: true, dropEmpty: true, dedupe: true, nearDuplicates: false, nearThreshold: 0.8, maxTokens: null, lengthAction: 'truncate' },
  split: { validation: 0.25, test: 0, seed: 42 },
  useValidationFile: false,
  tokensPerSec: 100,
};

function session() {
  const events: DataEvent[] = [];
  return { events, s: new DataSession((e) => events.push(e), loadDemo) };
}

describe('DataSession', () => {
  it('streams a JSONL blob with progress and locates the bad record', async () => {
    const { events, s } = session();
    await s.parse(1, 'main', new Blob([FILE]), 'chat.jsonl', OPTIONS);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ loaded: FILE.length, total: FILE.length });
    const parsed = events.find((e) => e.type === 'parsed');
    if (parsed?.type !== 'parsed') throw new Error('no parsed event');
    expect(parsed.summary).toMatchObject({ shape: 'chat', total: 6, valid: 5, issueCounts: { not_object: 1 } });
    expect(parsed.summary.issues[0]).toMatchObject({ line: 2, class: 'not_object' });
  });

  it('reports cleaning, split and statistics, previews loss tokens and encodes the training part', async () => {
    const { events, s } = session();
    await s.parse(1, 'main', new Blob([FILE]), 'chat.jsonl', OPTIONS);
    await s.prepare(2, SETTINGS);
    const prepared = events.find((e) => e.type === 'prepared');
    if (prepared?.type !== 'prepared') throw new Error('no report');
    const r = prepared.report;
    expect(r.template).toBe('chatml');
    expect(r.clean.removedCounts.duplicate).toBe(1);
    expect(r.removed[0]).toMatchObject({ step: 'duplicate', line: 4, keptLine: 3 });
    expect(r.split).toEqual({ train: 3, validation: 1, test: 0, fromFile: false });
    expect(r.stats.records).toBe(4);
    expect(r.stats.estimate?.seconds).toBeGreaterThan(0);
    expect(r.packing.examples).toBe(3);

    // With room for several examples per row, packing fills rows and removes padding.
    await s.prepare(5, { ...SETTINGS, seqLen: 512 });
    const wide = events.filter((e) => e.type === 'prepared').at(-1);
    if (wide?.type !== 'prepared') throw new Error('no report');
    expect(wide.report.packing.rows).toBe(1);
    expect(wide.report.packing.paddingAfter).toBeLessThan(wide.report.packing.paddingBefore);
    expect(wide.report.stats.truncated).toBe(0);
    expect(wide.report.stats.tooLong).toEqual([]);

    // A sequence length shorter than every record: each one is listed, located, as too long.
    await s.prepare(6, { ...SETTINGS, seqLen: 8 });
    const short = events.filter((e) => e.type === 'prepared').at(-1);
    if (short?.type !== 'prepared') throw new Error('no report');
    expect(short.report.stats.truncated).toBe(short.report.stats.records);
    expect(short.report.stats.tooLong).toHaveLength(short.report.stats.records);
    expect(short.report.stats.tooLong[0]).toMatchObject({ class: 'too_long', line: 1 });
    expect(short.report.stats.tooLong[0].reason).toMatch(/longer than the sequence length 8/);

    await s.preview(3, 0, SETTINGS);
    const pv = events.find((e) => e.type === 'preview');
    if (pv?.type !== 'preview') throw new Error('no preview');
    const learned = pv.preview.tokens.filter((t) => t.carriesLoss).map((t) => t.text).join('');
    const masked = pv.preview.tokens.filter((t) => !t.carriesLoss).map((t) => t.text).join('');
    expect(learned).toContain('The capital of France is Paris.');
    expect(masked).toContain('What is the capital of France?');

    await s.encode(4, SETTINGS);
    const enc = events.find((e) => e.type === 'encoded');
    if (enc?.type !== 'encoded') throw new Error('no encoded');
    expect(enc.train).toHaveLength(3);
    expect(enc.validation).toHaveLength(1);
    for (const ex of enc.train as TokenExample[]) {
      expect(ex.ids.length).toBe(ex.mask.length);
      expect(ex.ids.length).toBeLessThanOrEqual(64);
      expect(ex.mask).toContain(1);
    }
  });

  it('a second report over the same records reuses the encodings', async () => {
    const { events, s } = session();
    const many = Array.from({ length: 2000 }, (_, i) => chat(`Question ${i}: what is ${i} plus one?`, `It is ${i + 1}.`)).join('\n');
    await s.parse(1, 'main', new Blob([many]), 'many.jsonl', OPTIONS);
    let t = performance.now();
    await s.prepare(2, SETTINGS);
    const first = performance.now() - t;
    t = performance.now();
    await s.prepare(3, { ...SETTINGS, split: { ...SETTINGS.split, validation: 0.5 } });
    const second = performance.now() - t;
    const reports = events.filter((e) => e.type === 'prepared');
    if (reports[0]?.type !== 'prepared' || reports[1]?.type !== 'prepared') throw new Error('no reports');
    expect(reports[1].report.stats).toEqual(reports[0].report.stats); // same tokens either way
    expect(reports[1].report.split.validation).toBe(1000);
    console.log(`2,000 records: first report ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms`);
  });

  it('says what to do when asked before a file is loaded', async () => {
    const { s } = session();
    await expect(s.prepare(1, SETTINGS)).rejects.toThrow(/Load a data file first/);
  });
});
