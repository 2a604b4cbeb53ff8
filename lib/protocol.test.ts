// The worker's request schema for model sources: Hub and local-files loads and cancel-load are accepted,
// malformed ones are refused before they reach the session.
import { describe, expect, it } from 'vitest';
import { parseRequest } from './protocol';

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
