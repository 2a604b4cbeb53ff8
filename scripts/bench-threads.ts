// Does multithreaded wasm help here? Trains the demo-shaped model (or GPT-2 small's widths and vocabulary with
// 2 layers: --shape gpt2, the `npm run bench` config) on tfjs-wasm in a Web Worker in headless Chromium, once on a
// cross-origin isolated page (COOP same-origin + COEP credentialless, as next.config.ts sends: the thread pool of
// lib/engine/wasm-threads.ts) and once not (one thread), alternating round after round.
// `npm run bench:threads -- [--rounds 2] [--method lora|full] [--steps 3] [--shape demo|gpt2]`
import { parseArgs } from 'node:util';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import type { Gpt2Config } from '../lib/engine/types';
import { BrowserWasm } from './browser-wasm';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, method: { type: 'string', default: 'lora' }, steps: { type: 'string', default: '3' }, shape: { type: 'string', default: 'demo' } },
});
const config: Gpt2Config = values.shape === 'gpt2'
  ? { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 2, n_head: 12, layer_norm_epsilon: 1e-5 }
  : { model_type: 'gpt2', vocab_size: 4096, n_positions: 256, n_embd: 256, n_layer: 4, n_head: 4, layer_norm_epsilon: 1e-5 };
const setup = { config, method: values.method as 'lora' | 'full', batch: 4, seqLen: 128, lora: { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'], dropout: 0 } };

const host = await BrowserWasm.launch();
const rows: { round: number; isolated: boolean; threads: number; tokensPerSec: number }[] = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const isolated of [true, false]) {
      const bench = await host.open(setup, isolated);
      const t = await bench.time(Number(values.steps));
      rows.push({ round, isolated, threads: bench.threads, tokensPerSec: t.tokensPerSec });
      await bench.close();
    }
  }
} finally {
  await host.close();
}
console.log(`${values.shape === 'gpt2' ? 'GPT-2-small-shaped model, 2 layers' : 'demo-shaped model'} (random init), ${values.method}, batch 4 x 128, tfjs-wasm in a Web Worker in headless Chromium`);
console.log('| round | cross-origin isolated | wasm threads | tokens/s (fastest step) |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.round} | ${r.isolated} | ${r.threads} | ${r.tokensPerSec.toFixed(0)} |`);
console.log(JSON.stringify({ rows }));
