// The data worker's hand-off bundle: built from the records the Data step cleaned and split (same settings, same
// template), for each target; the bundle's data files hold exactly the split the report gives, as the target's rows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataSession, type Loaded } from './session';
import { parseDataRequest, type DataEvent, type HandoffJob, type PrepareSettings } from './protocol';
import { HfTokenizer } from '../engine/tokenizer';
import { parseModelConfig } from '../engine/model-config';
import { tinyTrainConfig } from '../engine/test-utils';

const DEMO = path.resolve(import.meta.dirname, '../../public/models/webtune-demo');
const read = (f: string) => JSON.parse(readFileSync(path.join(DEMO, f), 'utf8'));
const loadDemo = async (): Promise<Loaded> => {
  const config = read('tokenizer_config.json');
  return { tokenizer: new HfTokenizer(read('tokenizer.json'), config), config };
};

const chat = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
// 12 lines: one not a record, one exact duplicate, one empty answer; 9 records are left after cleaning.
const FILE = [
  ...Array.from({ length: 9 }, (_, i) => chat(`Question ${i}: what is ${i} times two?`, `It is ${2 * i}.`)),
  '[1, 2, 3]',
  chat('Question 3: what is 3 times two?', 'It is 6.'),
  chat('Say nothing.', ''),
].join('\n');

const SETTINGS: PrepareSettings = {
  tokenizerUrl: '/models/webtune-demo/',
  template: 'auto',
  trainOnAll: false,
  seqLen: 64,
  clean: { normalize: true, dropEmpty: true, dedupe: true, nearDuplicates: false, nearThreshold: 0.8, maxTokens: null, lengthAction: 'truncate' },
  split: { validation: 0.3, test: 0.1, seed: 7 },
  useValidationFile: false,
  tokensPerSec: 0,
};

const JOB: HandoffJob = {
  target: 'trl',
  baseModel: 'webtune/webtune-demo',
  modelConfig: parseModelConfig(read('config.json')),
  config: tinyTrainConfig({ seqLen: 64, lr: 2e-4, lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false } }),
  dataFile: 'chat.jsonl',
};

async function loaded() {
  const events: DataEvent[] = [];
  const transfers: Transferable[][] = [];
  const s = new DataSession((e, t) => {
    events.push(e);
    if (t) transfers.push(t);
  }, loadDemo);
  await s.parse(1, 'main', new Blob([FILE]), 'chat.jsonl', { shape: 'auto', txtMode: 'blocks' });
  await s.prepare(2, SETTINGS);
  const prepared = events.find((e) => e.type === 'prepared');
  if (prepared?.type !== 'prepared') throw new Error('no report');
  return { events, transfers, s, split: prepared.report.split };
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('DataSession.handoff', () => {
  it('zips the Data step split in each target format', async () => {
    const { events, transfers, s, split } = await loaded();
    expect(split).toMatchObject({ train: 5, validation: 3, test: 1 }); // 9 records after cleaning
    const cases: Record<HandoffJob['target'], { train: string; validation: string; rows: (t: string) => Record<string, unknown>[] }> = {
      trl: { train: 'data/train.jsonl', validation: 'data/validation.jsonl', rows: lines },
      axolotl: { train: 'data/train.jsonl', validation: 'data/validation.jsonl', rows: lines },
      llamafactory: { train: 'data/train.json', validation: 'data/validation.json', rows: (t) => JSON.parse(t) },
    };
    let id = 10;
    for (const [target, c] of Object.entries(cases) as [HandoffJob['target'], (typeof cases)['trl']][]) {
      // The request crosses the worker boundary through the same zod check the worker uses.
      const req = parseDataRequest({ type: 'handoff', id: ++id, settings: SETTINGS, job: { ...JOB, target } });
      if (req.type !== 'handoff') throw new Error('wrong request');
      await s.handoff(req.id, req.settings, req.job);
      const done = events.at(-1);
      if (done?.type !== 'handoff') throw new Error(`no bundle for ${target}`);
      expect(transfers.at(-1)).toEqual([done.bytes]); // the zip is transferred, not copied
      const stages = events.filter((e) => e.type === 'progress' && e.id === req.id);
      expect(stages.at(-1)).toMatchObject({ loaded: 3, total: 3 });
      const folder = `webtune-demo-lora-${target}`;
      expect(done.fileName).toBe(`${folder}.zip`);
      const zip = unzipSync(new Uint8Array(done.bytes));
      expect(Object.keys(zip).sort()).toEqual([...done.files].sort());
      const train = c.rows(strFromU8(zip[`${folder}/${c.train}`]));
      const validation = c.rows(strFromU8(zip[`${folder}/${c.validation}`]));
      expect(train).toHaveLength(split.train);
      expect(validation).toHaveLength(split.validation);
      expect({ train: done.train, validation: done.validation }).toEqual({ train: split.train, validation: split.validation });
      // The test share stays out of the bundle; train and validation are distinct cleaned records.
      const texts = [...train, ...validation].map((r) => JSON.stringify(r));
      expect(new Set(texts).size).toBe(split.train + split.validation);
      expect(texts.join('')).not.toContain('Say nothing.');
      const readme = strFromU8(zip[`${folder}/README.md`]);
      expect(readme).toContain(`${split.train} training and ${split.validation} validation records`);
      expect(readme).toContain('webtune/webtune-demo');
    }
    // The chat template the Data step chose (chatml for the demo tokenizer) is the one the config names.
    await s.handoff(20, SETTINGS, { ...JOB, target: 'axolotl' });
    const ax = events.at(-1);
    if (ax?.type !== 'handoff') throw new Error('no bundle');
    const yml = strFromU8(unzipSync(new Uint8Array(ax.bytes))['webtune-demo-lora-axolotl/config.yml']);
    expect(yml).toMatch(/^chat_template: chatml$/m);
  });

  it('follows the Data step settings: a larger validation share moves records out of train', async () => {
    const { events, s } = await loaded();
    const wide = { ...SETTINGS, split: { ...SETTINGS.split, validation: 0.5, test: 0 } };
    await s.prepare(3, wide);
    const report = events.filter((e) => e.type === 'prepared').at(-1);
    if (report?.type !== 'prepared') throw new Error('no report');
    await s.handoff(4, wide, JOB);
    const done = events.at(-1);
    if (done?.type !== 'handoff') throw new Error('no bundle');
    expect(done.train).toBe(report.report.split.train);
    const zip = unzipSync(new Uint8Array(done.bytes));
    expect(lines(strFromU8(zip['webtune-demo-lora-trl/data/train.jsonl']))).toHaveLength(report.report.split.train);
  });

  it('refuses a request with no data loaded, or without the model config', async () => {
    const empty = new DataSession(() => {}, loadDemo);
    await expect(empty.handoff(6, SETTINGS, JOB)).rejects.toThrow(/Load a data file first/);
    expect(() => parseDataRequest({ type: 'handoff', id: 7, settings: SETTINGS, job: { ...JOB, modelConfig: {} } })).toThrow(/model config/);
  });
});
