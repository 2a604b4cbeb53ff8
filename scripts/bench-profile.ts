// Where one training step's time goes on tfjs in Node (wasm by default): top kernels by milliseconds, dispatches,
// readbacks, peak bytes, the forward / backward / optimizer split, and the forward's own kernels.
// `npm run bench:profile -- [--method full] [--plain] [--shape '{"vocab_size":50257,...}']`.
import '@tensorflow/tfjs-backend-wasm';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { BenchStep } from '../lib/engine/bench-step';
import { initGpt2Weights } from '../lib/engine/gpt2';
import { loadModelFolder } from '../lib/engine/loader';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { kernelTable, profileStep } from '../lib/engine/profile';
import { setSpeedups } from '../lib/engine/speedups';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/webtune-demo' },
    method: { type: 'string', default: 'lora' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '128' },
    backend: { type: 'string', default: 'wasm' },
    plain: { type: 'boolean', default: false },
    top: { type: 'string', default: '20' },
    shape: { type: 'string' }, // a GPT-2 config.json as JSON, random init, instead of --model

  },
});

setSpeedups(!values.plain);
const info = await initNodeBackend(values.backend as 'wasm' | 'cpu');
const shape = values.shape ? { model_type: 'gpt2' as const, layer_norm_epsilon: 1e-5, ...JSON.parse(values.shape) } : null;
const model = shape ? { config: shape, weights: initGpt2Weights(shape, 1) } : await loadModelFolder('model', fsSource(resolve(values.model!)));
const method = values.method as 'lora' | 'full';
const step = new BenchStep({
  config: model.config, weights: model.weights, method, batch: Number(values.batch), seqLen: Number(values.seq),
  lora: { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'] }, lr: 1e-4, weightDecay: method === 'full' ? 0.01 : 0,
});
await step.run(); // warm-up
const t = await step.run();
const p = await profileStep(async () => void (await step.run()));
const fwd = await profileStep(async () => void step.forwardLoss());
console.log(`${values.shape ?? values.model} ${method} on ${info.backend} (${info.adapter}), batch ${values.batch} x ${values.seq}, ${values.plain ? 'plain tfjs' : 'optimised'}`);
console.log(`step ${t.totalMs.toFixed(0)} ms: forward ${t.forwardMs.toFixed(0)}, backward ${t.backwardMs.toFixed(0)}, optimizer ${t.optimizerMs.toFixed(0)}; ` +
  `${(step.tokens / (t.totalMs / 1000)).toFixed(0)} tokens/s`);
console.log(`profiled step: ${p.dispatches} dispatches, ${p.readbacks} readbacks, kernels ${p.kernelMs.toFixed(0)} ms, peak ${(p.peakBytes / 2 ** 20).toFixed(0)} MiB`);
console.log(kernelTable(p, Number(values.top)));
console.log(`\nforward and loss alone (no tape): ${fwd.dispatches} dispatches, kernels ${fwd.kernelMs.toFixed(0)} ms`);
console.log(kernelTable(fwd, Number(values.top)));
step.dispose();
