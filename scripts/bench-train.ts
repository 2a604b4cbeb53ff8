// Training benchmark in Node: our engine (tfjs-wasm by default) beside PyTorch on the same CPU in the same run, for the
// demo model and a GPT-2-small-shaped config, LoRA and full: tokens/s, forward/backward/optimizer split, dispatches,
// readbacks, measured peak bytes beside the memory plan, GFLOP/s, and plain tfjs beside each optimisation.
// The optimised step also runs in a Web Worker in headless Chromium on a cross-origin isolated page (scripts/browser-wasm.ts),
// where tfjs-wasm gets its thread pool (Node's tfjs-wasm has one thread), in the same rounds.
// `npm run bench -- [--json] [--smoke] [--steps N] [--rounds N] [--configs demo,gpt2-small-2l] [--methods lora,full] [--no-peer] [--browser off]`
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { OurBench, stepFlops, type OurRow } from '../lib/engine/bench';
import { disposeWeights, initGpt2Weights } from '../lib/engine/gpt2';
import { loadModelFolder } from '../lib/engine/loader';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { SPEEDUPS, WEBGPU_ONLY, type Speedup } from '../lib/engine/speedups';
import type { Gpt2Config, LoraConfig, WeightMap } from '../lib/engine/types';
import { BrowserWasm, type BrowserTiming } from './browser-wasm';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/webtune-demo' },
    steps: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    configs: { type: 'string', default: 'demo,gpt2-small-2l' },
    methods: { type: 'string', default: 'lora,full' },
    backend: { type: 'string', default: 'wasm' },
    json: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    browser: { type: 'string', default: 'on' },
  },
});

interface BenchConfig {
  name: string;
  batch: number;
  seqLen: number;
  load(): Promise<{ config: Gpt2Config; weights: WeightMap }>;
  peerArgs: string[];
  variants: Speedup[][]; // speedup sets to run; [] is plain tfjs, the last one is the optimised path
  note: string;
}

const gpt2 = (over: Partial<Gpt2Config>): Gpt2Config => ({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5, ...over });
const randomModel = (config: Gpt2Config) => async () => ({ config, weights: initGpt2Weights(config, 1) });
// Cumulative: plain tfjs, then each optimisation added in turn, so each row shows what the last one bought.
const CPU_SPEEDUPS = SPEEDUPS.filter((s) => !WEBGPU_ONLY.includes(s)); // the others are no-ops here
const ABLATION: Speedup[][] = CPU_SPEEDUPS.map((_, i) => CPU_SPEEDUPS.slice(0, i)).concat([[...SPEEDUPS]]);

const CONFIGS: Record<string, BenchConfig> = {
  demo: {
    name: 'demo', batch: 4, seqLen: 128, peerArgs: ['--model', values.model!], variants: ABLATION, note: 'public/models/webtune-demo (4.3M parameters)',
    load: async () => (await loadModelFolder('demo', fsSource(resolve(values.model!)))) as { config: Gpt2Config; weights: WeightMap },
  },
  'gpt2-small-2l': {
    // GPT-2 small's widths and vocabulary with 2 of its 12 layers: 12 layers at 4 x 128 take minutes per step here.
    name: 'gpt2-small-2l', batch: 4, seqLen: 128, peerArgs: [], variants: [[...SPEEDUPS]], load: randomModel(gpt2({ n_layer: 2 })),
    note: 'GPT-2 small shape (C 768, 12 heads, vocab 50257) with 2 layers, random init; optimised path only (plain tfjs: minutes per step)',
  },
  smoke: {
    name: 'smoke', batch: 1, seqLen: 16, peerArgs: [], variants: [[], [...SPEEDUPS]], load: randomModel(gpt2({ vocab_size: 64, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4 })),
    note: 'tiny shape, one step: checks that the suite runs, not a speed',
  },
};

interface Peer {
  threads: number;
  tokensPerSec: number;
}

