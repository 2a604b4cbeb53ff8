// `train --method` and the per-method flags derived from the registry: parsed into the method's settings, checked
// by its schema with the flag named in the error, and module lists fitted to the model when not given.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { parseModelConfig } from '../engine/model-config';
import { tinyRawConfig } from '../engine/test-checkpoints';
import { tinyConfig } from '../engine/test-utils';
import type { ModelConfig } from '../engine/types';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapterFolder } from './generate';
import { applyMethodFlags, checkMethod, fitModulesToModel, methodOptions, methodUsage } from './method-args';

describe('method flags', () => {
  it('every LoRA field is a flag, booleans without a value', () => {
    expect(methodOptions()).toMatchObject({ 'lora-r': { type: 'string' }, 'lora-targets': { type: 'string' }, 'lora-rslora': { type: 'boolean' }, 'lora-layers': { type: 'string' } });
    expect(methodUsage()).toMatch(/--lora-alpha X/);
  });

  it('parses flags into the settings and leaves the rest at the defaults', () => {
    const cfg = applyMethodFlags(defaultTrainConfig('lora'), { 'lora-r': '4', 'lora-layers': '0,2', 'lora-rslora': true, 'lora-targets': 'c_fc, c_attn' });
    expect(cfg.lora).toEqual({ ...defaultTrainConfig('lora').lora, r: 4, layersToTransform: [0, 2], useRslora: true, targetModules: ['c_fc', 'c_attn'] });
  });

  it('--lora-rank-pattern and --lora-alpha-pattern set PEFT rank_pattern / alpha_pattern, for DoRA too; a bad pair names the flag', () => {
    const cfg = applyMethodFlags(defaultTrainConfig('lora'), { 'lora-rank-pattern': 'c_fc=2,h\\.1\\.attn\\.c_attn=6', 'lora-alpha-pattern': 'attn.c_proj=2' });
    expect(cfg.lora).toMatchObject({ rankPattern: { c_fc: 2, 'h\\.1\\.attn\\.c_attn': 6 }, alphaPattern: { 'attn.c_proj': 2 } });
    expect(applyMethodFlags(defaultTrainConfig('dora'), { 'lora-rank-pattern': 'c_fc=4' }).lora.rankPattern).toEqual({ c_fc: 4 });
    expect(() => applyMethodFlags(defaultTrainConfig('lora'), { 'lora-rank-pattern': 'c_fc=0' })).toThrow(/^--lora-rank-pattern: Rank per module: c_fc needs a whole number from 1 to 256/);
    expect(methodUsage()).toMatch(/--lora-rank-pattern name=N,\.\.\./);
  });

  it('names the flag whose value the schema rejects, and the methods --method takes', () => {
    expect(() => applyMethodFlags(defaultTrainConfig('lora'), { 'lora-r': '0' })).toThrow(/^--lora-r: /);
    expect(() => applyMethodFlags(defaultTrainConfig('lora'), { 'lora-dropout': 'x' })).toThrow(/--lora-dropout must be a number/);
    expect(() => checkMethod('dpo')).toThrow(/^--method must be lora, dora, ia3, .* or full, got "dpo"$/);
    expect(applyMethodFlags(defaultTrainConfig('full'), { 'lora-r': '4' }).lora.r).toBe(8); // not the chosen method's flag
    // A default-on flag turns off with --no-<flag>; both at once are refused.
    expect(applyMethodFlags(defaultTrainConfig('prefix'), { 'no-prefix-projection': true }).methodConfig?.prefix).toMatchObject({ prefixProjection: false });
    expect(applyMethodFlags(defaultTrainConfig('prefix'), { 'prefix-projection': true, 'num-virtual-tokens': '4' }).methodConfig?.prefix).toEqual({ numVirtualTokens: 4, prefixProjection: true, encoderHiddenSize: 0 });
    expect(() => applyMethodFlags(defaultTrainConfig('prefix'), { 'prefix-projection': true, 'no-prefix-projection': true })).toThrow(/not both/);
    expect(applyMethodFlags(defaultTrainConfig('prompt'), { 'prompt-init-text': 'Classify:' }).methodConfig?.prompt).toEqual({ numVirtualTokens: 16, initText: 'Classify:' });
  });

  it('fits module lists not given to the model: Llama gets its attention projections, GPT-2 keeps the defaults', () => {
    const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, hidden_size: 16, intermediate_size: 24 }));
    expect(fitModulesToModel(defaultTrainConfig('lora'), {}, llama).lora.targetModules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
    expect(fitModulesToModel(defaultTrainConfig('lora'), {}, tinyConfig()).lora.targetModules).toEqual(['c_attn', 'c_proj']);
    const preset = (name: string, model: ModelConfig = tinyConfig()) => fitModulesToModel(applyMethodFlags(defaultTrainConfig('lora'), { 'lora-targets': name }), { 'lora-targets': name }, model).lora.targetModules;
    expect(preset('all-linear')).toEqual(['c_attn', 'c_proj', 'c_fc']);
    expect(preset('attention-mlp')).toEqual(['c_attn', 'c_proj']);
    expect(preset('all-linear', llama)).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    expect(preset('v_proj,attention', llama)).toEqual(['v_proj', 'q_proj', 'k_proj', 'o_proj']);
  });
});

describe('--adapter folders', () => {
  it('refuses a peft_type the registry does not run, by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adapter-'));
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LOHA' }));
    const c = tinyConfig();
    await expect(loadAdapterFolder(dir, c, new Map())).rejects.toThrow(/"LOHA" are not supported/);
  });
});
