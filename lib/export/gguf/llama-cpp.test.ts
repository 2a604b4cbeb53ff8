// Cross-check against real llama.cpp (node-llama-cpp's prebuilt binary): our GGUF files load, llama.cpp tokenizes
// like our tokenizer, greedy generation matches ours token for token, llama.cpp applying our GGUF LoRA to the base
// GGUF generates what our merged model generates, and Q8_0's next-token distribution stays within a stated bound.
// Skips (with the reason) only when node-llama-cpp's binary cannot load on this machine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '../../cli/fs-source';
import { initNodeBackend } from '../../cli/node-backend';
import { generate } from '../../engine/generate';
import { loadModelFolder, type LoadedModel } from '../../engine/loader';
import { hiddenStates, lmHead, outputWeight } from '../../engine/model';
import { parseModelConfig } from '../../engine/model-config';
import { peftMethod } from '../../engine/peft/methods';
import { isLoraState, type LoraState } from '../../engine/peft/lora';
import { mulberry32, normalArray } from '../../engine/random';
import { tinyCheckpointWeights, tinyRawConfig, TINY_VARIANTS } from '../../engine/test-checkpoints';
import { tinyTrainConfig } from '../../engine/test-utils';
import { HfTokenizer } from '../../engine/tokenizer';
import type { HostTensor, ModelConfig, WeightMap } from '../../engine/types';
import { mergedWeights } from '../merged';
import { modelGguf, type GgufDtype } from '.';
import { loraFactors, loraGguf } from './lora';

const DEMO = join(import.meta.dirname, '../../../public/models/webtune-demo');
const TEXTS = ['Hello world', ' leading space, two  spaces\n\nand newlines\ttab', 'naïve café — 日本語 🙂 Ünïcödé', "it's 2026, isn't it?\n"];
const N = 20;

let skipReason = '';
const llama: Llama | null = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }).catch((e: Error) => {
  skipReason = e.message;
  return null;
});
if (!llama) console.warn(`llama.cpp cross-check skipped: node-llama-cpp's prebuilt binary could not load here (${skipReason})`);

const dir = mkdtempSync(join(tmpdir(), 'webtune-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function hostWeights(w: WeightMap): Promise<Record<string, HostTensor>> {
  const out: Record<string, HostTensor> = {};
  for (const [k, t] of w) out[k] = { shape: [...t.shape], data: new Float32Array((await t.data()) as Float32Array) };
  return out;
}

const toMap = (w: Record<string, HostTensor>): WeightMap => new Map(Object.entries(w).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));

async function loadGguf(name: string, bytes: Uint8Array): Promise<LlamaModel> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return llama!.loadModel({ modelPath: path, gpuLayers: 0 });
}

/** llama.cpp's greedy continuation of `prompt`, optionally with a LoRA adapter file. */
async function llamaGreedy(model: LlamaModel, prompt: number[], ctxSize: number, lora?: string): Promise<number[]> {
  const ctx = await model.createContext({ contextSize: ctxSize, threads: 1, ...(lora ? { lora: { adapters: [{ filePath: lora }] } } : {}) });
  const out: number[] = [];
  try {
    for await (const t of ctx.getSequence().evaluate(prompt as never, { temperature: 0 })) {
      out.push(t);
      if (out.length >= N) break;
    }
  } finally {
    await ctx.dispose();
  }
  return out;
}

/** llama.cpp's next-token probabilities after `prompt` (temperature 1, no truncation). */
async function llamaProbs(model: LlamaModel, prompt: number[], ctxSize: number, V: number): Promise<Float64Array> {
  const ctx = await model.createContext({ contextSize: ctxSize, threads: 1 });
  const p = new Float64Array(V);
  try {
    const opts = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    for await (const o of ctx.getSequence().evaluateWithMetadata(prompt as never, { probabilities: true }, opts)) {
      for (const [tok, prob] of o.probabilities) p[tok as number] = prob;
      break;
    }
  } finally {
    await ctx.dispose();
  }
  return p;
}

