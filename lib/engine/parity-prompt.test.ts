// Parity of prompt tuning, prefix tuning and bottleneck adapters with an independent implementation:
// scripts/parity_prompt_ref.py (PyTorch, float64) runs the saved adapter folders as PEFT and transformers would
// (prefix: PEFT's view/permute of prompt_embeddings into the attention cache, positions after the past); logits of
// the input tokens, the loss and the gradient of every adapter tensor must agree, on GPT-2, a GQA Llama and Qwen2.
// Every case's folders are written first, so one Python process (torch imported once) computes all the references.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '../cli/fs-source';
import { loadAdapterFolder } from '../cli/generate';
import { loadModelFolder } from './loader';
import { causalLmLoss } from './loss';
import { disposeWeights, forward } from './model';
import { parseModelConfig } from './model-config';
import { peftMethod } from './peft/methods';
import { mulberry32, normalArray } from './random';
import { writeSafetensors } from './safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from './test-checkpoints';
import { torchReferences } from './test-torch-ref';
import { relErr, tinyTrainConfig, useCpu, values } from './test-utils';

const SCRIPT = join(import.meta.dirname, '../../scripts/parity_prompt_ref.py');
const TOL = 1e-4;
const measured: string[] = [];

beforeAll(useCpu);
afterAll(() => console.log(`prompt/prefix/bottleneck parity vs PyTorch (max |a-b| / max |b|):\n${measured.join('\n')}`));

const FAMILIES = [
  { name: 'gpt2', family: 'gpt2' as const, over: { vocab_size: 300 } },
  { name: 'llama GQA 4/2', family: 'llama' as const, over: { vocab_size: 300 } },
  { name: 'qwen2 (q/k/v bias) 1 KV head', family: 'qwen2' as const, over: { vocab_size: 300, num_key_value_heads: 1 } },
];
const METHODS: [string, Record<string, unknown>][] = [['prompt', { numVirtualTokens: 3 }], ['prefix', { numVirtualTokens: 3, prefixProjection: false }], ['adapter', { adapterSize: 4 }]];

type Reference = { logits: number[]; loss: number; grads: Record<string, number[]> };
const tokens = [[258, 3, 77, 104, 101, 32], [5, 250, 17, 17, 42, 0]];
const mask = [[0, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0]];
/** Per `${family} ${method}`: its folder (model/, adapter/), the adapter's tensor names in file order, PyTorch's answer. */
const cases = new Map<string, { dir: string; names: string[]; ref?: Reference }>();

beforeAll(async () => {
  for (const { family, over } of FAMILIES) {
    for (const [id, mc] of METHODS) {
      const dir = mkdtempSync(join(tmpdir(), 'webtune-parity-prompt-'));
      const raw = tinyRawConfig(family, over);
      const files = checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 5));
      mkdirSync(join(dir, 'model'));
      for (const [name, bytes] of files) writeFileSync(join(dir, 'model', name), bytes);
      const model = await loadModelFolder('tiny', fsSource(join(dir, 'model')));
      // A trained-looking adapter: every tensor random (bottleneck up nonzero, so down gets a gradient too).
      const state = peftMethod(id).create(model.config, model.weights, { ...tinyTrainConfig(), methodConfig: { [id]: mc } }, 3);
      const rng = mulberry32(4);
      for (const v of state.variables) v.assign(tf.tensor(normalArray(v.size, 0.4, rng), v.shape));
      const peft = await state.save!('tiny');
      state.dispose();
      disposeWeights(model.weights);
      mkdirSync(join(dir, 'adapter'));
      writeFileSync(join(dir, 'adapter', 'adapter_config.json'), JSON.stringify(peft.config));
      writeFileSync(join(dir, 'adapter', 'adapter_model.safetensors'), writeSafetensors(peft.tensors, { metadata: { format: 'pt' } }));
      cases.set(`${family} ${id}`, { dir, names: Object.keys(peft.tensors) }); // the loaded variables come in the file's order
    }
  }
  const all = [...cases.values()];
  const refs = torchReferences<Reference>(SCRIPT, all.map(({ dir }) => ({ model_dir: join(dir, 'model'), adapter_dir: join(dir, 'adapter'), tokens, mask })));
  all.forEach((c, i) => (c.ref = refs[i]));
}, 300_000);

describe.each(FAMILIES)('parity with PyTorch: $name', ({ family }) => {
  it.each(METHODS)('%s: input-token logits, loss and adapter gradients', async (id) => {
    const { dir, names, ref } = cases.get(`${family} ${id}`)!;
    if (!ref) throw new Error('no PyTorch reference');
    const model = await loadModelFolder('tiny', fsSource(join(dir, 'model')));
    const loaded = await loadAdapterFolder(join(dir, 'adapter'), model.config, model.weights);
    expect(loaded.variables).toHaveLength(names.length);
    const ids = tf.tensor2d(tokens.flat(), [2, 6], 'int32');
    const m = tf.tensor2d(mask.flat(), [2, 6]);
    const logits = values(tf.tidy(() => forward(model.config, model.weights, ids, { adapter: loaded.adapter })));
    const { value, grads } = tf.variableGrads(() => causalLmLoss(forward(model.config, model.weights, ids, { adapter: loaded.adapter }), ids, m), loaded.variables);
    const logitErr = relErr(logits, ref.logits);
    const lossErr = Math.abs(values(value)[0] - ref.loss) / ref.loss;
    const gradErr = Math.max(...names.map((k, i) => relErr(values(grads[loaded.variables[i].name]), ref.grads[k])));
    measured.push(`  ${family} ${id}: logits ${logitErr.toExponential(2)}, loss ${lossErr.toExponential(2)}, grads (worst of ${names.length}) ${gradErr.toExponential(2)}`);
    expect(Object.keys(ref.grads).sort()).toEqual([...names].sort());
    expect(logits.length).toBe(ref.logits.length);
    expect(logitErr).toBeLessThan(TOL);
    expect(lossErr).toBeLessThan(TOL);
    expect(gradErr).toBeLessThan(TOL);
    tf.dispose([ids, m, value, ...Object.values(grads)]);
    loaded.dispose();
    disposeWeights(model.weights);
  });
});