function peer(c: BenchConfig, config: Gpt2Config, method: string, threads: number, steps: number): Peer | null {
  if (values['no-peer']) return null;
  const shape = ['--config-json', JSON.stringify(config)];
  const args = ['scripts/bench_peer.py', ...(c.peerArgs.length ? c.peerArgs : shape), '--method', method, '--batch', String(c.batch), '--seq', String(c.seqLen), '--steps', String(steps + 1), '--threads', String(threads)];
  try {
    // OpenBLAS keeps its own thread pool: pin it too, or "1 thread" still runs BLAS on every core.
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    const out = JSON.parse(execFileSync('/usr/bin/python3', args, { env, encoding: 'utf8' }).trim().split('\n').pop()!);
    return { threads, tokensPerSec: out.tokensPerSec };
  } catch (e) {
    console.error(`PyTorch peer unavailable (/usr/bin/python3 with python3-torch): ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

interface Row extends OurRow {
  /** 'node': tfjs-wasm in Node (one thread); 'chromium': in a Web Worker in headless Chromium, `threads` threads. */
  where: 'node' | 'chromium';
  threads: number;
  config: string;
  method: string;
  backend: string;
  batch: number;
  seqLen: number;
  peerTokensPerSec: number | null;
  peerThreads: number | null;
  peerByThreads: Record<string, number>;
  peerGflops: number | null;
  ratio: number | null;
}

/** The faster of the peer's thread settings, best over rounds. */
function bestPeer(runs: (Peer | null)[]): { best: Peer | null; byThreads: Record<string, number> } {
  const byThreads: Record<string, number> = {};
  for (const p of runs) if (p) byThreads[p.threads] = Math.max(byThreads[p.threads] ?? 0, p.tokensPerSec);
  const [threads, tokensPerSec] = Object.entries(byThreads).sort((a, b) => b[1] - a[1])[0] ?? [];
  return { best: threads ? { threads: Number(threads), tokensPerSec } : null, byThreads };
}

/** Rows of one config and method: every variant and both peer settings interleaved, round after round. */
async function runMethod(c: BenchConfig, config: Gpt2Config, weights: WeightMap, method: 'lora' | 'full', steps: number, rounds: number, backend: string, host: BrowserWasm | null): Promise<Row[]> {
  const lora: LoraConfig = { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'], dropout: 0 };
  const setup = { config, weights, method, batch: c.batch, seqLen: c.seqLen, lora };
  const benches = c.variants.map((v) => new OurBench(setup, v));
  // The browser's worker holds the same shapes with random weights (speed does not depend on their values).
  const inBrowser = host ? await host.open({ config, method, batch: c.batch, seqLen: c.seqLen, lora }, true) : null;
  const runs: (Peer | null)[] = [];
  const timings = [];
  let browserTiming: BrowserTiming | null = null;
  try {
    for (const b of benches) await b.time(1, false); // warm-up
    for (let r = 0; r < rounds; r++) {
      runs.push(peer(c, config, method, 1, steps));
      for (const b of benches) await b.time(steps);
      if (inBrowser) browserTiming = await inBrowser.time(steps);
      runs.push(peer(c, config, method, 2, steps));
    }
    for (const b of benches) timings.push(b.timing());
  } finally {
    for (const b of benches) b.dispose();
    await inBrowser?.close();
  }
  const { best, byThreads } = bestPeer(runs);
  const flops = stepFlops(config, method, c.batch, c.seqLen, lora);
  const rows: Row[] = [];
  for (const [i, v] of c.variants.entries()) {
    const fresh = new OurBench(setup, v); // alone, so the peak is this row's own
    await fresh.time(1, false);
    const prof = await fresh.profile();
    fresh.dispose();
    const o = { ...timings[i], ...prof };
    rows.push({
      ...o, where: 'node', threads: 1, config: c.name, method, backend, batch: c.batch, seqLen: c.seqLen, peerTokensPerSec: best?.tokensPerSec ?? null,
      peerThreads: best?.threads ?? null, peerByThreads: byThreads, ratio: best ? o.tokensPerSec / best.tokensPerSec : null,
      peerGflops: best ? (flops * best.tokensPerSec) / (c.batch * c.seqLen) / 1e9 : null,
    });
  }
  if (inBrowser && browserTiming) {
    // Dispatches, readbacks and memory are the Node row's business: the same step, counted there.
    rows.push({
      ...browserTiming, dispatches: NaN, readbacks: NaN, measuredPeakBytes: NaN, plannedBytes: NaN, topKernels: [],
      where: 'chromium', threads: inBrowser.threads, config: c.name, method, backend: `wasm in Chromium (${inBrowser.adapter})`, batch: c.batch, seqLen: c.seqLen,
      peerTokensPerSec: best?.tokensPerSec ?? null, peerThreads: best?.threads ?? null, peerByThreads: byThreads,
      ratio: best ? browserTiming.tokensPerSec / best.tokensPerSec : null, peerGflops: best ? (flops * best.tokensPerSec) / (c.batch * c.seqLen) / 1e9 : null,
    });
  }
  return rows;
}

async function runConfig(c: BenchConfig, methods: ('lora' | 'full')[], steps: number, rounds: number, backend: string, host: BrowserWasm | null): Promise<Row[]> {
  const { config, weights } = await c.load();
  const rows: Row[] = [];
  for (const method of methods) rows.push(...(await runMethod(c, config, weights, method, steps, rounds, backend, host)));
  disposeWeights(weights);
  return rows;
}

const MiB = (n: number) => (n / 2 ** 20).toFixed(0);
const f0 = (n: number | null | undefined) => (n == null || Number.isNaN(n) ? '-' : n.toFixed(0));

function printTable(rows: Row[]): void {
  console.log('| config | method | speedups | batch x seq | tokens/s | fwd / bwd / opt ms | dispatches | readbacks | peak / plan MiB | GFLOP/s | PyTorch 1t / 2t tokens/s | PyTorch GFLOP/s | ours / best PyTorch |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const named = r.speedups.filter((s) => !WEBGPU_ONLY.includes(s));
    const last = named.length ? `+${named[named.length - 1]}` : 'plain tfjs';
    const all = r.speedups.length === SPEEDUPS.length ? `${last} (all)` : last;
    const sp = r.where === 'chromium' ? `all, Chromium worker, ${r.threads} thread${r.threads === 1 ? '' : 's'}` : all;
    console.log(`| ${r.config} | ${r.method} | ${sp} | ${r.batch} x ${r.seqLen} | ${f0(r.tokensPerSec)} | ${f0(r.forwardMs)} / ${f0(r.backwardMs)} / ${f0(r.optimizerMs)} | ${f0(r.dispatches)} | ${f0(r.readbacks)} | ` +
      `${Number.isNaN(r.measuredPeakBytes) ? '-' : `${MiB(r.measuredPeakBytes)} / ${MiB(r.plannedBytes)}`} | ${r.gflops.toFixed(1)} | ${f0(r.peerByThreads[1])} / ${f0(r.peerByThreads[2])} | ${r.peerGflops?.toFixed(1) ?? '-'} | ${r.ratio?.toFixed(3) ?? '-'} |`);
  }
}

const smoke = values.smoke;
const steps = smoke ? 1 : Number(values.steps);
const rounds = smoke ? 1 : Number(values.rounds);
const names = smoke ? ['smoke'] : values.configs!.split(',');
const info = await initNodeBackend(values.backend as 'wasm' | 'cpu');
const backend = `${info.backend} (${info.adapter})`;
console.log(`${backend}; fastest of ${rounds} rounds x ${steps} steps after a warm-up, every row and PyTorch interleaved; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} ` +
  '(shared cores: absolute numbers are noisy, ratios come from the same run)');
const host = smoke || values.browser === 'off'
  ? null
  : await BrowserWasm.launch().catch((e: unknown) => (console.error(`Chromium rows left out (no headless Chromium: ${(e as Error).message.split('\n')[0]})`), null));
const rows: Row[] = [];
for (const name of names) {
  const c = CONFIGS[name];
  if (!c) throw new Error(`Unknown config ${name} (${Object.keys(CONFIGS).join(', ')})`);
  console.log(`${c.name}: ${c.note}`);
  rows.push(...(await runConfig(c, values.methods!.split(',') as ('lora' | 'full')[], steps, rounds, backend, host)));
}
await host?.close();
printTable(rows);
if (values.json) {
  const keep = ['config', 'method', 'backend', 'where', 'threads', 'batch', 'seqLen', 'tokensPerSec', 'peerTokensPerSec', 'peerThreads', 'ratio', 'plannedBytes', 'measuredPeakBytes',
    'speedups', 'forwardMs', 'backwardMs', 'optimizerMs', 'dispatches', 'readbacks', 'gflops', 'peerGflops', 'peerByThreads'] as const;
  console.log(JSON.stringify({ rows: rows.map((r) => Object.fromEntries(keep.map((k) => [k, r[k]]))) }));
}
