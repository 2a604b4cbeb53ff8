// A model loaded with packed base weights through the worker's session (cpu backend, where the packed linears run
// as their dequantized float32 copies): the loader packs straight from the file's bytes and holds no float32 block
// linear, LoRA trains, the merged export equals the rounded base plus the exported adapter's B·A worked on the
// host, the model card says so, and methods that read the base weights themselves are refused with the reason.
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { generate } from '../engine/generate';
import { httpSource, loadTokenizer } from '../engine/loader';
import { parseModelConfig } from '../engine/model-config';
import { roundTrip } from '../engine/packed-weights';
import { linearModules } from '../engine/params';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import type { WorkerEvent } from './protocol';
import { TrainSession } from './session';
import { startExamples } from './test-start';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');
const tokenizer = { json: new Uint8Array(readFileSync(join(DEMO, 'tokenizer.json'))), config: new Uint8Array(readFileSync(join(DEMO, 'tokenizer_config.json'))) };
const raw = tinyRawConfig('qwen2', { vocab_size: 4096, bos_token_id: 4095, eos_token_id: 4095 });
const config = parseModelConfig(raw);
const original = tinyCheckpointWeights(config, 1, 0.02);

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

/** A session over the tiny qwen2 folder served at /m/, loaded with `baseWeights`. */
async function loaded(baseWeights: 'f32' | 'int8') {
  const files = checkpointFolder(raw, original, { tokenizer });
  vi.stubGlobal('fetch', async (url: string) => {
    const bytes = files.get(url.replace(/^\/m\//, ''));
    return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
  });
  const events: WorkerEvent[] = [];
  const s = new TrainSession((e) => events.push(e));
  const before = tf.memory().numBytes;
  await s.handle({ type: 'load', model: { kind: 'url', name: 'tiny-qwen2', baseUrl: '/m/' }, backend: 'cpu', allowFallbackAdapter: true, baseWeights });
  const ready = events.find((e) => e.type === 'ready');
  if (ready?.type !== 'ready') throw new Error(JSON.stringify(events.at(-1)));
  return { s, events, ready, bytes: tf.memory().numBytes - before };
}

const train = [{ prompt: 'Say hi: ', completion: 'hi' }, { prompt: 'Say yes: ', completion: 'yes' }];
const loraConfig = (targets: string[]) => {
  const base = defaultTrainConfig('lora');
  return { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, lora: { ...base.lora, targetModules: targets } };
};

async function exported(s: TrainSession, events: WorkerEvent[], kind: 'peft' | 'merged'): Promise<Record<string, Uint8Array>> {
  await s.handle({ type: 'export', kind, dtype: 'f32' });
  const e = events.findLast((x) => x.type === 'exported' || x.type === 'error');
  if (e?.type !== 'exported') throw new Error(JSON.stringify(e));
  return unzipSync(new Uint8Array(e.bytes));
}

const tensorsOf = (files: Record<string, Uint8Array>, suffix: string) => readSafetensors(files[Object.keys(files).find((f) => f.endsWith(suffix))!]).tensors;

describe('a model loaded with int8 base weights', () => {
  it('holds its block linears packed (a quarter of their float32 bytes, plus scales) and says so', async () => {
    const f32 = await loaded('f32');
    const int8 = await loaded('int8');
    expect(int8.ready.model.baseWeights).toBe('int8');
    expect(f32.ready.model.baseWeights).toBeUndefined();
    let linearFloats = 0, outRows = 0;
    for (const path of linearModules(config).keys()) {
      const shape = original[`${path}.weight`].shape;
      linearFloats += shape[0] * shape[1];
      outRows += shape[0];
    }
    // int8 words: one byte per weight (rows padded to whole words) and one float32 scale per output row.
    expect(f32.bytes - int8.bytes).toBeGreaterThanOrEqual(linearFloats * 3 - outRows * 4 - 64 * outRows);
    expect(f32.bytes - int8.bytes).toBeLessThanOrEqual(linearFloats * 3);
  });

  it('trains LoRA; the merged export is the rounded base plus the adapter, and the card says how the base was held', async () => {
    const { s, events } = await loaded('int8');
    await s.handle(await startExamples(train, [], loraConfig(['q_proj', 'v_proj'])));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(2);
    const adapter = await exported(s, events, 'peft');
    const merged = await exported(s, events, 'merged');
    const peftCfg = JSON.parse(strFromU8(adapter[Object.keys(adapter).find((f) => f.endsWith('adapter_config.json'))!]));
    const scaling = peftCfg.lora_alpha / peftCfg.r;
    const lora = tensorsOf(adapter, 'adapter_model.safetensors');
    const out = tensorsOf(merged, 'model.safetensors');
    for (const path of ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.v_proj', 'model.layers.0.mlp.up_proj']) {
      const w = original[`${path}.weight`];
      const [rows, cols] = w.shape;
      const want = roundTrip(w.data, rows, cols, 'int8', 'out-in');
      const A = lora.get(`base_model.model.${path}.lora_A.weight`);
      const B = lora.get(`base_model.model.${path}.lora_B.weight`);
      if (A && B) {
        const [a, b] = [toFloat32(A), toFloat32(B)]; // A [r, in], B [out, r]
        const r = A.shape[0];
        for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) {
          let d = 0;
          for (let k = 0; k < r; k++) d += b[o * r + k] * a[k * cols + i];
          want[o * cols + i] += scaling * d;
        }
      } else {
        expect(path).toContain('mlp'); // not adapted: exactly the rounded base
      }
      const got = toFloat32(out.get(`${path}.weight`)!);
      let err = 0;
      for (let j = 0; j < got.length; j++) err = Math.max(err, Math.abs(got[j] - want[j]));
      expect(err).toBeLessThan(1e-6);
      // The rounding is real (int8 moves the weights), so the check above could fail on an unrounded base.
      expect(Math.max(...want.map((v, j) => Math.abs(v - w.data[j])))).toBeGreaterThan(1e-6);
    }
    const card = strFromU8(merged['README.md'] ?? merged[Object.keys(merged).find((f) => f.endsWith('README.md'))!]);
    expect(card).toMatch(/base weights \| block linears held as int8 with one scale per output row while training; the merged weights are those rounded values plus the adapter/);
  });

  it('generates in the playground from the packed base: the greedy tokens of the model with its linears rounded alike', async () => {
    const { s, events } = await loaded('int8');
    const sampling = { maxNewTokens: 6, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0, stop: [] };
    await s.handle({ type: 'generate', id: 1, prompt: 'Say hi: ', chat: false, sampling, targets: [{ key: 'base', adapter: null }] });
    const got = events.find((e) => e.type === 'generated');
    if (got?.type !== 'generated') throw new Error(JSON.stringify(events.at(-1)));
    // The same prompt through the engine on a float32 model whose linears were rounded on the host.
    const { tokenizer: tok } = await loadTokenizer(httpSource('/m/'));
    const rounded = new Map(Object.entries(original).map(([k, t]) => {
      const path = k.slice(0, -'.weight'.length);
      const data = linearModules(config).has(path) ? roundTrip(t.data, t.shape[0], t.shape[1], 'int8', 'out-in') : t.data;
      return [k, tf.tensor(data, t.shape)];
    }));
    const want = await generate(config, rounded, undefined, tok.encode('Say hi: '), { maxNewTokens: 6, temperature: 0, eosId: tok.eosId });
    rounded.forEach((t) => t.dispose());
    expect(got.ids).toEqual(want);
    expect(want.length).toBeGreaterThan(0);
  });

  it.each([
    ['dora', /DoRA needs the base weights in float32 \(it normalises each adapted weight's columns on every step\): load the model in float32/],
    ['full', /Full fine-tuning trains the base weights, which are loaded packed \(f16\/int8\) and frozen: load the model in float32/],
  ] as const)('refuses %s before any step, with the reason', async (method, message) => {
    const { s, events } = await loaded('int8');
    const cfg = { ...loraConfig(['q_proj']), method };
    await s.handle(await startExamples(train, [], cfg));
    expect(events.some((e) => e.type === 'step')).toBe(false);
    const err = events.findLast((e) => e.type === 'error');
    expect(err?.type === 'error' && err.message).toMatch(message);
  });
});
