// Tests for the hyperparameter form: defaults, method switching, per-field messages, schema agreement.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { FIELD_SPECS, type NumericField } from '../ui-copy';
import { settingsFromSearchParams } from './studio-settings';
import { trainConfigSchema } from '../train-worker/protocol';
import { checkField, initialForm, readForm, setDraft, switchMethod } from './config-form';

describe('config form', () => {
  it('reads the defaults back as the default config, which the worker schema accepts', () => {
    const { config, errors } = readForm(initialForm());
    expect(errors).toEqual({});
    expect(config).toEqual(defaultTrainConfig('lora'));
    expect(trainConfigSchema.safeParse(defaultTrainConfig('full')).success).toBe(true);
  });

  it('switches lr and weight decay with the method unless edited', () => {
    let f = switchMethod(initialForm(), 'full');
    expect(readForm(f).config).toMatchObject({ method: 'full', lr: 3e-4, weightDecay: 0.01 });
    f = switchMethod(f, 'lora');
    expect(readForm(f).config).toMatchObject({ lr: 2e-3, weightDecay: 0 });
    f = setDraft(f, 'lr', '5e-3');
    f = switchMethod(f, 'full');
    expect(readForm(f).config).toMatchObject({ lr: 5e-3, weightDecay: 0.01 });
  });

  it.each<[NumericField, string, RegExp]>([
    ['steps', '', /required/],
    ['steps', '1.5', /whole number/],
    ['steps', '0', /at least 1/],
    ['lr', '0', /greater than 0/],
    ['lr', '2e-', /number/],
    ['steps', '0x10', /must be a number/], // Number() reads 16
    ['steps', '1_000', /must be a number/],
    ['batchSize', '1000', /at most 256/],
    ['loraDropout', '0.95', /at most 0.9/],
  ])('%s = %j is rejected', (field, text, msg) => {
    const r = checkField(field, text);
    expect('error' in r && r.error).toMatch(msg);
    const { config, errors } = readForm(setDraft(initialForm(), field, text));
    expect(config).toBeNull();
    expect(errors[field]).toMatch(msg);
  });

  it('accepts exponent notation', () => {
    expect(checkField('lr', '3e-4')).toEqual({ value: 3e-4 });
  });

  it('ignores broken LoRA fields when training fully', () => {
    const f = switchMethod(setDraft(initialForm(), 'loraR', 'x'), 'full');
    expect(readForm(f).config?.lora).toEqual(defaultTrainConfig('full').lora);
    expect(readForm(switchMethod(f, 'lora')).errors.loraR).toBeDefined();
  });

  it('needs a target module for LoRA', () => {
    const f = { ...initialForm(), lists: { loraTargetModules: [] } };
    expect(readForm(f).errors.loraTargetModules).toMatch(/target module/);
  });

  it('every field bound agrees with the worker schema at its edges', () => {
    const base = defaultTrainConfig('lora');
    for (const [field, spec] of Object.entries(FIELD_SPECS) as [NumericField, (typeof FIELD_SPECS)[NumericField]][]) {
      const edge = spec.minExclusive ? spec.min + 1e-9 : spec.min;
      const { config } = readForm(setDraft(setDraft(initialForm(), 'warmupSteps', '0'), field, String(edge)));
      expect(config, field).not.toBeNull();
      expect(trainConfigSchema.safeParse(config).success, field).toBe(true);
    }
    expect(base.steps).toBe(200);
  });

  it('reads test-mode URL overrides only in test mode', () => {
    expect(settingsFromSearchParams({ test: '1', steps: '30', batch: '2', seqLen: 'x' })).toEqual({ testMode: true, overrides: { steps: 30, batchSize: 2 }, scoreAtEnd: false });
    expect(settingsFromSearchParams({ steps: '30' })).toEqual({ testMode: false, overrides: {}, scoreAtEnd: true });
    expect(settingsFromSearchParams({ test: '1', report: '1' }).scoreAtEnd).toBe(true);
  });
});
