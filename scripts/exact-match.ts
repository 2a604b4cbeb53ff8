// Exact-match of greedy answers on an Alpaca sample's validation split (the split `cli train` uses: ratio 0.1,
// seed 42) against the expected outputs: shared by scripts/sample-exact-match.ts and scripts/compare-methods.ts.
import { readFileSync } from 'node:fs';
import { chooseTemplate } from '../lib/data/chat-template';
import { parseDatasetText } from '../lib/data/dataset';
import { encodeConversation } from '../lib/data/encode-chat';
import { DEFAULT_CLEAN_OPTIONS, prepareRecords } from '../lib/data/prepare';
import { generate } from '../lib/engine/generate';
import { tokenizerConfigOf, type LoadedModel } from '../lib/engine/loader';
import type { TrainableState } from '../lib/engine/peft/types';

export interface ExactMatch {
  n: number;
  exact: number;
  /** The first few answers, for a look by eye. */
  samples: { line: number; out: string; want: string }[];
}

/** Greedy answers (at most 16 tokens) of `model`, through `tuned` when given, on the first `count` validation records. */
export async function exactMatch(model: LoadedModel, tuned: Pick<TrainableState, 'weights' | 'adapter'> | undefined, dataFile: string, count: number): Promise<ExactMatch> {
  const data = parseDatasetText(dataFile, readFileSync(dataFile, 'utf8'));
  const template = chooseTemplate('auto', tokenizerConfigOf(model), data.shape);
  const { validation } = prepareRecords(data.records, DEFAULT_CLEAN_OPTIONS, { validation: 0.1, seed: 42 }).parts;
  const n = Math.min(count, validation.length);
  const tok = model.tokenizer;
  const out: ExactMatch = { n, exact: 0, samples: [] };
  for (const rec of validation.slice(0, n)) {
    // The prompt is what carries no loss; the answer is the rest, without the end-of-text token.
    const { ids, mask } = encodeConversation(tok, rec, { template }).example;
    const start = mask.indexOf(1);
    const want = tok.decode(ids.slice(start).filter((t) => t !== tok.eosId)).trim();
    const got = tok.decode(await generate(model.config, tuned?.weights ?? model.weights, tuned?.adapter, ids.slice(0, start), { maxNewTokens: 16, temperature: 0, eosId: tok.eosId })).trim();
    if (got === want) out.exact++;
    if (out.samples.length < 5) out.samples.push({ line: rec.line, out: got, want });
  }
  return out;
}
