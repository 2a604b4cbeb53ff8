// Measures what a training step of a real model's shape really takes (random weights, tfjs wasm or cpu in Node)
// beside what the memory planner says, for the memory issue's targets. Prints a table and one JSON line.
// npx tsx scripts/measure-memory.ts [--backend wasm|cpu] [--only name] [--plan-only] [--weights f32|f16|int8]
// (--weights: LoRA targets load their block linears packed, as the studio's base-weights choice does)
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../lib/cli/node-backend';
import { defaultTrainConfig } from '../lib/engine/defaults';
import { measureTrainerPeak } from '../lib/engine/memory-measure';
import { formatBytes, planMemory, planModelFor, type WeightFormat } from '../lib/engine/memory-plan';
import { disposePacked, packInPlace } from '../lib/engine/packed-weights';
import { disposeWeights, initWeights } from '../lib/engine/model';
import { parseModelConfig } from '../lib/engine/model-config';
import { loraTargetPresets } from '../lib/engine/params';
import { planRequestFor } from '../lib/engine/run-plan';
import type { ModelConfig, TrainConfig } from '../lib/engine/types';

const { values } = parseArgs({ options: {
  backend: { type: 'string', default: 'wasm' }, only: { type: 'string' }, 'plan-only': { type: 'boolean', default: false },
  'max-gib': { type: 'string', default: '3' }, weights: { type: 'string', default: 'f32' }, // plans above this are not run (wasm's heap stops at 4 GiB)
} });

interface Target { name: string; dir: string; method: 'lora' | 'full'; B: number; T: number; limitGiB: number }
const TARGETS: Target[] = [
  { name: 'demo model', dir: 'public/models/webtune-demo', method: 'lora', B: 8, T: 128, limitGiB: 4 },
  { name: 'demo model', dir: 'public/models/webtune-demo', method: 'full', B: 8, T: 128, limitGiB: 4 },
  { name: 'SmolLM2-135M', dir: 'scripts/model-configs/smollm2-135m', method: 'lora', B: 4, T: 256, limitGiB: 2 },
  { name: 'GPT-2-124M', dir: 'scripts/model-configs/gpt2', method: 'full', B: 4, T: 256, limitGiB: 3.5 },
  // What wasm's 4 GiB heap can run of GPT-2 full fine-tuning, to check the plan on its shape.
  { name: 'GPT-2-124M', dir: 'scripts/model-configs/gpt2', method: 'full', B: 1, T: 256, limitGiB: 3.5 },
  { name: 'Qwen2.5-0.5B', dir: 'scripts/model-configs/qwen2.5-0.5b', method: 'lora', B: 1, T: 512, limitGiB: 4 },
];

function trainConfig(c: ModelConfig, t: Target, checkpointing: boolean): TrainConfig {
  const base = defaultTrainConfig(t.method);
  return { ...base, batchSize: t.B, seqLen: t.T, checkpointing, evalEvery: 0, lora: { ...base.lora, dropout: 0, targetModules: loraTargetPresets(c).presets.attention } };
}

const format = values.weights as WeightFormat;
if (!['f32', 'f16', 'int8'].includes(format)) throw new Error(`--weights must be f32, f16 or int8, got "${format}"`);
const formatFor = (t: Target): WeightFormat => (t.method === 'lora' ? format : 'f32');

function plan(c: ModelConfig, cfg: TrainConfig, t: Target) {
  return planMemory(planModelFor(c), planRequestFor(c, cfg, formatFor(t)), { budgetBytes: Infinity });
}

async function main() {
  if (!values['plan-only']) await initNodeBackend(values.backend as 'wasm' | 'cpu');
  const rows: Record<string, unknown>[] = [];
  for (const t of TARGETS.filter((x) => !values.only || x.name === values.only)) {
    const c = parseModelConfig(JSON.parse(readFileSync(join(t.dir, 'config.json'), 'utf8')));
    for (const checkpointing of [false, true]) {
      const cfg = trainConfig(c, t, checkpointing);
      const p = plan(c, cfg, t);
      let measured: number | null = null;
      // wasm's heap stops at 4 GiB: a plan near it aborts the process (GPT-2 full 4 x 256 at 3.25 GiB did), so it is not run.
      const runs = !values['plan-only'] && (values.backend !== 'wasm' || p.total < Number(values['max-gib']) * 1024 ** 3);
      if (runs) {
        const w = initWeights(c, 1);
        const f = formatFor(t);
        const packed = f === 'f32' ? undefined : await packInPlace(c, w, f);
        const baseBytes = tf.memory().numBytes;
        measured = baseBytes + (await measureTrainerPeak(c, w, cfg, 1, undefined, packed));
        disposeWeights(w);
        packed?.forEach(disposePacked);
      }
      const row = { model: t.name, method: t.method, weights: formatFor(t), batch: t.B, seqLen: t.T, checkpointing, plannedBytes: p.total, measuredPeakBytes: measured, targetBytes: t.limitGiB * 1024 ** 3 };
      rows.push(row);
      console.log(`${t.name.padEnd(14)} ${t.method.padEnd(5)} ${formatFor(t).padEnd(4)} ${`${t.B}x${t.T}`.padEnd(8)} ckpt ${checkpointing ? 'on ' : 'off'}  plan ${formatBytes(p.total).padStart(10)}  measured ${measured === null ? '-'.padStart(10) : formatBytes(measured).padStart(10)}  ${measured ? (p.total / measured).toFixed(2) : ''}  target ${t.limitGiB} GiB`);
    }
  }
  console.log(JSON.stringify({ rows }));
}

main().catch((e) => { console.error(e); process.exit(1); });
