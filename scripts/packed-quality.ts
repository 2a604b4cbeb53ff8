// What storing the demo model's frozen weights packed (f16 / int8, lib/engine/packed-weights.ts) does to its outputs,
// on wasm in Node: the weights are quantized and dequantized (the emulation the wasm path uses), nothing else changes.
//   npx tsx scripts/packed-quality.ts base [count=40]            base-model loss and logit differences on held-out examples
//   npx tsx scripts/packed-quality.ts write <f16|int8> <outDir> [--with-wte]   a model folder with rounded weights (F32),
//     for `cli train --model <outDir>` and `scripts/sample-exact-match.ts <adapter> 40 <data> <outDir>`
// Last run (2026-12-01, wasm, review-sentiment, 40 held-out): the demo checkpoint is F16, so f16 packing is exact (0 change);
// int8 linears: answer loss 7.1860 -> 7.1853, logits 4.1e-3 relative, argmax agreement 98.75%. LoRA r16 (README settings),
// f32 vs int8 base: 60 steps 20/40 vs 20/40 (val loss 0.18501 vs 0.18502); 300 steps int8 37/40 (README f32: 37/40).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { chooseTemplate } from '../lib/data/chat-template';
import { parseDatasetText } from '../lib/data/dataset';
import { encodeConversation } from '../lib/data/encode-chat';
import { DEFAULT_CLEAN_OPTIONS, prepareRecords } from '../lib/data/prepare';
import { loadModelFolder, tokenizerConfigOf, type LoadedModel } from '../lib/engine/loader';
import { causalLmLoss } from '../lib/engine/loss';
import { forward } from '../lib/engine/model';
import { roundTrip, type PackedFormat } from '../lib/engine/packed-weights';
import { writeSafetensors } from '../lib/engine/safetensors';
import type { WeightMap } from '../lib/engine/types';

const MODEL = 'public/models/webtune-demo';
const DATA = 'public/samples/review-sentiment.alpaca.jsonl';
const LINEAR = /\.(c_attn|c_proj|c_fc)\.weight$/; // GPT-2 Conv1D weights [in, out]
const EMBED = /(^|\.)wte\.weight$/; // [V, C], also the tied lm head (out-in)

/** A copy of the weights with the frozen linears (and optionally the embedding) quantized and dequantized. */
function rounded(weights: WeightMap, format: PackedFormat, withWte: boolean): WeightMap {
  const out: WeightMap = new Map();
  for (const [k, t] of weights) {
    const linear = LINEAR.test(k);
    if (!linear && !(withWte && EMBED.test(k))) { out.set(k, t); continue; }
    const [rows, cols] = t.shape;
    const layout = linear ? 'in-out' : 'out-in';
    out.set(k, tf.tensor2d(roundTrip(t.dataSync() as Float32Array, rows, cols, format, layout), [rows, cols]));
  }
  return out;
}

interface Held { ids: number[]; mask: number[] }

function heldOut(m: LoadedModel, count: number): Held[] {
  const data = parseDatasetText(DATA, readFileSync(DATA, 'utf8'));
  const template = chooseTemplate('auto', tokenizerConfigOf(m), data.shape);
  const { validation } = prepareRecords(data.records, DEFAULT_CLEAN_OPTIONS, { validation: 0.1, seed: 42 }).parts; // the split `cli train --val-ratio 0.1` uses
  return validation.slice(0, count).map((rec) => encodeConversation(m.tokenizer, rec, { template }).example);
}

/** Per example: answer-token loss, logits [T, V] and the argmax at each answer position. */
function evaluate(m: LoadedModel, weights: WeightMap, ex: Held): { loss: number; logits: Float32Array; top: number[] } {
  const [loss, logits, top] = tf.tidy(() => {
    const ids = tf.tensor2d([ex.ids], [1, ex.ids.length], 'int32');
    const mask = tf.tensor2d([ex.mask], [1, ex.mask.length]);
    const lg = forward(m.config, weights, ids); // [1, T, V]
    return [causalLmLoss(lg, ids, mask), lg, tf.argMax(lg, -1)];
  });
  const out = { loss: loss.dataSync()[0], logits: logits.dataSync() as Float32Array, top: Array.from(top.dataSync() as Int32Array) };
  tf.dispose([loss, logits, top]);
  return out;
}

async function base(count: number): Promise<void> {
  const m = await loadModelFolder('webtune-demo', fsSource(MODEL));
  const held = heldOut(m, count);
  const ref = held.map((ex) => evaluate(m, m.weights, ex));
  const meanLoss = (xs: { loss: number }[]) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
  const rows: Record<string, unknown>[] = [{ weights: 'f32', meanLoss: meanLoss(ref) }];
  for (const [format, withWte] of [['f16', false], ['int8', false], ['f16', true], ['int8', true]] as const) {
    const w = rounded(m.weights, format, withWte);
    const got = held.map((ex) => evaluate(m, w, ex));
    let maxAbs = 0, maxRef = 0, agree = 0, answer = 0, maxLossDiff = 0;
    got.forEach((g, i) => {
      for (let j = 0; j < g.logits.length; j++) { maxAbs = Math.max(maxAbs, Math.abs(g.logits[j] - ref[i].logits[j])); maxRef = Math.max(maxRef, Math.abs(ref[i].logits[j])); }
      maxLossDiff = Math.max(maxLossDiff, Math.abs(g.loss - ref[i].loss));
      held[i].mask.forEach((mk, t) => { if (mk && t > 0) { answer++; if (g.top[t - 1] === ref[i].top[t - 1]) agree++; } });
    });
    rows.push({ weights: `${format}${withWte ? ' + wte/lm head' : ''}`, meanLoss: meanLoss(got), maxLossDiff, maxAbsLogitDiff: maxAbs, relLogitDiff: maxAbs / maxRef, answerTop1Agreement: agree / answer });
    for (const [k, t] of w) if (t !== m.weights.get(k)) t.dispose();
  }
  console.table(rows);
  console.log(JSON.stringify({ examples: held.length, rows }));
}

async function write(format: PackedFormat, outDir: string, withWte: boolean): Promise<void> {
  const m = await loadModelFolder('webtune-demo', fsSource(MODEL));
  const w = rounded(m.weights, format, withWte);
  const host = Object.fromEntries([...w].map(([k, t]) => [k, { data: t.dataSync() as Float32Array, shape: t.shape }]));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'model.safetensors'), writeSafetensors(host, { metadata: { format: 'pt' } }));
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) await copyFile(join(MODEL, f), join(outDir, f));
  console.log(JSON.stringify({ wrote: outDir, format, withWte }));
}

const [cmd, a1, a2, a3] = process.argv.slice(2);
await initNodeBackend('wasm');
if (cmd === 'base') await base(Number(a1 ?? 40));
else if (cmd === 'write' && (a1 === 'f16' || a1 === 'int8') && a2) await write(a1, a2, a3 === '--with-wte');
else throw new Error('usage: packed-quality.ts base [count] | write <f16|int8> <outDir> [--with-wte]');
