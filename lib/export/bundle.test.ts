// Export bundles: the zip holds one folder whose files the loader (and PEFT / transformers) read back.
import { describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import { loadGpt2Folder } from '../engine/loader';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import { tinyConfig, tinyFolder, tinyWeights, mapSource } from '../engine/test-fixtures';
import { adapterBundle, modelFolderBundle, zipBundle } from './bundle';
import type { RunSummary } from './model-card';

const run: RunSummary = {
  baseModel: 'tiny', method: 'lora', steps: 3, firstLoss: 2.5, lastLoss: 1.25, trainExamples: 10, tokens: 300,
  backend: 'cpu (JavaScript)', hyperparameters: { lr: 0.001 }, dataFile: 'x.jsonl', date: '2026-11-28',
};

describe('export bundles', () => {
  it('zips a PEFT adapter folder with config, safetensors (format=pt) and a model card', () => {
    const tensors = { 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } };
    const zip = zipBundle(adapterBundle('tiny-lora', { config: { peft_type: 'LORA', r: 2 }, tensors }, run));
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['tiny-lora/README.md', 'tiny-lora/adapter_config.json', 'tiny-lora/adapter_model.safetensors']);
    expect(JSON.parse(strFromU8(files['tiny-lora/adapter_config.json']))).toEqual({ peft_type: 'LORA', r: 2 });
    const st = readSafetensors(files['tiny-lora/adapter_model.safetensors']);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(Array.from(toFloat32(st.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!))).toEqual([1, 2, 3, 4, 5, 6]);
    const card = strFromU8(files['tiny-lora/README.md']);
    expect(card).toContain('base_model: tiny');
    expect(card).toContain('2.5000 at step 1, 1.2500 at the last step');
    expect(card).toContain('PeftModel.from_pretrained');
  });

  it("a bottleneck adapter's card says PEFT cannot load it and points to the layout", () => {
    const card = strFromU8(unzipSync(zipBundle(adapterBundle('tiny-adapter', { config: { peft_type: 'BOTTLENECK' }, tensors: {} }, { ...run, method: 'adapter' })))['tiny-adapter/README.md']);
    expect(card).toContain('PEFT has no bottleneck adapters');
    expect(card).not.toContain('PeftModel');
    expect(card).toContain('library_name: webtune-studio');
  });

  it('writes a full model folder that loads back with the same weights', async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    const src = tinyFolder(config, weights);
    const bundle = modelFolderBundle('tiny-ft', config, weights, { 'tokenizer.json': src.get('tokenizer.json')!, 'tokenizer_config.json': src.get('tokenizer_config.json')! }, { ...run, method: 'full' });
    const files = unzipSync(zipBundle(bundle));
    const folder = new Map(Object.entries(files).map(([k, v]) => [k.replace('tiny-ft/', ''), v]));
    expect([...folder.keys()].sort()).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readSafetensors(folder.get('model.safetensors')!).tensors.has('transformer.h.0.attn.c_attn.weight')).toBe(true);
    const m = await loadGpt2Folder('tiny-ft', mapSource(folder));
    expect(Array.from(await m.weights.get('h.1.attn.c_proj.weight')!.data())).toEqual(Array.from(weights['h.1.attn.c_proj.weight'].data));
    expect(JSON.parse(strFromU8(folder.get('config.json')!)).architectures).toEqual(['GPT2LMHeadModel']);
    m.weights.forEach((t) => t.dispose());
  });
});
