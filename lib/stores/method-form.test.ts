// The method's own fields in the form, generic over the registry: every field of every method has a form key and a
// value from the defaults; LoRA's layer list, rsLoRA flag and module list read back into the config.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { METHOD_SPECS } from '../engine/peft/registry';
import { trainConfigSchema } from '../train-worker/protocol';
import { initialForm, readForm, setDraft } from './config-form';
import { formKey, methodFields, methodFormValues, moduleChoices, parseLayers } from './method-form';
import type { ModelInfo } from '../train-worker/protocol';

describe('method fields in the form', () => {
  it('every field of every method gets a value from the defaults', () => {
    const v = methodFormValues(defaultTrainConfig('lora'));
    for (const spec of METHOD_SPECS) {
      for (const [fk, , f] of methodFields(spec.id)) {
        const bucket = f.kind === 'boolean' ? v.flags : f.kind === 'modules' ? v.lists : v.drafts;
        expect(bucket[fk], fk).toBeDefined();
      }
    }
    expect(formKey('lora', 'targetModules')).toBe('loraTargetModules');
    expect(v.drafts.loraLayersToTransform).toBe('');
  });

  it('reads LoRA layers, rsLoRA and targets into the config the worker accepts', () => {
    let f = setDraft(initialForm(), 'loraLayersToTransform', '2, 0 0');
    f = { ...f, flags: { ...f.flags, loraUseRslora: true }, lists: { ...f.lists, loraTargetModules: ['c_fc'] } };
    const { config, errors } = readForm(f);
    expect(errors).toEqual({});
    expect(config!.lora).toMatchObject({ layersToTransform: [0, 2], useRslora: true, targetModules: ['c_fc'] });
    expect(trainConfigSchema.safeParse(config).success).toBe(true);
  });

  it('reads rank and alpha patterns (PEFT rank_pattern / alpha_pattern), leaves empty ones out, and names a bad pair', () => {
    let f = setDraft(initialForm(), 'loraRankPattern', 'c_fc=2,  h\\.1\\.attn\\.c_attn = 6');
    f = setDraft(f, 'loraAlphaPattern', 'attn.c_proj=2.5');
    const { config, errors } = readForm(f);
    expect(errors).toEqual({});
    expect(config!.lora).toMatchObject({ rankPattern: { c_fc: 2, 'h\\.1\\.attn\\.c_attn': 6 }, alphaPattern: { 'attn.c_proj': 2.5 } });
    expect(trainConfigSchema.safeParse(config).success).toBe(true);
    // Shown back as typed, and absent (not {}) when empty, so configs from before patterns existed stay equal.
    expect(methodFormValues(config!).drafts.loraRankPattern).toBe('c_fc=2, h\\.1\\.attn\\.c_attn=6');
    expect('rankPattern' in readForm(initialForm()).config!.lora).toBe(false);
    expect(readForm(setDraft(initialForm(), 'loraRankPattern', 'c_fc=2.5')).errors.loraRankPattern).toMatch(/^Rank per module: c_fc needs a whole number from 1 to 256, got "2.5"$/);
    expect(readForm(setDraft(initialForm(), 'loraRankPattern', 'c_fc')).errors.loraRankPattern).toMatch(/"c_fc" is not name=value/);
    expect(readForm(setDraft(initialForm(), 'loraAlphaPattern', 'c_fc=0')).errors.loraAlphaPattern).toMatch(/above 0/);
    // Number() would read these as 16 and 1000; only plain decimals are numbers, as in the CLI's flags.
    for (const v of ['0x10', '1_000', 'Infinity']) expect(readForm(setDraft(initialForm(), 'loraRankPattern', `c_fc=${v}`)).errors.loraRankPattern).toMatch(/needs a whole number/);
  });

  it('rejects a layer list that is not block numbers, and only for the chosen method', () => {
    const f = setDraft(initialForm(), 'loraLayersToTransform', '1, x');
    expect(readForm(f).errors.loraLayersToTransform).toMatch(/block numbers/);
    expect(readForm({ ...f, method: 'full' }).errors).toEqual({});
    expect(parseLayers('Layers', ' ')).toEqual({ value: null });
    expect('error' in parseLayers('Layers', '-1')).toBe(true);
  });

  it("offers the loaded model's modules and presets through the field (attention + MLP only where it differs)", () => {
    const field = methodFields('lora').find(([fk]) => fk === 'loraTargetModules')![2];
    const info = (config: Record<string, unknown>): ModelInfo => ({ name: 'm', params: 1, config });
    expect(moduleChoices(field, null)).toBeNull();
    const gpt2 = moduleChoices(field, info({ model_type: 'gpt2' }))!;
    expect(gpt2.presets.map((p) => [p.id, p.modules])).toEqual([['attention', ['c_attn']], ['attention-mlp', ['c_attn', 'c_proj']], ['all-linear', ['c_attn', 'c_proj', 'c_fc']]]);
    const llama = moduleChoices(field, info({ model_type: 'llama' }))!;
    expect(llama.presets.map((p) => p.id)).toEqual(['attention', 'all-linear']);
    expect(llama.all).toContain('down_proj');
  });
});
