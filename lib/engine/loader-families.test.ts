// loadModelFolder over every family and checkpoint layout: dtypes, shards, tied heads, GQA and qwen2 biases load
// exactly (within the dtype's rounding), and each refusal names its reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from './loader';
import { parseModelConfig } from './model-config';
import { disposeWeights } from './model';
import { paramShapes } from './params';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, TINY_VARIANTS, type CheckpointOptions } from './test-checkpoints';
import { mapSource } from './test-fixtures';
import { useCpu, values } from './test-utils';

beforeAll(useCpu);

const LAYOUTS: [string, CheckpointOptions, number][] = [
  ['F32', {}, 0],
  ['F16, 2 shards', { dtype: 'F16', shards: 2 }, 1e-3], // half precision: ~3 significant digits
  ['BF16, 3 shards', { dtype: 'BF16', shards: 3 }, 8e-3],
];
const CASES = TINY_VARIANTS.flatMap((v) => LAYOUTS.map(([layout, opts, tol]) => ({ ...v, layout, opts, tol })));

describe('loadModelFolder', () => {
  it.each(CASES)('$name, $layout', async ({ family, over, opts, tol }) => {
    const raw = tinyRawConfig(family, over);
    const config = parseModelConfig(raw);
    const want = tinyCheckpointWeights(config, 3);
    const before = tf.memory().numTensors;
    const m = await loadModelFolder('tiny', mapSource(checkpointFolder(raw, want, opts)));
    expect(m.config.model_type).toBe(family);
    expect([...m.weights.keys()].sort()).toEqual([...paramShapes(config).keys()].sort());
    for (const [k, t] of Object.entries(want)) {
      const got = values(m.weights.get(k)!);
      const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - t.data[i]) / Math.max(1, Math.abs(t.data[i]))));
      expect(err).toBeLessThanOrEqual(tol);
    }
    expect(m.tokenizer.decode(m.tokenizer.encode('the cat'))).toBe('the cat');
    disposeWeights(m.weights);
    expect(tf.memory().numTensors).toBe(before);
  });

  const llama = tinyRawConfig('llama');
  const weights = tinyCheckpointWeights(parseModelConfig(llama), 1);
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown model_type, listing the supported ones', { ...llama, model_type: 'falcon' }, /model_type "falcon" is not supported \(supported: gpt2, llama, qwen2, mistral\)/],
    ['an unsupported RoPE scaling', { ...llama, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /RoPE scaling "yarn" is not supported yet/],
    ['llama3 RoPE scaling without its parameters', { ...llama, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /RoPE scaling needs a positive low_freq_factor/],
    ['heads that do not group', { ...llama, num_key_value_heads: 3 }, /num_key_value_heads 3 must divide num_attention_heads 4/],
    ['another activation', { ...llama, hidden_act: 'gelu' }, /hidden_act "gelu" is not supported/],
  ])('refuses %s', async (_name, raw, message) => {
    await expect(loadModelFolder('tiny', mapSource(withConfig(raw)))).rejects.toThrow(message);
  });

  function withConfig(raw: Record<string, unknown>): Map<string, Uint8Array> {
    const files = checkpointFolder(llama, weights);
    files.set('config.json', new TextEncoder().encode(JSON.stringify(raw)));
    return files;
  }

  it('names a missing tensor, also in a sharded checkpoint', async () => {
    const { 'model.layers.1.mlp.up_proj.weight': _dropped, ...rest } = weights;
    void _dropped;
    for (const shards of [1, 2]) {
      const src = mapSource(checkpointFolder(llama, rest, { shards }));
      await expect(loadModelFolder('tiny', src)).rejects.toThrow(/missing 1 tensor\(s\), e\.g\. model\.layers\.1\.mlp\.up_proj\.weight/);
    }
  });

  it('refuses a shard the index names but the folder lacks, and pickle-only folders', async () => {
    const files = checkpointFolder(llama, weights, { shards: 2 });
    files.delete('model-00002-of-00002.safetensors');
    await expect(loadModelFolder('tiny', mapSource(files))).rejects.toThrow(/no model-00002-of-00002\.safetensors/);
    const pickle = checkpointFolder(llama, weights);
    pickle.delete('model.safetensors');
    pickle.set('pytorch_model.bin', new Uint8Array(8));
    await expect(loadModelFolder('tiny', mapSource(pickle))).rejects.toThrow(/Pickle checkpoints can run code/);
  });
});
