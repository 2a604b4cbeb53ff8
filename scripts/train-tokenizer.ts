// CLI: trains the demo byte-level BPE tokenizer on the training split of the demo corpus and writes
// tokenizer.json + tokenizer_config.json. Usage: npx tsx scripts/train-tokenizer.ts [outDir] [vocabSize]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { trainTokenizer } from './bpe-trainer';
import { loadDocs, splitDocs } from './demo-corpus';

const outDir = path.resolve(process.argv[2] ?? 'public/models/webtune-demo');
const vocabSize = Number(process.argv[3] ?? 4096);
const dataDir = process.env.DEMO_DATA_DIR;

const t0 = Date.now();
const { train } = splitDocs(loadDocs(dataDir));
const chars = train.reduce((s, d) => s + d.length, 0);
const { result, tokenizerJson, tokenizerConfig } = trainTokenizer(train, vocabSize);
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizerJson, null, 2) + '\n');
writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
console.log(
  `trained BPE on ${train.length} docs (${chars} chars): ${result.merges.length} merges, ` +
    `vocab ${result.vocab.size + 1} incl. <|endoftext|>, ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${outDir}`,
);
