// Loads the demo pretraining corpus (Wikipedia + C4 samples in ../shared/data) and splits it into train and
// validation documents deterministically. The data stays outside the repository; only paths are passed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../lib/engine/random';

export const DEFAULT_DATA_DIR = path.resolve(process.cwd(), '../shared/data');
export const VAL_FRACTION = 0.03;


/** Reads wiki_demo.txt (one article per line) and c4_demo.jsonl ({"text"}) as a list of documents. */
export function loadDocs(dataDir = DEFAULT_DATA_DIR): string[] {
  const wiki = readFileSync(path.join(dataDir, 'wiki_demo.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const c4 = readFileSync(path.join(dataDir, 'c4_demo.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => String((JSON.parse(l) as { text: string }).text).trim())
    .filter((t) => t.length > 0);
  return [...wiki, ...c4];
}

/** Seeded shuffle, then the first documents up to ~3% of all characters become validation. */
export function splitDocs(docs: string[], seed = 1234, valFraction = VAL_FRACTION) {
  const order = docs.map((_, i) => i);
  const rand = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const total = docs.reduce((s, d) => s + d.length, 0);
  const val: string[] = [];
  const train: string[] = [];
  let valChars = 0;
  for (const i of order) {
    if (valChars < valFraction * total) {
      val.push(docs[i]);
      valChars += docs[i].length;
    } else train.push(docs[i]);
  }
  return { train, val };
}
