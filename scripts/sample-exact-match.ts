// Measures whether a fine-tuned adapter learned an Alpaca sample: greedy answers on the sample's validation split
// (the split `cli train` uses: ratio 0.1, seed 42) compared with the expected output, exactly.
// npx tsx scripts/sample-exact-match.ts <adapter dir | -> [count=40] [data=public/samples/review-sentiment.alpaca.jsonl] [model=public/models/webtune-demo]
import '@tensorflow/tfjs-backend-wasm';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { loadAdapterFolder } from '../lib/cli/generate';
import { loadModelFolder } from '../lib/engine/loader';
import { exactMatch } from './exact-match';

const [adapterDir = '-', countArg = '40', dataFile = 'public/samples/review-sentiment.alpaca.jsonl', modelDir = 'public/models/webtune-demo'] = process.argv.slice(2);
await initNodeBackend('auto');
const m = await loadModelFolder('webtune-demo', fsSource(modelDir));
const tuned = adapterDir === '-' ? undefined : await loadAdapterFolder(adapterDir, m.config, m.weights);
const r = await exactMatch(m, tuned, dataFile, Number(countArg));
for (const s of r.samples) console.log(`line ${s.line}: ${JSON.stringify(s.out)} (want ${JSON.stringify(s.want)})`);
console.log(JSON.stringify({ data: dataFile, adapter: adapterDir, model: modelDir, n: r.n, exact: r.exact }));
