// Numeric flags: only plain decimal text is a number, and a train config is checked by the studio's schema with
// the flag named.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { checkTrainConfig, flagNumber } from './flags';
import { samplingFlags } from './generate';

describe('flagNumber', () => {
  it.each([['1', 1], ['-2.5', -2.5], ['.5', 0.5], ['3.', 3], ['1e3', 1000], ['2E-2', 0.02]])('reads %s', (text, n) => {
    expect(flagNumber(text)).toBe(n);
  });
  it.each(['', ' ', ' 1', '1 ', '0x10', '0b1', '1_000', 'Infinity', 'NaN', 'abc', '1,5', '--1', 'e3'])('refuses %j', (text) => {
    expect(flagNumber(text)).toBeNaN();
  });
});

describe('generate flags', () => {
  it.each([['temperature', 'abc'], ['temperature', ''], ['top-p', '0x1'], ['top-k', ' '], ['max-new-tokens', '1e400'], ['repetition-penalty', 'Infinity']])('--%s %j is refused', (flag, v) => {
    expect(() => samplingFlags({ [flag]: v })).toThrow(new RegExp(`^--${flag} must be .*, got "${v}"`));
  });
});

describe('checkTrainConfig', () => {
  it('passes the defaults and names the flag of a setting out of bounds', () => {
    const cfg = defaultTrainConfig('lora');
    expect(checkTrainConfig(cfg)).toBe(cfg);
    expect(() => checkTrainConfig({ ...cfg, batchSize: 1000 })).toThrow(/^--batch: too big: expected number to be <=256, got 1000$/);
    expect(() => checkTrainConfig({ ...cfg, checkpointEvery: -1 })).toThrow(/^--save-every: /);
    expect(() => checkTrainConfig({ ...cfg, lora: { ...cfg.lora, r: 0 } })).toThrow(/^the --lora-\* flags \(r\): /);
  });
});
