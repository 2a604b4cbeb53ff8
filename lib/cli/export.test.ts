// `cli export` on a tiny model folder and a PEFT adapter folder on disk: merged (loads back with the adapter's
// logits), peft from a zip (same files back), gguf-lora with its Modelfile, a TRL hand-off from a real data file,
// and clear refusals for bad flags.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../engine/loader';
import { forward } from '../engine/model';
import { parseModelConfig } from '../engine/model-config';
import { peftMethod } from '../engine/peft/methods';
import type { LoraState } from '../engine/peft/lora';
import { mulberry32, normalArray } from '../engine/random';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { relErr, tinyTrainConfig } from '../engine/test-utils';
import { adapterBundle, zipBundle } from '../export/bundle';
import { importAdapter, readAdapterFolder } from '../export/import-adapter';
import { runExport } from './export';
import { fsSource } from './fs-source';
import { initNodeBackend } from './node-backend';

const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = join(dir, 'model');
const ADAPTER = join(dir, 'adapter');
const IDS = [3, 50, 7, 200, 9, 120];

async function logitsOf(modelDir: string, adapterDir?: string): Promise<Float32Array> {
  const m = await loadModelFolder('tiny', fsSource(modelDir));
  const state = adapterDir ? importAdapter(await readAdapterFolder(fsSource(adapterDir)), m) : undefined;
  const out = tf.tidy(() => forward(m.config, state?.weights ?? m.weights, tf.tensor2d([IDS], [1, IDS.length], 'int32'), { adapter: state?.adapter }));
  const data = new Float32Array((await out.data()) as Float32Array);
  out.dispose();
  state?.dispose();
  m.weights.forEach((t) => t.dispose());
  return data;
}

beforeAll(async () => {
  await initNodeBackend();
  const raw = tinyRawConfig('llama');
  mkdirSync(MODEL);
  for (const [name, bytes] of checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 2))) writeFileSync(join(MODEL, name), bytes);
  const m = await loadModelFolder('tiny', fsSource(MODEL));
  const state = peftMethod('lora').create(m.config, m.weights, tinyTrainConfig({ lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], useRslora: false } }), 1);
  const rng = mulberry32(5);
  for (const mod of (state.adapter as LoraState).modules.values()) mod.B.assign(tf.tensor(normalArray(mod.B.size, 0.3, rng), mod.B.shape));
  const bundle = adapterBundle('adapter', await state.save!('org/tiny-llama'), { baseModel: 'org/tiny-llama', method: 'lora', hyperparameters: {}, date: '2026-12-01' });
  mkdirSync(ADAPTER);
  for (const [name, bytes] of Object.entries(bundle.files)) writeFileSync(join(ADAPTER, name), bytes);
  writeFileSync(join(dir, 'adapter.zip'), zipBundle(bundle));
  state.dispose();
  m.weights.forEach((t) => t.dispose());
});

describe('cli export', () => {
  it('--to merged: the folder loads back and matches the model with its adapter', async () => {
    await runExport(['--model', MODEL, '--adapter', ADAPTER, '--to', 'merged', '--out', join(dir, 'merged')]);
    expect(relErr(await logitsOf(join(dir, 'merged')), await logitsOf(MODEL, ADAPTER))).toBeLessThan(1e-5);
    expect(readFileSync(join(dir, 'merged/README.md'), 'utf8')).toContain('base_model: org/tiny-llama');
  });

  it('--to peft from a zip writes the same adapter back', async () => {
    await runExport(['--model', MODEL, '--adapter', join(dir, 'adapter.zip'), '--to', 'peft', '--out', join(dir, 'peft')]);
    expect(Array.from(await logitsOf(MODEL, join(dir, 'peft')))).toEqual(Array.from(await logitsOf(MODEL, ADAPTER)));
  });

  it('--to gguf-lora writes the adapter GGUF and a Modelfile naming the base GGUF', async () => {
    await runExport(['--model', MODEL, '--adapter', ADAPTER, '--to', 'gguf-lora', '--dtype', 'f32', '--out', join(dir, 'gl')]);
    const files = readdirSync(join(dir, 'gl')).sort();
    expect(files).toEqual(['Modelfile', 'README.md', 'tiny-llama-lora-F32.gguf']);
    expect(readFileSync(join(dir, 'gl/Modelfile'), 'utf8')).toContain('FROM ./tiny-llama-F32.gguf\nADAPTER ./tiny-llama-lora-F32.gguf');
  });

  it('--to trl with --data: the adapter\'s settings and the cleaned, split records', async () => {
    await runExport(['--model', MODEL, '--adapter', ADAPTER, '--data', join(import.meta.dirname, '../../../shared/data/alpaca_en_demo.json'), '--to', 'trl', '--val-ratio', '0.2', '--out', join(dir, 'trl')]);
    const cfg = JSON.parse(readFileSync(join(dir, 'trl/trl_config.json'), 'utf8'));
    expect(cfg.model).toBe('org/tiny-llama');
    expect(cfg.lora).toMatchObject({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'down_proj'] });
    const n = (f: string) => readFileSync(join(dir, 'trl/data', f), 'utf8').trim().split('\n').length;
    expect(n('train.jsonl') + n('validation.jsonl')).toBeGreaterThan(900);
    expect(n('validation.jsonl') / (n('train.jsonl') + n('validation.jsonl'))).toBeCloseTo(0.2, 2);
    expect(readFileSync(join(dir, 'trl/README.md'), 'utf8')).toMatch(/data sha256:[0-9a-f]{64}/);
  });

  it('--to llamafactory --method dpo: a preference hand-off with the objective flags carried into train.yaml', async () => {
    const data = join(import.meta.dirname, '../../../shared/data/dpo_en_demo.json');
    await runExport(['--model', MODEL, '--adapter', ADAPTER, '--data', data, '--to', 'llamafactory', '--method', 'dpo', '--loss-type', 'ipo', '--beta', '0.3', '--out', join(dir, 'lf-dpo')]);
    const yaml = readFileSync(join(dir, 'lf-dpo/train.yaml'), 'utf8');
    for (const line of ['stage: dpo', 'pref_loss: ipo', 'pref_beta: 0.3', 'finetuning_type: lora']) expect(yaml).toContain(line);
    const info = JSON.parse(readFileSync(join(dir, 'lf-dpo/data/dataset_info.json'), 'utf8'));
    expect(info.webtune_train.ranking).toBe(true);
    await expect(runExport(['--model', MODEL, '--data', data, '--to', 'trl', '--out', join(dir, 'x')])).rejects.toThrow(/is a preference pair .* pick DPO, KTO or a reward model/);
  });

  it('refuses unknown kinds and dtypes, and hand-offs without data', async () => {
    await expect(runExport(['--model', MODEL, '--to', 'onnx', '--out', join(dir, 'x')])).rejects.toThrow(/--to must be one of peft, merged/);
    await expect(runExport(['--model', MODEL, '--to', 'gguf', '--dtype', 'q4', '--out', join(dir, 'x')])).rejects.toThrow(/--dtype must be one of/);
    await expect(runExport(['--model', MODEL, '--to', 'axolotl', '--out', join(dir, 'x')])).rejects.toThrow(/needs the training data \(--data/);
  });
});
