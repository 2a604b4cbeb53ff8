// Data-set types shared by the parser, the encoder, the UI and the CLI.

/** Record shapes the studio recognises. */
export type DataFormat = 'text' | 'alpaca' | 'prompt-completion';

/** How records are laid out in the file: one JSON object per line, one JSON array, or plain text. */
export type DataContainer = 'jsonl' | 'json' | 'txt';

/**
 * A record normalised for training: the model reads `prompt` then `completion`.
 * Loss falls on the completion only, except for plain text (prompt is '' and the whole text is learned).
 */
export interface TrainRecord {
  prompt: string;
  completion: string;
}

/**
 * A located problem with one record. `line` is 1-based: the JSONL line, array index + 1 for JSON arrays,
 * or the first line of the block for plain text.
 */
export interface RecordError {
  line: number;
  reason: string;
}

export interface ParsedDataset {
  fileName: string;
  format: DataFormat;
  /** File layout the parser read (set by parseDataFile). */
  container?: DataContainer;
  /** Raw objects as found in the file (valid ones only), for the preview. */
  raw: Record<string, unknown>[];
  records: TrainRecord[];
  errors: RecordError[];
  /** Total records seen in the file, valid + invalid. */
  total: number;
}

/** The minimal tokenizer surface the data code needs; lib/engine/tokenizer.ts implements it. */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  readonly vocabSize: number;
  readonly eosId: number;
}
