// Every registered method (METHOD_SPECS) on the demo model, trained the same number of steps on the review-sentiment
// sample: trainable parameters, the memory plan, tokens/s on this machine's backend (wasm by default) and
// exact-match on the held-out split after training (scripts/exact-match.ts). Each run's download is written and read
// back as a user's would be (adapter folder or model folder). Prints a table, then one JSON line.
// npx tsx scripts/compare-methods.ts [--steps 60] [--batch 8] [--count 40] [--backend wasm|cpu] [--methods lora,ia3]
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readDataFile } from '../lib/cli/data-args';
import { fsSource } from '../lib/cli/fs-source';
import { loadAdapterFolder } from '../lib/cli/generate';
import { fitModulesToModel } from '../lib/cli/method-args';
import { initNodeBackend } from '../lib/cli/node-backend';
import { runPlanFor, WASM_HEAP_BYTES } from '../lib/cli/plan';
import { chooseTemplate } from '../lib/data/chat-template';
import { encodeConversations } from '../lib/data/encode-chat';
import { DEFAULT_CLEAN_OPTIONS, prepareRecords } from '../lib/data/prepare';
import { defaultTrainConfig } from '../lib/engine/defaults';
import { loadModelFolder, tokenizerConfigOf } from '../lib/engine/loader';
import { formatBytes } from '../lib/engine/memory-plan';
import { disposeWeights } from '../lib/engine/model';
import { METHOD_SPECS } from '../lib/engine/peft/registry';
import { Trainer } from '../lib/engine/trainer';
import { exportRun } from '../lib/export/run-export';
import { exactMatch } from './exact-match';

const { values: v } = parseArgs({
  options: {
    steps: { type: 'string', default: '60' }, batch: { type: 'string', default: '8' }, count: { type: 'string', default: '40' },
    backend: { type: 'string', default: 'wasm' }, methods: { type: 'string' },
    model: { type: 'string', default: 'public/models/webtune-demo' }, data: { type: 'string', default: 'public/samples/review-sentiment.alpaca.jsonl' },
  },
});
const steps = Number(v.steps);
const backend = await initNodeBackend(v.backend as 'wasm' | 'cpu');
const model = await loadModelFolder('webtune-demo', fsSource(v.model!));
const data = await readDataFile(v.data!, 'auto');
const template = chooseTemplate('auto', tokenizerConfigOf(model), data.shape);
const { train } = prepareRecords(data.records, DEFAULT_CLEAN_OPTIONS, { validation: 0.1, seed: 42 }).parts; // the split exact-match holds out
const chosen = v.methods ? v.methods.split(',') : METHOD_SPECS.map((s) => s.id as string);
const out = mkdtempSync(join(tmpdir(), 'webtune-compare-'));
const rows: Record<string, unknown>[] = [];

for (const spec of METHOD_SPECS.filter((s) => chosen.includes(s.id))) {
  const base = { ...defaultTrainConfig(spec.id), steps, batchSize: Number(v.batch), seqLen: 256, evalEvery: 0 };
  const cfg0 = fitModulesToModel(base, {}, model.config);
  const plan = runPlanFor(model.config, cfg0, WASM_HEAP_BYTES);
  const cfg = { ...cfg0, checkpointing: plan.checkpointing };
  const enc = encodeConversations(model.tokenizer, train, { template, seqLen: cfg.seqLen });
  let tokensPerSec = 0;
  let tokens = 0;
  const t0 = performance.now();
  const trainer = new Trainer(model, enc.examples, [], cfg, { onStep: (m) => ((tokensPerSec = m.tokensPerSec), (tokens = m.tokens)) });
  const result = await trainer.run();
  const seconds = (performance.now() - t0) / 1000;
  const bundle = await exportRun(trainer, model, cfg, { steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, trainExamples: enc.examples.length, tokens, backend: backend.backend, dataFile: v.data! });
  const params = trainer.trainableParamCount();
  trainer.dispose();
  const dir = join(out, spec.id);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(bundle.files)) writeFileSync(join(dir, name), bytes);
  // Read the download back as a user would: an adapter over the base model, or the exported model folder.
  let em;
  if (spec.exports === 'adapter') {
    const tuned = await loadAdapterFolder(dir, model.config, model.weights);
    em = await exactMatch(model, tuned, v.data!, Number(v.count));
    tuned.dispose();
  } else {
    const tunedModel = await loadModelFolder('tuned', fsSource(dir));
    em = await exactMatch(tunedModel, undefined, v.data!, Number(v.count));
    disposeWeights(tunedModel.weights);
  }
  const row = {
    method: spec.id, trainableParams: params, plannerParams: spec.trainableParams(model.config, cfg), planBytes: plan.total, checkpointing: plan.checkpointing,
    tokensPerSec: Math.round(tokensPerSec), seconds: Math.round(seconds), firstLoss: result.firstLoss, lastLoss: result.lastLoss, exact: em.exact, n: em.n,
  };
  rows.push(row);
  console.error(`${spec.id}: ${JSON.stringify(row)} e.g. ${JSON.stringify(em.samples[0])}`);
}

const pad = (s: string, n: number) => s.padStart(n);
console.log(`demo model, review-sentiment, ${steps} steps x batch ${v.batch}, ${backend.backend}:`);
console.log(`| method | trainable params | memory plan | tokens/s | loss first -> last | exact-match |\n| --- | ---: | ---: | ---: | --- | ---: |`);
for (const r of rows) {
  console.log(`| ${r.method} | ${pad((r.trainableParams as number).toLocaleString('en-US'), 9)} | ${formatBytes(r.planBytes as number)} | ${r.tokensPerSec} | ${(r.firstLoss as number).toFixed(3)} -> ${(r.lastLoss as number).toFixed(3)} | ${r.exact}/${r.n} |`);
}
console.log(JSON.stringify({ model: v.model, data: v.data, steps, batch: Number(v.batch), backend: backend.backend, rows }));
