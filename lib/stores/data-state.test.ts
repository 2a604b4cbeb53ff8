// The Data step's pure helpers: column-mapping text and the worker settings the state produces.
import { describe, expect, it } from 'vitest';
import { initialData, mappingText, parseMappingText, prepareSettings, tokenizerUrlOf } from './data-state';

describe('parseMappingText', () => {
  it.each([
    ['instruction=question, output=answer', { mapping: { instruction: 'question', output: 'answer' } }],
    ['  ', { mapping: undefined }],
    ['messages = dialog', { mapping: { messages: 'dialog' } }],
  ])('%s', (text, want) => {
    expect(parseMappingText(text)).toEqual(want);
  });

  it('says what is wrong with a bad pair', () => {
    expect(parseMappingText('instruction')).toMatchObject({ error: expect.stringMatching(/field=column/) });
    expect(parseMappingText('question=instruction')).toMatchObject({ error: expect.stringMatching(/"question" is not a field/) });
  });

  it('round-trips through mappingText', () => {
    const m = { prompt: 'q', completion: 'a' };
    expect(parseMappingText(mappingText(m))).toEqual({ mapping: m });
  });
});

describe('prepareSettings', () => {
  it('is null until a file is ready, then carries percentages as ratios', () => {
    const d = initialData(10);
    expect(prepareSettings(d, '/m/', 64, 1)).toBeNull();
    const ready = { ...d, status: 'ready' as const, summary: { fileName: 'a.jsonl', container: 'jsonl' as const, shape: 'chat' as const, total: 1, valid: 1, issues: [], issueCounts: {} } };
    expect(prepareSettings(ready, '/m/', 64, 7)).toMatchObject({ tokenizerUrl: '/m/', seqLen: 64, split: { validation: 0.1, test: 0, seed: 7 }, useValidationFile: false });
    expect(prepareSettings(ready, null, 64, 7)).toBeNull();
  });

  it('finds the tokenizer folder of each model source', () => {
    expect(tokenizerUrlOf({ kind: 'url', name: 'm', baseUrl: '/models/m/' })).toBe('/models/m/');
    expect(tokenizerUrlOf({ kind: 'tiny-random', name: 't', tokenizerUrl: '/models/d/', seed: 0 })).toBe('/models/d/');
  });
});
