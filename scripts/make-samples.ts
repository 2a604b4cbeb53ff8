// Generates the bundled sample data sets in public/samples/ from templates with a fixed seed (no external text).
// `npm run make-samples`; prints token lengths when the demo tokenizer exists.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { mulberry32 } from '../lib/engine/random';

const OUT_DIR = path.resolve('public/samples');
const TOKENIZER_DIR = path.resolve('public/models/webtune-demo');

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const pad2 = (n: number) => String(n).padStart(2, '0');

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'] as const;
const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** The input spellings of one date; numeric dates are US order (month/day/year). */
const DATE_FORMATS: ((y: number, m: number, d: number) => string)[] = [
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`, // March 5, 2021
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`, // 5 March 2021
  (y, m, d) => `${MONTHS[m - 1].slice(0, 3)} ${d}, ${y}`, // Mar 5, 2021
  (y, m, d) => `${pad2(m)}/${pad2(d)}/${y}`, // 03/05/2021
];

export interface AlpacaRecord { instruction: string; input: string; output: string }

/** Date-format conversion: a deterministic mapping a tiny model can visibly learn with LoRA. */
export function makeDateRecords(n: number, seed = 42): AlpacaRecord[] {
  const r = mulberry32(seed);
  const seen = new Set<string>();
  const out: AlpacaRecord[] = [];
  while (out.length < n) {
    const y = 1990 + Math.floor(r() * 41);
    const m = 1 + Math.floor(r() * 12);
    const d = 1 + Math.floor(r() * (DAYS_IN[m - 1] + (m === 2 && isLeap(y) ? 1 : 0)));
    const input = DATE_FORMATS[out.length % DATE_FORMATS.length](y, m, d);
    if (seen.has(input)) continue;
    seen.add(input);
    out.push({ instruction: 'Rewrite the date in ISO 8601 format.', input, output: `${y}-${pad2(m)}-${pad2(d)}` });
  }
  return out;
}

const NAMES = ['Mia', 'Leo', 'Ava', 'Sam', 'Nora', 'Ben', 'Lily', 'Max', 'Ella', 'Tom', 'Zoe', 'Jack'];
const ANIMALS = ['cat', 'dog', 'rabbit', 'fox', 'bird', 'duck', 'bear', 'mouse', 'frog', 'horse'];
const PLACES = ['the park', 'the garden', 'the forest', 'the beach', 'the farm', 'the river', 'the hill', 'the town'];
const THINGS = ['a red ball', 'a small box', 'a shiny stone', 'a blue kite', 'an old map', 'a warm hat', 'a big apple',
  'a little boat'];
const FEELINGS = ['happy', 'excited', 'curious', 'surprised', 'proud', 'calm'];
const TIMES = ['One morning', 'One sunny day', 'One evening', 'After lunch', 'On a rainy day', 'Last summer'];
const ENDINGS = [
  'They played together until the sun went down.',
  'Then they went home and had a nice dinner.',
  'It was the best day of the week.',
  'From that day on, they were good friends.',
  'They shared it and laughed a lot.',
  'At night, they slept well and dreamed of it.',
];

/** Short template stories: 3 or 4 simple sentences each. */
export function makeStories(n: number, seed = 7): { text: string }[] {
  const r = mulberry32(seed);
  const seen = new Set<string>();
  const out: { text: string }[] = [];
  while (out.length < n) {
    const name = pick(r, NAMES);
    const friend = pick(r, NAMES.filter((x) => x !== name));
    const animal = pick(r, ANIMALS);
    const thing = pick(r, THINGS);
    const parts = [
      `${pick(r, TIMES)}, ${name} went to ${pick(r, PLACES)} with a ${animal}.`,
      `There, ${name} found ${thing} and felt very ${pick(r, FEELINGS)}.`,
      r() < 0.5 ? `${name} showed it to ${friend}.` : `The ${animal} wanted to play with it too.`,
      pick(r, ENDINGS),
    ];
    const text = (r() < 0.5 ? parts : [parts[0], parts[1], parts[3]]).join(' ');
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text });
  }
  return out;
}