/** Our next-token probabilities (float64 softmax of our float32 logits). */
async function ourProbs(config: ModelConfig, weights: WeightMap, prompt: number[]): Promise<Float64Array> {
  const logits = tf.tidy(() => {
    const h = hiddenStates(config, weights, tf.tensor2d(prompt, [1, prompt.length], 'int32'), {});
    return lmHead(h, outputWeight(config, weights));
  });
  const all = (await logits.data()) as Float32Array;
  logits.dispose();
  const V = config.vocab_size;
  const row = all.subarray((prompt.length - 1) * V);
  const max = Math.max(...row);
  const e = Float64Array.from(row, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** A LoRA on every linear with random (nonzero) B, so the adapter changes what the model generates. */
function randomLora(config: ModelConfig, weights: WeightMap, targets: string[], seed: number) {
  const state = peftMethod('lora').create(config, weights, tinyTrainConfig({ lora: { r: 4, alpha: 16, dropout: 0, targetModules: targets, useRslora: false } }), seed);
  const lora = state.adapter as LoraState;
  expect(isLoraState(lora)).toBe(true);
  const rng = mulberry32(seed + 1);
  for (const m of lora.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.5, rng), m.B.shape));
  return { state, lora };
}

describe.skipIf(!llama)('GGUF through llama.cpp (node-llama-cpp 3.21.1)', () => {
  describe('the demo model (GPT-2 family)', () => {
    let demo: LoadedModel;
    let host: Record<string, HostTensor>;
    let f32: LlamaModel;
    const prompt = () => demo.tokenizer.encode('The little robot walked into the garden and');

    beforeAll(async () => {
      await initNodeBackend();
      demo = await loadModelFolder('webtune-demo', fsSource(DEMO));
      host = await hostWeights(demo.weights);
      f32 = await loadGguf('demo-f32.gguf', modelGguf({ name: 'webtune-demo', config: demo.config, weights: host, tokenizerFiles: demo.tokenizerFiles }, 'f32'));
    });

    it('tokenizes spaces, newlines and non-ASCII text as our tokenizer does', () => {
      for (const text of TEXTS) expect(Array.from(f32.tokenize(text, false)), JSON.stringify(text)).toEqual(demo.tokenizer.encode(text));
    });

    it.each(['f32', 'f16'] as GgufDtype[])('greedy generation of 20 tokens equals ours (%s)', async (dtype) => {
      const model = dtype === 'f32' ? f32 : await loadGguf(`demo-${dtype}.gguf`, modelGguf({ name: 'webtune-demo', config: demo.config, weights: host, tokenizerFiles: demo.tokenizerFiles }, dtype));
      const ours = await generate(demo.config, demo.weights, undefined, prompt(), { maxNewTokens: N, temperature: 0 });
      expect(await llamaGreedy(model, prompt(), 256)).toEqual(ours);
    });

    it('Q8_0: next-token probabilities within 0.02 of ours at F32, F32 within 1e-4', async () => {
      const q8 = await loadGguf('demo-q8_0.gguf', modelGguf({ name: 'webtune-demo', config: demo.config, weights: host, tokenizerFiles: demo.tokenizerFiles }, 'q8_0'));
      const ours = await ourProbs(demo.config, demo.weights, prompt());
      const dF32 = maxDiff(await llamaProbs(f32, prompt(), 256, demo.config.vocab_size), ours);
      const dQ8 = maxDiff(await llamaProbs(q8, prompt(), 256, demo.config.vocab_size), ours);
      console.log(`demo model next-token max |p_llama.cpp - p_ours|: F32 ${dF32.toExponential(2)}, Q8_0 ${dQ8.toExponential(2)}`);
      expect(dF32).toBeLessThan(1e-4);
      expect(dQ8).toBeLessThan(0.02);
    });

    it('our GGUF LoRA applied by llama.cpp generates what our merged model generates', async () => {
      const { state, lora } = randomLora(demo.config, demo.weights, ['c_attn', 'c_proj', 'c_fc'], 7);
      const merged = await mergedWeights(demo.weights, state);
      const mergedMap = toMap(merged);
      const ours = await generate(demo.config, mergedMap, undefined, prompt(), { maxNewTokens: N, temperature: 0 });
      const base = await generate(demo.config, demo.weights, undefined, prompt(), { maxNewTokens: N, temperature: 0 });
      expect(ours).not.toEqual(base); // the adapter matters
      const path = join(dir, 'demo-lora.gguf');
      writeFileSync(path, loraGguf(demo.config, await loraFactors(lora), { name: 'webtune-demo-lora', dtype: 'f32' }));
      expect(await llamaGreedy(f32, prompt(), 256, path)).toEqual(ours);
      // The F16 adapter (the studio's default) on the F16 base: the same tokens here too.
      const f16 = await loadGguf('demo-f16-base.gguf', modelGguf({ name: 'webtune-demo', config: demo.config, weights: host, tokenizerFiles: demo.tokenizerFiles }, 'f16'));
      const path16 = join(dir, 'demo-lora-f16.gguf');
      writeFileSync(path16, loraGguf(demo.config, await loraFactors(lora), { name: 'webtune-demo-lora', dtype: 'f16' }));
      expect(await llamaGreedy(f16, prompt(), 256, path16)).toEqual(ours);
      mergedMap.forEach((t) => t.dispose());
      state.dispose();
    });
  });

  // Tiny random Llama-family models with the demo tokenizer (as scripts/make-tiny-model.ts writes them).
  const tokenizerFiles = {
    'tokenizer.json': new Uint8Array(readFileSync(join(DEMO, 'tokenizer.json'))),
    'tokenizer_config.json': new Uint8Array(readFileSync(join(DEMO, 'tokenizer_config.json'))),
  };
  const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
  const tokenizer = new HfTokenizer(dec(tokenizerFiles['tokenizer.json']), dec(tokenizerFiles['tokenizer_config.json']));
  const variants = TINY_VARIANTS.filter((v) => v.family !== 'gpt2');
  describe.each(variants)('tiny $name', ({ family, over }) => {
    const raw = tinyRawConfig(family, { ...over, vocab_size: 4096, bos_token_id: 4095, eos_token_id: 4095, max_position_embeddings: 64 });
    const config = parseModelConfig(raw);
    const host = tinyCheckpointWeights(config, 3, 0.2);
    const prompt = [464, 1000, 17, 2203, 99];

    it('loads, tokenizes like ours, and generates our greedy tokens; its GGUF LoRA matches our merge', async () => {
      await initNodeBackend();
      const weights = toMap(host);
      const model = await loadGguf(`${family}.gguf`, modelGguf({ name: `tiny-${family}`, config, weights: host, tokenizerFiles }, 'f32'));
      for (const text of TEXTS) expect(Array.from(model.tokenize(text, false)), JSON.stringify(text)).toEqual(tokenizer.encode(text));
      const ours = await generate(config, weights, undefined, prompt, { maxNewTokens: N, temperature: 0 });
      expect(await llamaGreedy(model, prompt, 64)).toEqual(ours);

      const { state, lora } = randomLora(config, weights, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 11);
      const mergedMap = toMap(await mergedWeights(weights, state));
      const tuned = await generate(config, mergedMap, undefined, prompt, { maxNewTokens: N, temperature: 0 });
      expect(tuned).not.toEqual(ours);
      const path = join(dir, `${family}-lora.gguf`);
      writeFileSync(path, loraGguf(config, await loraFactors(lora), { name: `tiny-${family}-lora`, dtype: 'f32' }));
      expect(await llamaGreedy(model, prompt, 64, path)).toEqual(tuned);
      state.dispose();
      [weights, mergedMap].forEach((m) => m.forEach((t) => t.dispose()));
      await model.dispose();
    });
  });
});
