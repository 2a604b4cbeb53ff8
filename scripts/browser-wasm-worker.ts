// Worker side of scripts/browser-wasm.ts: the benchmark's optimised training step (lib/engine/bench.ts, every
// speedup on) on tfjs-wasm inside a dedicated Web Worker, as the studio's training worker runs it: the backend is
// started by initBackend, so the thread pool is what lib/engine/wasm-threads.ts gives the page (threads when the
// page is cross-origin isolated). Messages: {type:'setup', setup} -> {type:'ready', threads, adapter};
// {type:'time', steps} -> {type:'timed', ...timing} (OurBench.timing: the fastest step so far); errors -> {type:'error'}.
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../lib/engine/backend';
import { OurBench } from '../lib/engine/bench';
import { initGpt2Weights } from '../lib/engine/gpt2';
import { SPEEDUPS } from '../lib/engine/speedups';
import type { Gpt2Config, LoraConfig } from '../lib/engine/types';

export interface WorkerBenchSetup {
  config: Gpt2Config;
  method: 'lora' | 'full';
  batch: number;
  seqLen: number;
  lora: LoraConfig;
}

let bench: OurBench | null = null;

self.onmessage = async (e: MessageEvent<{ type: 'setup'; setup: WorkerBenchSetup } | { type: 'time'; steps: number }>) => {
  try {
    if (e.data.type === 'setup') {
      setWasmPaths('/wasm/');
      const info = await initBackend('wasm', { allowFallbackAdapter: false });
      const { config } = e.data.setup;
      bench = new OurBench({ ...e.data.setup, weights: initGpt2Weights(config, 1) }, [...SPEEDUPS]);
      await bench.time(1, false); // compiles and warms the kernels
      postMessage({ type: 'ready', threads: getThreadsCount(), adapter: info.adapter });
    } else {
      await bench!.time(e.data.steps);
      postMessage({ type: 'timed', ...bench!.timing() });
    }
  } catch (err) {
    postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
