// Tokenizes normalised records into training examples: ids plus a loss mask over the completion.
//
// Prompt and completion are encoded separately and concatenated, not encoded as one string. With BPE the two
// can differ at the boundary (GPT-2: "Answer: Paris" joined is Answer|:|" Paris"; apart it is
// Answer|:|" "|Paris). Separate encoding keeps the mask exact (no token straddles prompt and
// completion) and matches generation, where the prompt is encoded alone and the model continues from it.
// The Alpaca prompt ends in "\n": on alpaca_en_demo both ways give the same GPT-2 ids (checked with gpt-3-encoder;
// an output starting with "\n\n" would still differ).
import type { Example } from '../engine/types';
import type { TextTokenizer, TrainRecord } from './types';

export interface EncodedRecord {
  example: Example;
  /** True when the record was longer than seqLen and its tail was cut. */
  truncated: boolean;
}

export interface EncodedRecords {
  examples: Example[];
  /** Records whose tail was cut to fit seqLen (they are still in `examples` when some loss remains). */
  truncated: number;
  /** Records left without any loss token after truncation (prompt fills seqLen); not in `examples`. */
  droppedNoLoss: number;
  /** Indices into the input records of those dropped, for the UI to point at. */
  droppedIndices: number[];
}

function checkSeqLen(seqLen: number): void {
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new RangeError(`seqLen must be an integer >= 2, got ${seqLen}`);
}

/**
 * ids = encode(prompt) ++ encode(completion) ++ [eos]; mask 0 on prompt tokens, 1 on completion and eos.
 * Plain text (empty prompt) learns every token but the first (nothing predicts position 0).
 * Longer sequences keep their first seqLen tokens.
 */
export function encodeRecord(tok: TextTokenizer, rec: TrainRecord, seqLen: number): EncodedRecord {
  checkSeqLen(seqLen);
  const p = rec.prompt === '' ? [] : tok.encode(rec.prompt);
  const c = tok.encode(rec.completion);
  const ids = [...p, ...c, tok.eosId];
  const mask = [...p.map(() => 0), ...c.map(() => 1), 1];
  mask[0] = 0; // already 0 when there is a prompt
  const truncated = ids.length > seqLen;
  if (truncated) {
    ids.length = seqLen;
    mask.length = seqLen;
  }
  return { example: { ids, mask }, truncated };
}

/** Encodes many records; counts truncations and drops (with a count) any left with nothing to learn. */
export function encodeRecords(tok: TextTokenizer, records: TrainRecord[], seqLen: number): EncodedRecords {
  checkSeqLen(seqLen);
  const out: EncodedRecords = { examples: [], truncated: 0, droppedNoLoss: 0, droppedIndices: [] };
  records.forEach((rec, i) => {
    const { example, truncated } = encodeRecord(tok, rec, seqLen);
    if (truncated) out.truncated++;
    if (example.mask.includes(1)) {
      out.examples.push(example);
    } else {
      out.droppedNoLoss++;
      out.droppedIndices.push(i);
    }
  });
  return out;
}
