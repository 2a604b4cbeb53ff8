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

const start = (train: unknown[], extra: object = {}) => ({ type: 'start', train, validation: [], config: defaultTrainConfig('lora'), ...extra });

describe('start request', () => {
  it('accepts both record kinds and a template', () => {
    const chat = { kind: 'chat', line: 3, turns: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], rejected: { role: 'assistant', content: 'No' } };
    const req = parseRequest(start([{ prompt: 'P', completion: 'C' }, chat], { template: 'chatml', trainOnAll: false }));
    expect(req.type === 'start' && req.train).toEqual([{ prompt: 'P', completion: 'C' }, chat]);
  });

  it('refuses an unknown role or template', () => {
    expect(() => parseRequest(start([{ kind: 'chat', line: 1, turns: [{ role: 'wizard', content: 'x' }] }]))).toThrow();
    expect(() => parseRequest(start([{ prompt: 'P', completion: 'C' }], { template: 'vicuna' }))).toThrow();
  });

  it('carries the optional packing switch and refuses a non-boolean one', () => {
    const withPacking = (packing: unknown) => start([{ prompt: 'P', completion: 'C' }], { config: { ...defaultTrainConfig('lora'), packing } });
    const req = parseRequest(withPacking(true));
    expect(req.type === 'start' && req.config.packing).toBe(true);
    expect(() => parseRequest(withPacking('yes'))).toThrow();
    const plain = parseRequest(start([{ prompt: 'P', completion: 'C' }]));
    expect(plain.type === 'start' && plain.config.packing).toBeUndefined();
  });
});
