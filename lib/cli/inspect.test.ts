// `cli inspect` and `cli train` over the new data formats: one JSON object with located errors and token
// figures from the demo model, and training on chat and preference data through templates.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inspectFile } from './inspect';
import { tinyConfig } from '../engine/test-fixtures';
import { events, root, runCli as cli, tinyModelDir } from './test-cli';

const fixture = (name: string) => join(root, 'lib/data/fixtures/studio', name);
const demo = join(root, 'public/models/webtune-demo');

describe('cli inspect', () => {
  it('prints one JSON object with every invalid record located and classified', async () => {
    const r = await cli(['inspect', fixture('errors.jsonl'), '--model', demo, '--seq-len', '16', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ format: 'chat', records: 10, valid: 2, invalid: 8, duplicates: 0, truncated: 2, template: 'chatml' });
    expect(out.errors.map((e: { line: number; class: string }) => [e.line, e.class])).toEqual([
      [2, 'invalid_json'], [3, 'not_object'], [4, 'missing_field'], [5, 'wrong_type'],
      [6, 'unknown_role'], [7, 'empty_content'], [8, 'no_assistant_turn'], [9, 'not_alternating'],
    ]);
    expect(out.tokens.total).toBe(out.tokens.mean * 2);
  });

  it('reads the real preference file and counts its duplicates; without a model there are no token figures', async () => {
    const out = await inspectFile([join(root, '../shared/data/dpo_en_demo.json'), '--json']);
    expect(out).toMatchObject({ format: 'preference', container: 'json', records: 300, valid: 300, invalid: 0, duplicates: 5, tokens: null, truncated: null });
  });

  it('reads an entry of dataset_info.json its way (wiki_demo: one record per line)', async () => {
    const info = join(root, '../shared/data/dataset_info.json');
    expect(await inspectFile([info, '--entry', 'wiki_demo'])).toMatchObject({ format: 'text', container: 'txt', records: 30, valid: 30 });
    await expect(inspectFile([info, '--entry', 'nope'])).rejects.toThrow(/No entry "nope" in .*dataset_info.json; it has identity, /);
  });

  it('overrides the format and counts near duplicates on request', async () => {
    const out = await inspectFile([fixture('pc.csv'), '--format', 'prompt-completion', '--near-dup', '0.9']);
    expect(out).toMatchObject({ format: 'prompt-completion', container: 'csv', records: 3, valid: 2, nearDuplicates: 0 });
    await expect(inspectFile([fixture('pc.csv'), '--format', 'dpo'])).rejects.toThrow(/--format must be one of auto, text, alpaca/);
  });
});

describe('cli train on chat and preference data', () => {
  it('trains on ShareGPT chat and on preference pairs (chosen answers)', async () => {
    const { dir, model } = tinyModelDir('webtune-cli-data-', tinyConfig({ n_positions: 512 }));
    for (const data of [fixture('sharegpt.json'), fixture('preference.jsonl')]) {
      const valData = data.endsWith('.json') ? ['--val-data', fixture('errors.jsonl')] : [];
      const r = await cli(['train', '--model', model, '--data', data, ...valData, '--steps', '2', '--batch', '2', '--seq-len', '512', '--lora-r', '2', '--out', join(dir, 'out'), '--json']);
      expect(r.code).toBe(0);
      const ev = events(r.stdout);
      expect(ev[0]).toMatchObject({ event: 'data', invalid: 0, droppedNoLoss: 0, validationExamples: valData.length ? 2 : 0, validationInvalid: valData.length ? 8 : 0 });
      expect(ev.at(-1)).toMatchObject({ event: 'done', steps: 2 });
    }
  }, 120_000);
});
