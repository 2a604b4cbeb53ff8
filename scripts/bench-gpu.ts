// Training benchmark on a real GPU: our engine on tfjs-backend-webgpu through Dawn for Node, beside PyTorch on the same
// GPU (fp32 with TF32 off, and with TF32 on), for the demo model, a GPT-2-124M-shaped and a SmolLM2-135M-shaped config
// (random weights from the config), LoRA and full: tokens/s, share of the GPU's fp32 peak, readbacks and GPU
// dispatches per step, ratio to PyTorch. Carried to a GPU machine without Node.js by scripts/gpu-bundle.sh.
// `npm run bench:gpu -- [--json] [--steps N] [--configs demo,gpt2-124m,smollm2-135m] [--methods lora,full]
//   [--batch 4] [--seq 256] [--peak-tflops X] [--no-peer] [--python python3] [--peer-script scripts/bench_peer.py]
//   [--ablate adamw,...]` (--ablate: also a row without each named speedup, to show what it buys on this GPU)
// Exits 2 with a plain message when Dawn finds no GPU adapter. `--smoke`: tiny GPT-2 and Llama shapes, one step, on
// wasm (cpu in the bundle) with the peer on the CPU, so the tests check everything but the GPU itself (never a speed).
// `--dry-run`: tiny shapes on Dawn's Null backend (shaders validated and compiled, nothing computed; no peer): the
// Dawn path checked on a machine without a GPU (--configs, --batch, --seq apply).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initDawnBackend, NoGpuAdapterError, type DawnAdapterInfo } from '../lib/cli/dawn-backend';
import { fsSource } from '../lib/cli/fs-source';
import { OurBench, stepFlops } from '../lib/engine/bench';
import { fp32Peak } from '../lib/engine/gpu-peaks';
import { loadModelFolder } from '../lib/engine/loader';
import { disposeWeights, initWeights } from '../lib/engine/model';
import { parseModelConfig } from '../lib/engine/model-config';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { SPEEDUPS, type Speedup } from '../lib/engine/speedups';
import { isGpt2, type LoraConfig, type ModelConfig, type WeightMap } from '../lib/engine/types';
import gpt2Json from './model-configs/gpt2/config.json';
import smollmJson from './model-configs/smollm2-135m/config.json';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/webtune-demo' },
    steps: { type: 'string' },
    'peer-steps': { type: 'string', default: '10' },
    configs: { type: 'string' },
    methods: { type: 'string', default: 'lora,full' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    'peak-tflops': { type: 'string' },
    python: { type: 'string', default: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3' },
    'peer-script': { type: 'string', default: join(dirname(process.argv[1] ?? '.'), 'bench_peer.py') },
    json: { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    ablate: { type: 'string', default: '' },
  },
});
const dryRun = values['dry-run'];
const smoke = values.smoke;
const tiny = smoke || dryRun;

type Method = 'lora' | 'full';

interface GpuConfig {
  name: string;
  note: string;
  config(): Promise<ModelConfig>;
  weights(config: ModelConfig): Promise<WeightMap>;
}

/** A random-init config; its weights are made only when its rows run. */
const shape = (name: string, note: string, raw: Record<string, unknown>): GpuConfig => ({
  name, note, config: async () => parseModelConfig(raw), weights: async (config) => initWeights(config, 1),
});

const CONFIGS: Record<string, GpuConfig> = {
  demo: {
    name: 'demo', note: `${values.model} (4.3M parameters, its trained weights)`,
    config: async () => parseModelConfig(JSON.parse(readFileSync(join(resolve(values.model!), 'config.json'), 'utf8'))),
    weights: async () => (await loadModelFolder('demo', fsSource(resolve(values.model!)))).weights,
  },
  'gpt2-124m': shape('gpt2-124m', 'GPT-2 small (124M: 12 layers, C 768, vocab 50257), random init', gpt2Json),
  'smollm2-135m': shape('smollm2-135m', 'SmolLM2-135M (Llama: 30 layers, C 576, 9 heads / 3 KV, vocab 49152, tied), random init', smollmJson),
  'tiny-gpt2': shape('tiny-gpt2', 'smoke: 2 layers, C 32', { ...gpt2Json, vocab_size: 64, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4 }),
  'tiny-llama': shape('tiny-llama', 'smoke: 2 layers, C 32, 4 heads / 2 KV',
    { ...smollmJson, vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, max_position_embeddings: 64 }),
};