const ITEMS = ['pizza', 'hotel room', 'phone', 'movie', 'coffee', 'book', 'bike', 'concert', 'soup', 'jacket', 'train ride', 'game'];
const GOOD = ['great', 'wonderful', 'excellent', 'lovely', 'amazing', 'fantastic', 'delightful', 'superb'];
const BAD = ['awful', 'terrible', 'horrible', 'boring', 'disappointing', 'dreadful', 'useless', 'poor'];
const REVIEW_TEMPLATES: ((item: string, a: string, b: string) => string)[] = [
  (item, a) => `The ${item} was ${a}.`,
  (item, a, b) => `The ${item} was ${a} and the service was ${b}.`,
  (item, a) => `What a ${a} ${item}!`,
  (item, a, b) => `I thought the ${item} was ${a}, honestly ${b}.`,
  (item, a) => `This ${item} is ${a}. I would tell my friends about it.`,
];

/** Review sentiment: a one-word answer decided by the review's adjectives. */
export function makeSentimentRecords(n: number, seed = 11): AlpacaRecord[] {
  const r = mulberry32(seed);
  const seen = new Set<string>();
  const out: AlpacaRecord[] = [];
  while (out.length < n) {
    const positive = r() < 0.5;
    const words = positive ? GOOD : BAD;
    const input = pick(r, REVIEW_TEMPLATES)(pick(r, ITEMS), pick(r, words), pick(r, words));
    if (seen.has(input)) continue;
    seen.add(input);
    out.push({ instruction: 'Is this review positive or negative?', input, output: positive ? 'positive' : 'negative' });
  }
  return out;
}

function writeJsonl(file: string, rows: unknown[]) {
  writeFileSync(path.join(OUT_DIR, file), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
}

function reportTokens(name: string, texts: string[]) {
  if (!existsSync(path.join(TOKENIZER_DIR, 'tokenizer.json'))) return;
  const read = (f: string) => JSON.parse(readFileSync(path.join(TOKENIZER_DIR, f), 'utf8'));
  const tok = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  const lens = texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids.length);
  const mean = lens.reduce((a, b) => a + b, 0) / lens.length;
  console.log(`${name}: tokens min ${Math.min(...lens)} mean ${mean.toFixed(1)} max ${Math.max(...lens)}`);
}

function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  const dates = makeDateRecords(600);
  const stories = makeStories(300);
  const reviews = makeSentimentRecords(400);
  writeJsonl('review-sentiment.alpaca.jsonl', reviews);
  writeJsonl('date-format.alpaca.jsonl', dates);
  writeJsonl('tiny-stories.text.jsonl', stories);
  const index = [
    {
      file: 'review-sentiment.alpaca.jsonl',
      title: 'Review sentiment',
      description: 'Label short product reviews ("The pizza was awful.") as positive or negative. The demo model ' +
        'answers with junk before tuning. LoRA learns the answer format within 80 steps and the labels in a few ' +
        'hundred: 37 of 40 held-out reviews right after 300 steps (r 16 on c_attn, c_proj, c_fc, lr 3e-3, batch 8); ' +
        'full fine-tuning (lr 1e-3) gets all 40 right after 100 steps.',
      format: 'alpaca',
      records: reviews.length,
    },
    {
      file: 'date-format.alpaca.jsonl',
      title: 'Dates to ISO 8601',
      description: 'Rewrite dates such as "March 5, 2021", "5 March 2021", "Mar 5, 2021" or "03/05/2021" ' +
        '(US month/day/year) as "2021-03-05". Harder: copying the digits takes many steps; the demo model picks up ' +
        'the YYYY-MM-DD shape within a hundred LoRA steps.',
      format: 'alpaca',
      records: dates.length,
    },
    {
      file: 'tiny-stories.text.jsonl',
      title: 'Tiny template stories',
      description: 'Short, simple stories generated from templates, for plain-text (causal LM) fine-tuning.',
      format: 'text',
      records: stories.length,
    },
  ];
  writeFileSync(path.join(OUT_DIR, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  console.log(`wrote ${reviews.length} reviews, ${dates.length} date records, ${stories.length} stories -> ${OUT_DIR}`);
  // Token counts of whole records (instruction + input + output, joined by newlines) and of stories.
  reportTokens('date-format (instruction+input+output)', dates.map((d) => `${d.instruction}\n${d.input}\n${d.output}`));
  reportTokens('date-format (output only)', dates.map((d) => d.output));
  reportTokens('tiny-stories', stories.map((s) => s.text));
}

main();
