// Browser side of scripts/bench-threads.ts: times training steps of the demo-shaped model (or GPT-2 small's widths
// and vocabulary with 2 layers: ?shape=gpt2) on tfjs-wasm in the page (threaded when the page is cross-origin
// isolated) and leaves the result on window.benchResult.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../lib/engine/backend';
import { BenchStep } from '../lib/engine/bench-step';
import { initGpt2Weights } from '../lib/engine/gpt2';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';

async function main(): Promise<void> {
  setWasmPaths('/wasm/');
  const params = new URLSearchParams(location.search);
  // tfjs-wasm's default pool is half the logical cores (1 on a 2-core machine): ask for the count explicitly.
  if (params.get('threads')) setThreadsCount(Number(params.get('threads')));
  // ...and the pool is capped at that half whatever is asked, so the "all logical cores" run reports twice the count.
  if (params.get('allCores') === '1') Object.defineProperty(navigator, 'hardwareConcurrency', { value: navigator.hardwareConcurrency * 2, configurable: true });
  const info = await initBackend('wasm', { allowFallbackAdapter: false });
  const config = params.get('shape') === 'gpt2'
    ? { model_type: 'gpt2' as const, vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 2, n_head: 12, layer_norm_epsilon: 1e-5 }
    : { model_type: 'gpt2' as const, vocab_size: 4096, n_positions: 256, n_embd: 256, n_layer: 4, n_head: 4, layer_norm_epsilon: 1e-5 };
  const weights = initGpt2Weights(config, 1);
  const method = (params.get('method') ?? 'lora') as 'lora' | 'full';
  const step = new BenchStep({ config, weights, method, batch: 4, seqLen: 128, lora: { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'] }, lr: 1e-4, weightDecay: 0 });
  await step.run();
  const ms: number[] = [];
  for (let i = 0; i < Number(params.get('steps') ?? 3); i++) ms.push((await step.run()).totalMs);
  ms.sort((a, b) => a - b);
  const threads = getThreadsCount(); // what the wasm module's thread pool really has
  (window as unknown as { benchResult: unknown }).benchResult = {
    isolated: crossOriginIsolated, threads, multithreadSupport: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), adapter: info.adapter, tokensPerSec: step.tokens / (ms[Math.floor(ms.length / 2)] / 1000),
  };
}

main().catch((e) => ((window as unknown as { benchResult: unknown }).benchResult = { error: String(e) }));