/** The benchmark's LoRA: r 8, alpha 16 on attention and (GPT-2) the MLP output, as the PyTorch peer adapts. */
function benchLora(c: ModelConfig): LoraConfig {
  return { ...DEFAULT_LORA, dropout: 0, targetModules: isGpt2(c) ? ['c_attn', 'c_proj'] : ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
}

interface PeerRow {
  config: string;
  method: Method;
  tf32: 'off' | 'on' | null; // null: the CPU (smoke)
  tokensPerSec: number;
  deviceName: string;
}

interface Row {
  config: string;
  method: Method;
  speedups: Speedup[]; // all, or all but the one --ablate names
  backend: string;
  batch: number;
  seqLen: number;
  tokensPerSec: number;
  stepMs: number;
  gflops: number;
  peakShare: number | null; // of the fp32 peak
  dispatches: number;
  readbacks: number;
  measuredPeakBytes: number;
  plannedBytes: number;
  peerTokensPerSec: number | null; // PyTorch fp32, TF32 off
  peerTf32TokensPerSec: number | null;
  peerThreads: null; // the issue's row shape; a GPU peer has no thread setting
  peerPeakShare: number | null;
  ratio: number | null; // ours / PyTorch fp32
  ratioTf32: number | null;
  flopsPerStep: number;
}

async function ourRow(c: GpuConfig, config: ModelConfig, weights: WeightMap, method: Method, B: number, T: number, steps: number, backend: string, speedups: Speedup[]): Promise<Row> {
  const lora = benchLora(config);
  const bench = new OurBench({ config, weights, method, batch: B, seqLen: T, lora }, speedups);
  try {
    await bench.time(1, false); // compiles every program of this shape
    await bench.time(steps);
    const t = bench.timing();
    const p = await bench.profile();
    return {
      config: c.name, method, speedups, backend, batch: B, seqLen: T, tokensPerSec: t.tokensPerSec, stepMs: t.stepMs, gflops: t.gflops, peakShare: null,
      dispatches: p.dispatches, readbacks: p.readbacks, measuredPeakBytes: p.measuredPeakBytes, plannedBytes: p.plannedBytes,
      peerTokensPerSec: null, peerTf32TokensPerSec: null, peerThreads: null, peerPeakShare: null, ratio: null, ratioTf32: null, flopsPerStep: stepFlops(config, method, B, T, lora),
    };
  } finally {
    bench.dispose();
  }
}

/** PyTorch on the same GPU, every row in one process (one CUDA start), TF32 off and on. */
function peerRows(jobs: { name: string; config: ModelConfig; method: Method; batch: number; seq: number }[], steps: number, device: 'cuda' | 'cpu'): PeerRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'webtune-peer-'));
  const file = join(dir, 'jobs.json');
  writeFileSync(file, JSON.stringify(jobs.map((j) => ({ ...j, steps }))));
  try {
    const out = execFileSync(values.python!, [values['peer-script']!, '--jobs', file, '--device', device, '--tf32', 'off,on'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as PeerRow);
  } catch (e) {
    console.error(`PyTorch peer failed (${values.python} ${values['peer-script']} --device ${device}): ${(e as Error).message.split('\n')[0]}`);
    return [];
  }
}

const f0 = (n: number | null) => (n == null ? '-' : n.toFixed(0));
const pct = (n: number | null) => (n == null ? '-' : `${(100 * n).toFixed(1)}%`);
const x3 = (n: number | null) => (n == null ? '-' : n.toFixed(3));
const MiB = (n: number) => (n / 2 ** 20).toFixed(0);

function printTable(rows: Row[]): void {
  console.log('| config | method | speedups | batch x seq | tokens/s | step ms | GFLOP/s | of fp32 peak | dispatches | readbacks | peak / plan MiB | PyTorch fp32 tokens/s | PyTorch TF32 tokens/s | PyTorch fp32 of peak | ours / PyTorch fp32 | ours / PyTorch TF32 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const missing = SPEEDUPS.filter((x) => !r.speedups.includes(x));
    console.log(`| ${r.config} | ${r.method} | ${missing.length ? `all but ${missing.join(', ')}` : 'all'} | ${r.batch} x ${r.seqLen} | ${f0(r.tokensPerSec)} | ${r.stepMs.toFixed(1)} | ${r.gflops.toFixed(0)} | ${pct(r.peakShare)} | ${r.dispatches} | ${r.readbacks} | ` +
      `${MiB(r.measuredPeakBytes)} / ${MiB(r.plannedBytes)} | ${f0(r.peerTokensPerSec)} | ${f0(r.peerTf32TokensPerSec)} | ${pct(r.peerPeakShare)} | ${x3(r.ratio)} | ${x3(r.ratioTf32)} |`);
  }
}

function describeAdapter(a: DawnAdapterInfo): string {
  return [a.description, a.vendor, a.architecture, a.device].filter(Boolean).join(' / ');
}

/** The GPU through Dawn, or (smoke) wasm; null with the reason printed when Dawn has no GPU adapter. */
async function start(): Promise<{ name: string; detail: string; adapter: DawnAdapterInfo | null } | null> {
  if (smoke) {
    const { initNodeBackend } = await import('../lib/cli/node-backend');
    const info = await initNodeBackend('auto'); // wasm; cpu where wasm cannot start (the bundle carries no .wasm)
    return { name: `${info.backend} (${info.adapter})`, detail: 'smoke: not a GPU', adapter: null };
  }
  try {
    const { backend, adapter } = await initDawnBackend({ nullBackend: dryRun });
    if (dryRun) return { name: 'webgpu (Dawn Null backend)', detail: 'dry run: shaders compiled, nothing computed, numbers meaningless', adapter: null };
    return { name: `webgpu (Dawn: ${describeAdapter(adapter)})`, detail: backend.adapter, adapter };
  } catch (e) {
    if (!(e instanceof NoGpuAdapterError)) throw e;
    console.error(`bench:gpu: ${e.message}`);
    return null;
  }
}

