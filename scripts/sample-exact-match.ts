// Measures whether a fine-tuned adapter learned an Alpaca sample: greedy answers on the sample's validation split
// (the split `cli train` uses: ratio 0.1, seed 42) compared with the expected output, exactly.
// npx tsx scripts/sample-exact-match.ts <adapter dir | -> [count=40] [data=public/samples/review-sentiment.alpaca.jsonl]
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { loadAdapterFolder } from '../lib/cli/generate';
import { loadModelFolder } from '../lib/engine/loader';
import { generate } from '../lib/engine/generate';
import { parseDataFile } from '../lib/data/parse';
import { splitRecords } from '../lib/data/split';

const [adapterDir = '-', countArg = '40', dataFile = 'public/samples/review-sentiment.alpaca.jsonl'] = process.argv.slice(2);
await initNodeBackend('auto');
const m = await loadModelFolder('webtune-demo', fsSource('public/models/webtune-demo'));
const adapter = adapterDir === '-' ? undefined : await loadAdapterFolder(adapterDir, m.config);
const data = parseDataFile(dataFile, readFileSync(dataFile, 'utf8'));
const { validation } = splitRecords(data.records, 0.1, 42);
const n = Math.min(Number(countArg), validation.length);
let exact = 0;
for (const [i, r] of validation.slice(0, n).entries()) {
  const ids = await generate(m.config, m.weights, adapter, m.tokenizer.encode(r.prompt), { maxNewTokens: 16, temperature: 0, eosId: m.tokenizer.eosId });
  const out = m.tokenizer.decode(ids).trim();
  if (out === r.completion.trim()) exact++;
  if (i < 5) console.log(`${JSON.stringify(r.prompt.split('### Input:\n')[1]?.split('\n')[0] ?? '')} -> ${JSON.stringify(out)} (want ${JSON.stringify(r.completion)})`);
}
console.log(JSON.stringify({ data: dataFile, adapter: adapterDir, n, exact }));
