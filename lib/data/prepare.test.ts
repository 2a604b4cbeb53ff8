// One data preparation path: the studio's data worker (DataSession) and `cli train` (readDataFile -> prepareRecords
// -> encodeConversations, as lib/cli/train.ts runs them) give the same training and validation examples for the
// same file and seed; and the Data step's form starts from the cleaning the CLI applies.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataSession, type Loaded } from '../data-worker/session';
import type { DataEvent, PrepareSettings } from '../data-worker/protocol';
import { HfTokenizer } from '../engine/tokenizer';
import { DEFAULT_CLEAN } from '../stores/data-state';
import { readDataFile } from '../cli/data-args';
import { runCliOk } from '../cli/test-cli';
import { chooseTemplate } from './chat-template';
import { encodeConversations } from './encode-chat';
import { DEFAULT_CLEAN_OPTIONS, prepareRecords } from './prepare';

const DEMO = path.resolve(import.meta.dirname, '../../public/models/webtune-demo');
const read = (f: string) => JSON.parse(readFileSync(path.join(DEMO, f), 'utf8'));
const loaded: Loaded = { tokenizer: new HfTokenizer(read('tokenizer.json'), read('tokenizer_config.json')), config: read('tokenizer_config.json') };

// 60 records with 14 exact duplicates, so cleaning changes what the split sees.
const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ instruction: `Add ${i % 45} and 2.`, output: i === 7 ? ' ' : `${(i % 45) + 2}` }));

describe('prepareRecords', () => {
  it('the data worker and cli train give the same examples for the same file and seed', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'webtune-prep-')), 'sums.jsonl');
    writeFileSync(file, lines.join('\n'));
    const seed = 1234;
    const settings: PrepareSettings = {
      tokenizerUrl: 'demo', template: 'auto', trainOnAll: false, seqLen: 64, clean: DEFAULT_CLEAN,
      split: { validation: 0.2, test: 0, seed }, useValidationFile: false, tokensPerSec: 0,
    };
    const events: DataEvent[] = [];
    const s = new DataSession((e) => events.push(e), async () => loaded);
    await s.parse(1, 'main', new Blob([readFileSync(file)]), 'sums.jsonl', { shape: 'auto', txtMode: 'blocks' });
    await s.encode(2, settings);
    const studio = events.find((e) => e.type === 'encoded');
    if (studio?.type !== 'encoded') throw new Error(`no encoded event: ${JSON.stringify(events.at(-1))}`);

    // The CLI's steps (lib/cli/train.ts): read, prepare with the default cleaning and cfg.seed, encode.
    const data = await readDataFile(file, 'auto');
    const { cleaned, parts } = prepareRecords(data.records, DEFAULT_CLEAN_OPTIONS, { validation: 0.2, test: 0, seed }, null);
    expect(cleaned.removed.length).toBe(14); // lines 46-60 repeat 1-15, except the twin of line 8, whose answer differs
    const template = chooseTemplate('auto', loaded.config, data.shape);
    const train = encodeConversations(loaded.tokenizer, parts.train, { template, seqLen: 64 }).examples;
    const validation = encodeConversations(loaded.tokenizer, parts.validation, { template, seqLen: 64 }).examples;
    expect(validation.length).toBeGreaterThan(0);
    expect(studio.train).toEqual(train);
    expect(studio.validation).toEqual(validation);

    // And the command itself reports the same parts.
    const cli = await runCliOk(['train', '--model', DEMO, '--data', file,
      '--val-ratio', '0.2', '--seed', String(seed), '--seq-len', '64', '--steps', '1', '--batch', '2', '--out', path.join(path.dirname(file), 'out'), '--json']);
    const event = JSON.parse(cli.split('\n')[0]);
    expect(event).toMatchObject({ event: 'data', removedByCleaning: 14, trainExamples: studio.train.length, validationExamples: studio.validation.length });
  }, 60_000);

  it('the Data step form starts from the cleaning cli train applies', () => {
    expect({ normalize: DEFAULT_CLEAN.normalize, dropEmpty: DEFAULT_CLEAN.dropEmpty, dedupe: DEFAULT_CLEAN.dedupe, nearDuplicates: DEFAULT_CLEAN.nearDuplicates })
      .toEqual(DEFAULT_CLEAN_OPTIONS);
    expect(DEFAULT_CLEAN.maxTokens).toBeNull();
  });
});
