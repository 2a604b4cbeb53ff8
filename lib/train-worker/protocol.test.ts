// The worker's request schema: Hub and local-files loads and cancel-load; start with the older {prompt, completion}
// records or the data studio's Conversations and a template. Malformed requests are refused before the session.
import { describe, expect, it } from 'vitest';
import { parseRequest } from './protocol';
import { defaultTrainConfig } from '../engine/defaults';

const load = (model: unknown) => ({ type: 'load', model, backend: 'auto', allowFallbackAdapter: false });

describe('load requests', () => {
  it('accepts Hub and local-files sources and cancel-load', () => {
    expect(parseRequest(load({ kind: 'hub', id: 'openai-community/gpt2', baseUrl: 'https://huggingface.co' }))).toMatchObject({ model: { kind: 'hub' } });
    const buf = new ArrayBuffer(4);
    const req = parseRequest(load({ kind: 'files', name: 'm', files: { 'm/config.json': buf } }));
    expect(req.type === 'load' && req.model.kind === 'files' && req.model.files['m/config.json']).toBe(buf);
    expect(parseRequest({ type: 'cancel-load' })).toEqual({ type: 'cancel-load' });
  });

  it.each([
    ['a Hub source without a URL', { kind: 'hub', id: 'gpt2', baseUrl: 'not a url' }],
    ['a Hub source without an id', { kind: 'hub', id: '', baseUrl: 'https://huggingface.co' }],
    ['files that are not buffers', { kind: 'files', name: 'm', files: { 'config.json': 'text' } }],
  ])('refuses %s', (_name, model) => {
    expect(() => parseRequest(load(model))).toThrow();
  });
});

const start = (extra: object = {}) => ({ type: 'start-examples', train: [{ ids: [1, 2], mask: [0, 1] }], validation: [], config: defaultTrainConfig('lora'), truncated: 0, droppedNoLoss: 0, ...extra });

describe('start-examples request', () => {
  it('carries the run id and an adapter to continue', () => {
    const req = parseRequest(start({ runId: 'r1', fromAdapter: 'a1' }));
    expect(req.type === 'start-examples' && [req.runId, req.fromAdapter]).toEqual(['r1', 'a1']);
  });

  it('refuses records the Data step did not encode, and the old start request', () => {
    expect(() => parseRequest(start({ train: [{ prompt: 'P', completion: 'C' }] }))).toThrow();
    expect(() => parseRequest({ type: 'start', train: [{ prompt: 'P', completion: 'C' }], validation: [], config: defaultTrainConfig('lora') })).toThrow();
  });

  it('carries the optional packing switch and refuses a non-boolean one', () => {
    const withPacking = (packing: unknown) => start({ config: { ...defaultTrainConfig('lora'), packing } });
    const req = parseRequest(withPacking(true));
    expect(req.type === 'start-examples' && req.config.packing).toBe(true);
    expect(() => parseRequest(withPacking('yes'))).toThrow();
    const plain = parseRequest(start());
    expect(plain.type === 'start-examples' && plain.config.packing).toBeUndefined();
  });
});

describe('playground requests', () => {
  const sampling = { maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0, stop: [] };
  it('checks generate settings', () => {
    expect(parseRequest({ type: 'generate', id: 1, prompt: 'Hi', chat: false, sampling, targets: [{ key: 'base', adapter: null }] }).type).toBe('generate');
    expect(() => parseRequest({ type: 'generate', id: 1, prompt: 'Hi', chat: false, sampling: { ...sampling, topP: 0 }, targets: [{ key: 'base', adapter: null }] })).toThrow();
    expect(() => parseRequest({ type: 'generate', id: 1, prompt: 'Hi', chat: false, sampling, targets: [] })).toThrow();
  });
});
