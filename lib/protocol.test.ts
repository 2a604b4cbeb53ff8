// The start request accepts the older {prompt, completion} records and the data studio's Conversations,
// with a template choice; malformed conversations are refused at the boundary.
import { describe, expect, it } from 'vitest';
import { parseRequest } from './protocol';
import { defaultTrainConfig } from './defaults';

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
});
