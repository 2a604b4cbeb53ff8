// Loading Hugging Face GPT-2 folders: key prefixes, mask buffers, F16 widening, tokenizer, and clear refusals.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadGpt2Folder } from './loader';
import { mapSource, tinyConfig, tinyFolder, tinyWeights } from './test-fixtures';

const config = tinyConfig();
const weights = tinyWeights(config);

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe('loadGpt2Folder', () => {
  it.each([
    ['unprefixed F32', { prefix: false }],
    ['prefixed F32 with attn.bias buffers', { prefix: true, maskBuffers: true }],
  ])('loads %s exactly', async (_name, opts) => {
    const m = await loadGpt2Folder('tiny', mapSource(tinyFolder(config, weights, opts)));
    expect(m.weights.size).toBe(Object.keys(weights).length);
    expect(m.weights.get('h.1.attn.c_attn.weight')!.shape).toEqual([8, 24]);
    expect(await values(m.weights.get('h.1.mlp.c_fc.bias')!)).toEqual(Array.from(weights['h.1.mlp.c_fc.bias'].data));
    expect(m.weights.has('h.0.attn.bias')).toBe(false);
    m.weights.forEach((t) => t.dispose());
  });

  it('widens F16 weights to float32 within half precision', async () => {
    const m = await loadGpt2Folder('tiny', mapSource(tinyFolder(config, weights, { dtype: 'F16' })));
    const got = await values(m.weights.get('wte.weight')!);
    const want = weights['wte.weight'].data;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
    m.weights.forEach((t) => t.dispose());
  });

  it('loads the tokenizer and its end-of-sequence token', async () => {
    const m = await loadGpt2Folder('tiny', mapSource(tinyFolder(config, weights)));
    expect(m.tokenizer.eosId).toBe(258);
    const ids = m.tokenizer.encode('the cat');
    expect(ids[0]).toBe(257); // "the" is one token through the merges t+h, th+e
    expect(m.tokenizer.decode(ids)).toBe('the cat');
    m.weights.forEach((t) => t.dispose());
  });

  it('names a missing tensor', async () => {
    const src = mapSource(tinyFolder(config, weights, { drop: 'h.1.ln_2.bias' }));
    await expect(loadGpt2Folder('tiny', src)).rejects.toThrow(/missing 1 tensor\(s\), e\.g\. h\.1\.ln_2\.bias/);
  });

  it('refuses a shape that disagrees with config.json', async () => {
    const files = tinyFolder(tinyConfig({ n_embd: 4, n_head: 2 }), weights);
    await expect(loadGpt2Folder('tiny', mapSource(files))).rejects.toThrow(/wte\.weight has shape \[259,8\], config\.json implies \[259,4\]/);
  });

  it('refuses an unknown architecture and pickle-only checkpoints', async () => {
    const files = tinyFolder(config, weights);
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, model_type: 'bert' })));
    await expect(loadGpt2Folder('tiny', mapSource(files))).rejects.toThrow(/model_type "bert" is not supported/);
    await expect(loadGpt2Folder('tiny', mapSource(files))).rejects.toThrow(/supported: gpt2, llama, qwen2, mistral/);
    const pickle = new Map([['pytorch_model.bin', new Uint8Array(4)], ['config.json', tinyFolder(config, weights).get('config.json')!]]);
    await expect(loadGpt2Folder('tiny', mapSource(pickle))).rejects.toThrow(/safetensors only/);
  });
});
