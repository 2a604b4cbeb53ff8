// Export kinds end to end on tiny models: the merged folder loads back through our loader with identical logits
// (F32) or within rounding (F16, BF16); the PEFT adapter exports, imports (folder or zip, ours or PEFT-made) and
// gives the same logits; a mismatched base is refused with what does not match; the model card says how to load.
import { unzipSync, strFromU8 } from 'fflate';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type LoadedModel } from '../engine/loader';
import { forward } from '../engine/model';
import { isLoraState, type LoraState } from '../engine/peft/lora';
import { peftMethod } from '../engine/peft/methods';
import type { TrainableState } from '../engine/peft/types';
import { mulberry32, normalArray } from '../engine/random';
import { f32ToBf16, f32ToF16, f16ToF32, readSafetensors } from '../engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, type Family } from '../engine/test-checkpoints';
import { mapSource } from '../engine/test-fixtures';
import { relErr, tinyTrainConfig, useCpu } from '../engine/test-utils';
import { parseModelConfig } from '../engine/model-config';
import { zipBundle } from './bundle';
import { buildExport, type ExportInput } from './exports';
import { mergedWeights } from './merged';
import { AdapterMismatchError, importAdapter, readAdapterFolder, readAdapterZip } from './import-adapter';
import type { RunSummary } from './model-card';

const summary: RunSummary = { baseModel: 'tiny', method: 'lora', hyperparameters: { lr: 0.01, lora: { r: 4 } }, date: '2026-12-01', steps: 5, firstLoss: 3, lastLoss: 2, trainExamples: 10, tokens: 500, backend: 'cpu', dataFile: 'x.jsonl', dataFingerprint: 'sha256:ab12' };

async function tinyModel(family: Family, over: Record<string, unknown> = {}, name = `tiny-${family}`): Promise<LoadedModel> {
  const raw = tinyRawConfig(family, over);
  return loadModelFolder(name, mapSource(checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 5))));
}

/** LoRA on every linear with random B (a trained adapter, not the no-op init). */
function trainedLora(m: LoadedModel, seed: number): TrainableState {
  const targets = m.config.model_type === 'gpt2' ? ['c_attn', 'c_proj', 'c_fc'] : ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  const state = peftMethod('lora').create(m.config, m.weights, tinyTrainConfig({ lora: { r: 4, alpha: 8, dropout: 0, targetModules: targets, useRslora: false } }), seed);
  const rng = mulberry32(seed);
  for (const mod of (state.adapter as LoraState).modules.values()) mod.B.assign(tf.tensor(normalArray(mod.B.size, 0.3, rng), mod.B.shape));
  return state;
}

