// Training speed of the demo model: our engine on tfjs-wasm in Node beside PyTorch on the CPU (the peer), same
// shapes, same step (AdamW, clip 1.0). Prints a table and one JSON line. `npm run bench -- [--steps N]`.
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { defaultTrainConfig } from '../lib/engine/defaults';
import { loadGpt2Folder } from '../lib/engine/loader';
import { mulberry32 } from '../lib/engine/random';
import { Trainer } from '../lib/engine/trainer';
import type { Example, Method } from '../lib/engine/types';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/webtune-demo' },
    steps: { type: 'string', default: '6' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '128' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const seq = Number(values.seq);

async function ours(method: Method): Promise<number> {
  const model = await loadGpt2Folder('demo', fsSource(resolve(values.model!)));
  const rng = mulberry32(1);
  // Random ids of exactly `seq` tokens: speed does not depend on content, and every batch has one shape.
  const data: Example[] = Array.from({ length: 64 }, () => ({
    ids: Array.from({ length: seq }, () => Math.floor(rng() * model.config.vocab_size)),
    mask: Array(seq).fill(1),
  }));
  const cfg = { ...defaultTrainConfig(method), steps, batchSize: batch, seqLen: seq, evalEvery: 0, warmupSteps: 0 };
  cfg.lora = { ...cfg.lora, targetModules: ['c_attn', 'c_proj'], dropout: 0 };
  const rates: number[] = [];
  let prev = { t: performance.now(), tokens: 0 };
  const trainer = new Trainer(model, data, [], cfg, {
    onStep: (m) => {
      const t = performance.now();
      if (m.step > 1) rates.push(((m.tokens - prev.tokens) / (t - prev.t)) * 1000); // the first step warms up
      prev = { t, tokens: m.tokens };
    },
  });
  await trainer.run();
  trainer.dispose();
  model.weights.forEach((w) => w.dispose());
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

function peer(method: Method): { peer: string; tokensPerSec: number } | null {
  try {
    const out = execFileSync('/usr/bin/python3', ['scripts/bench_peer.py', '--model', values.model!, '--method', method, '--batch', String(batch), '--seq', String(seq), '--steps', String(steps)], {
      env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' },
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (e) {
    console.error(`PyTorch peer unavailable (/usr/bin/python3 with python3-torch): ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

const backend = await initNodeBackend();
const rows = [];
for (const method of ['lora', 'full'] as Method[]) {
  const ourRate = await ours(method);
  const p = peer(method);
  rows.push({ method, backend: `${backend.backend} (${backend.adapter})`, tokensPerSec: ourRate, peer: p?.peer ?? null, peerTokensPerSec: p?.tokensPerSec ?? null, ratio: p ? ourRate / p.tokensPerSec : null });
}
console.log(`demo model, batch ${batch} x ${seq} tokens, median of ${steps - 1} steps`);
console.log('| method | ours (tokens/s) | peer (tokens/s) | ours / peer |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.method} | ${r.tokensPerSec.toFixed(0)} | ${r.peerTokensPerSec?.toFixed(0) ?? '-'} | ${r.ratio?.toFixed(3) ?? '-'} |`);
console.log(JSON.stringify({ batch, seq, steps, rows }));