async function main(): Promise<number> {
  const started = await start();
  if (!started) return 2;
  const { adapter } = started;
  // Smoke and dry runs default to tiny shapes and one step; a dry run takes --configs, --batch, --seq as given.
  const num = (v: string | undefined, normal: number, small: number) => Number(v ?? (tiny ? small : normal));
  const [B, T, steps] = [num(values.batch, 4, 1), num(values.seq, 256, 16), num(values.steps, 3, 1)];
  const methods = values.methods!.split(',') as Method[];
  const names = smoke || !values.configs ? (tiny ? 'tiny-gpt2,tiny-llama' : 'demo,gpt2-124m,smollm2-135m') : values.configs;
  const configs = names.split(',').map((n) => {
    const c = CONFIGS[n];
    if (!c) throw new Error(`--configs: unknown config ${n} (${Object.keys(CONFIGS).join(', ')})`);
    return c;
  });
  const ablate = values.ablate!.split(',').filter(Boolean) as Speedup[];
  for (const a of ablate) if (!SPEEDUPS.includes(a)) throw new Error(`--ablate: unknown speedup ${a} (${SPEEDUPS.join(', ')})`);
  const backendName = started.name;
  console.log(`${backendName}; ${started.detail}; fastest of ${steps} steps after a compiling warm-up; PyTorch: fastest of ${smoke ? 2 : values['peer-steps']} after one`);
  // PyTorch first (a minute at most): where the command is stopped at its time limit, the peer's lines are out.
  const shapes = await Promise.all(configs.map((c) => c.config()));
  const jobs = configs.flatMap((c, i) => methods.map((method) => ({ name: c.name, config: shapes[i], method, batch: B, seq: T })));
  const peer = values['no-peer'] || dryRun ? [] : peerRows(jobs, smoke ? 2 : Number(values['peer-steps']), smoke ? 'cpu' : 'cuda');
  for (const p of peer) console.log(`PyTorch ${p.config} ${p.method}${p.tf32 ? ` TF32 ${p.tf32}` : ''}: ${p.tokensPerSec.toFixed(0)} tokens/s`);
  const rows: Row[] = [];
  for (const [i, c] of configs.entries()) {
    console.log(`${c.name}: ${c.note}`);
    const weights = await c.weights(shapes[i]);
    for (const method of methods) {
      for (const drop of [null, ...ablate]) {
        const row = await ourRow(c, shapes[i], weights, method, B, T, steps, backendName, SPEEDUPS.filter((x) => x !== drop));
        console.log(`  ${method}${drop ? ` without ${drop}` : ''}: ${row.tokensPerSec.toFixed(0)} tokens/s, ${row.dispatches} dispatches and ${row.readbacks} readback(s) per step`);
        rows.push(row);
      }
    }
    disposeWeights(weights);
  }
  const given = values['peak-tflops'] ? { name: 'given', fp32Tflops: Number(values['peak-tflops']) } : null;
  const peak = given ?? fp32Peak(adapter?.description, adapter?.device, peer[0]?.deviceName);
  console.log(peak ? `fp32 peak used: ${peak.fp32Tflops} TFLOP/s (${peak.name}; non-tensor-core FMA at boost clock)` : 'fp32 peak: unknown GPU (pass --peak-tflops)');
  if (peer[0]) console.log(`PyTorch: ${peer[0].deviceName}; the same step (AdamW, clip 1.0), attention as explicit matmuls like ours, random init`);
  for (const r of rows) {
    const p = (tf32: string) => peer.find((q) => q.config === r.config && q.method === r.method && (q.tf32 ?? 'off') === tf32)?.tokensPerSec ?? null;
    r.peerTokensPerSec = p('off');
    r.peerTf32TokensPerSec = p('on');
    r.ratio = r.peerTokensPerSec ? r.tokensPerSec / r.peerTokensPerSec : null;
    r.ratioTf32 = r.peerTf32TokensPerSec ? r.tokensPerSec / r.peerTf32TokensPerSec : null;
    if (peak) {
      r.peakShare = (r.gflops * 1e9) / (peak.fp32Tflops * 1e12);
      r.peerPeakShare = r.peerTokensPerSec ? (r.flopsPerStep * r.peerTokensPerSec) / (B * T) / (peak.fp32Tflops * 1e12) : null;
    }
  }
  printTable(rows);
  if (values.json) console.log(JSON.stringify({ gpu: peak?.name ?? (adapter ? describeAdapter(adapter) : null), fp32PeakTflops: peak?.fp32Tflops ?? null, adapter, rows }));
  return 0;
}

// Dawn keeps the process alive after the work is done: leave explicitly.
process.exit(await main());
