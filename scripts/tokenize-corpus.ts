// CLI: encodes the demo corpus with the trained tokenizer through @huggingface/tokenizers (the same library the
// app uses, so training and app agree) and writes uint16 token files: train.bin, val.bin, meta.json.
// Documents are joined as `doc <|endoftext|> doc <|endoftext|> ...`.
// Usage: npx tsx scripts/tokenize-corpus.ts <tokenizerDir> <outDir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EOT } from './bpe-trainer';
import { loadDocs, splitDocs } from './demo-corpus';

const tokDir = path.resolve(process.argv[2] ?? 'public/models/webtune-demo');
const outDir = path.resolve(process.argv[3] ?? '/tmp/webtune-demo-data');
const readJson = (f: string) => JSON.parse(readFileSync(path.join(tokDir, f), 'utf8'));
const tokenizer = new Tokenizer(readJson('tokenizer.json'), readJson('tokenizer_config.json'));
const eotId = tokenizer.encode(EOT, { add_special_tokens: false }).ids[0];

function encodeDocs(docs: string[]): Uint16Array {
  const ids: number[] = [];
  for (const doc of docs) {
    const enc = tokenizer.encode(doc, { add_special_tokens: false }).ids;
    if (tokenizer.decode(enc, { skip_special_tokens: false }) !== doc) throw new Error('round trip failed');
    for (const id of enc) ids.push(id);
    ids.push(eotId);
  }
  return Uint16Array.from(ids);
}

const PROMPTS = ['The history of', 'In the United States, the', 'The best way to'];

const t0 = Date.now();
const { train, val } = splitDocs(loadDocs(process.env.DEMO_DATA_DIR));
const trainIds = encodeDocs(train);
const valIds = encodeDocs(val);
mkdirSync(outDir, { recursive: true });
const write = (f: string, a: Uint16Array) => writeFileSync(path.join(outDir, f), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
write('train.bin', trainIds);
write('val.bin', valIds);
const meta = {
  eot_id: eotId,
  vocab_size: 4096,
  train_docs: train.length,
  val_docs: val.length,
  train_tokens: trainIds.length,
  val_tokens: valIds.length,
  train_chars: train.reduce((s, d) => s + d.length, 0),
  // Prompts for the model card's greedy samples, encoded here so Python needs no BPE encoder.
  prompts: PROMPTS.map((text) => ({ text, ids: tokenizer.encode(text, { add_special_tokens: false }).ids })),
};
writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
console.log(`tokenized in ${((Date.now() - t0) / 1000).toFixed(1)} s:`, JSON.stringify(meta));