const IDS = [[1, 5, 9, 200, 33, 7, 100, 258]];
async function logits(m: Pick<LoadedModel, 'config' | 'weights'>, state?: TrainableState): Promise<Float32Array> {
  const out = tf.tidy(() => forward(m.config, state?.weights ?? m.weights, tf.tensor2d(IDS, [1, IDS[0].length], 'int32'), { adapter: state?.adapter }));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

const folderOf = (zip: Uint8Array) => {
  const files = unzipSync(zip);
  return new Map(Object.entries(files).map(([k, v]) => [k.slice(k.indexOf('/') + 1), v]));
};

beforeAll(useCpu);

describe.each(['gpt2', 'llama'] as Family[])('merged export (%s)', (family) => {
  it.each([
    ['f32', 0],
    ['f16', 2e-2],
    ['bf16', 6e-2],
  ] as const)('%s: loads back through our loader; logits identical (f32) or within rounding', async (dtype, tol) => {
    const m = await tinyModel(family);
    const state = trainedLora(m, 3);
    const viaAdapter = await logits(m, state);
    const mergedMap = new Map(Object.entries(await mergedWeights(m.weights, state)).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
    const want = await logits({ config: m.config, weights: mergedMap });
    expect(relErr(want, viaAdapter)).toBeLessThan(1e-5); // the merge itself is exact up to float32 summation order
    const input: ExportInput = { model: m, state, summary, folder: 'tiny-merged' };
    const bundle = await buildExport('merged', dtype, input);
    const folder = folderOf(zipBundle(bundle));
    expect([...folder.keys()].sort()).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(strFromU8(folder.get('config.json')!)).torch_dtype).toBe({ f32: 'float32', f16: 'float16', bf16: 'bfloat16' }[dtype]);
    const st = readSafetensors(folder.get('model.safetensors')!);
    expect(new Set([...st.tensors.values()].map((e) => e.dtype))).toEqual(new Set([dtype.toUpperCase()]));
    const back = await loadModelFolder('tiny-merged', mapSource(folder));
    const got = await logits(back);
    if (dtype === 'f32') expect(Array.from(got)).toEqual(Array.from(want));
    else {
      // Every stored weight is the merged f32 weight rounded to nearest (ties to even); logits move only that much.
      const round = dtype === 'f16' ? (x: number) => f16ToF32(f32ToF16(x)) : (x: number) => new Float32Array(new Uint32Array([f32ToBf16(x) << 16]).buffer)[0];
      const mergedF32 = await buildExport('merged', 'f32', input).then((b) => loadModelFolder('x', mapSource(folderOf(zipBundle(b)))));
      for (const [k, t] of mergedF32.weights) {
        const a = (await t.data()) as Float32Array;
        const b = (await back.weights.get(k)!.data()) as Float32Array;
        for (let i = 0; i < a.length; i += 7) expect(b[i]).toBe(round(a[i]));
      }
      expect(relErr(got, want)).toBeLessThan(tol);
      mergedF32.weights.forEach((t) => t.dispose());
    }
    expect(strFromU8(folder.get('README.md')!)).toContain('AutoModelForCausalLM.from_pretrained("path/to/this/folder")');
    state.dispose();
    [m.weights, back.weights, mergedMap].forEach((w) => w.forEach((t) => t.dispose()));
  });
});

describe('PEFT adapter export and import', () => {
  it.each(['gpt2', 'llama'] as Family[])('%s: export, import from the zip and from the folder, same logits', async (family) => {
    const m = await tinyModel(family);
    const state = trainedLora(m, 9);
    const want = await logits(m, state);
    const bundle = await buildExport('peft', undefined, { model: m, state, summary, folder: 'tiny-lora' });
    const zip = zipBundle(bundle);
    for (const files of [await readAdapterZip(zip), await readAdapterFolder(mapSource(folderOf(zip)))]) {
      const imported = importAdapter(files, m);
      expect(isLoraState(imported.adapter)).toBe(true);
      expect(Array.from(await logits(m, imported))).toEqual(Array.from(want));
      imported.dispose();
    }
    const card = strFromU8(folderOf(zip).get('README.md')!);
    for (const s of ['base_model: tiny', 'PeftModel.from_pretrained', 'llama-cli', '--lora', 'sha256:ab12', '"lr": 0.01', '| train loss | 3.0000 at step 1, 2.0000 at the last step |']) expect(card).toContain(s);
    state.dispose();
    m.weights.forEach((t) => t.dispose());
  });

  it('loads an adapter folder as huggingface/peft writes it (its config keys, key order, no studio extras)', async () => {
    const m = await tinyModel('llama');
    const state = trainedLora(m, 4);
    const ours = await state.save!('tiny-llama');
    // adapter_config.json as PEFT 0.13 saves it (keys sorted, its own defaults), tensors under the same names.
    const config = {
      alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'tiny-llama', bias: 'none', fan_in_fan_out: false, inference_mode: true,
      init_lora_weights: true, layer_replication: null, layers_pattern: null, layers_to_transform: null, loftq_config: {}, lora_alpha: 8,
      lora_dropout: 0.0, megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null, peft_type: 'LORA', r: 4, rank_pattern: {},
      revision: null, target_modules: ['k_proj', 'o_proj', 'q_proj', 'v_proj', 'up_proj', 'down_proj', 'gate_proj'], task_type: 'CAUSAL_LM', use_dora: false, use_rslora: false,
    };
    const tensors = Object.fromEntries(Object.entries(ours.tensors).sort(([a], [b]) => a.localeCompare(b)));
    const imported = importAdapter({ config, tensors }, m);
    expect(Array.from(await logits(m, imported))).toEqual(Array.from(await logits(m, state)));
    [imported, state].forEach((s) => s.dispose());
    m.weights.forEach((t) => t.dispose());
  });

  it('refuses a mismatched base model, naming the shapes and modules that do not match', async () => {
    const small = await tinyModel('gpt2', {}, 'gpt2-small');
    const wide = await tinyModel('gpt2', { n_embd: 32 }, 'gpt2-wide');
    const llama = await tinyModel('llama');
    const state = trainedLora(small, 2);
    const files = await state.save!('gpt2-small');
    const err = (() => {
      try {
        importAdapter(files, wide);
      } catch (e) {
        return e as AdapterMismatchError;
      }
    })();
    expect(err).toBeInstanceOf(AdapterMismatchError);
    expect(err!.message).toContain('it was trained on gpt2-small');
    expect(err!.message).toContain('h.0.attn.c_attn.lora_A is [4,16], this model\'s layer needs [4, 32]');
    expect(err!.problems.length).toBeGreaterThan(4); // every module is listed, not only the first
    expect(() => importAdapter(files, llama)).toThrow(/module h\.0\.attn\.c_attn is not in this model/);
    state.dispose();
    [small, wide, llama].forEach((x) => x.weights.forEach((t) => t.dispose()));
  });

  it('refuses a folder without safetensors, and kinds the state cannot give', async () => {
    await expect(readAdapterFolder(async (n) => (n === 'adapter_config.json' ? new TextEncoder().encode('{}') : n === 'adapter_model.bin' ? new Uint8Array(1) : null))).rejects.toThrow(/only adapter_model\.bin/);
    const m = await tinyModel('gpt2');
    await expect(buildExport('peft', undefined, { model: m, summary, folder: 'x' })).rejects.toThrow(/--to peft needs an adapter/);
    await expect(buildExport('gguf-lora', undefined, { model: m, summary, folder: 'x' })).rejects.toThrow(/--to gguf-lora needs a LoRA adapter/);
    await expect(buildExport('merged', 'q8_0', { model: m, summary, folder: 'x' })).rejects.toThrow(/Q8_0 is a GGUF type/);
    m.weights.forEach((t) => t.dispose());
  });
});
