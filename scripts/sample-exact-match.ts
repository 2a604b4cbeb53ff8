// Measures whether a fine-tuned adapter learned an Alpaca sample: greedy answers on the sample's validation split
// (the split `cli train` uses: ratio 0.1, seed 42) compared with the expected output, exactly.
// npx tsx scripts/sample-exact-match.ts <adapter dir | -> [count=40] [data=public/samples/review-sentiment.alpaca.jsonl] [model=public/models/webtune-demo]
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { fsSource } from '../lib/cli/fs-source';
import { initNodeBackend } from '../lib/cli/node-backend';
import { loadAdapterFolder } from '../lib/cli/generate';
import { loadModelFolder, tokenizerConfigOf } from '../lib/engine/loader';
import { generate } from '../lib/engine/generate';
import { chooseTemplate } from '../lib/data/chat-template';
import { parseDatasetText } from '../lib/data/dataset';
import { encodeConversation } from '../lib/data/encode-chat';
import { splitRecords } from '../lib/data/split';

const [adapterDir = '-', countArg = '40', dataFile = 'public/samples/review-sentiment.alpaca.jsonl', modelDir = 'public/models/webtune-demo'] = process.argv.slice(2);
await initNodeBackend('auto');
const m = await loadModelFolder('webtune-demo', fsSource(modelDir));
const tuned = adapterDir === '-' ? undefined : await loadAdapterFolder(adapterDir, m.config, m.weights);
const data = parseDatasetText(dataFile, readFileSync(dataFile, 'utf8'));
const template = chooseTemplate('auto', tokenizerConfigOf(m), data.shape);
const { validation } = splitRecords(data.records, 0.1, 42);
const n = Math.min(Number(countArg), validation.length);
let exact = 0;
for (const [i, rec] of validation.slice(0, n).entries()) {
  // The prompt is what carries no loss; the answer is the rest, without the end-of-text token.
  const { ids, mask } = encodeConversation(m.tokenizer, rec, { template }).example;
  const start = mask.indexOf(1);
  const want = m.tokenizer.decode(ids.slice(start).filter((t) => t !== m.tokenizer.eosId)).trim();
  const out = m.tokenizer.decode(await generate(m.config, tuned?.weights ?? m.weights, tuned?.adapter, ids.slice(0, start), { maxNewTokens: 16, temperature: 0, eosId: m.tokenizer.eosId })).trim();
  if (out === want) exact++;
  if (i < 5) console.log(`line ${rec.line}: ${JSON.stringify(out)} (want ${JSON.stringify(want)})`);
}
console.log(JSON.stringify({ data: dataFile, adapter: adapterDir, model: modelDir, n, exact }));
