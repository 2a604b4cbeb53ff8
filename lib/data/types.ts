// Data-set types shared by the parser, the encoder, the UI and the CLI.

/** How records are laid out in a text file: one JSON object per line, one JSON array, or plain text. */
export type DataContainer = 'jsonl' | 'json' | 'txt';

/**
 * The older {prompt, completion} record the worker's `start` still accepts (normalize.ts fromTrainRecord turns it
 * into a Conversation). Loss falls on the completion only; an empty prompt makes it plain text.
 */
export interface TrainRecord {
  prompt: string;
  completion: string;
}

/** The minimal tokenizer surface the data code needs; lib/engine/tokenizer.ts implements it. */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  readonly vocabSize: number;
  readonly eosId: number;
}

// ---- Data studio (issue 4): one normalised record type for every shape, located issues, reports. ----

/** Every record shape the studio reads; all normalise to a Conversation. */
export type RecordShape = 'text' | 'alpaca' | 'prompt-completion' | 'chat' | 'preference';

/** File layouts the reader understands. */
export type FileContainer = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'txt';

/** Roles after normalisation (ShareGPT human/gpt/function_call/observation map onto these). */
export type Role = 'system' | 'user' | 'assistant' | 'function_call' | 'observation';

export interface Turn {
  role: Role;
  content: string;
  /**
   * Alpaca's `input` (context) on a user turn, kept apart so the Alpaca template writes Stanford Alpaca's
   * "### Input:" section; other templates append it to the content after a newline (as LLaMA-Factory does).
   */
  input?: string;
  /** LLaMA-Factory v1's per-message `loss_weight`, present only when 0: this answer carries no loss. */
  noLoss?: true;
}

/**
 * The one internal record. `kind` decides how it is encoded:
 * - 'text': turns = [{assistant: text}], every token learned (plain documents);
 * - 'completion': turns = [{user: prompt}, {assistant: completion}], no chat template, loss on the completion;
 * - 'chat': turns rendered with a chat template, loss on assistant (and function_call) turns only.
 * Preference pairs keep the chosen answer as the last turn and the other one in `rejected`.
 */
export interface Conversation {
  kind: 'text' | 'completion' | 'chat';
  turns: Turn[];
  /** Preference data: the rejected alternative to the last (assistant) turn. */
  rejected?: Turn;
  /** Tool/function descriptions (ShareGPT `tools` column), passed to templates that support tools. */
  tools?: string;
  /** Unpaired preference data (TRL `label`, LLaMA-Factory `kto_tag`): whether the last answer is desirable. */
  label?: boolean;
  /** 1-based line (JSONL, txt, JSON arrays where located), or row for CSV/Parquet/JSON array index. */
  line: number;
}

/** Why a record was excluded (validation) or flagged (too long after tokenization). */
export type IssueClass =
  | 'invalid_json'
  | 'not_object'
  | 'missing_field'
  | 'wrong_type'
  | 'unknown_role'
  | 'empty_content'
  | 'no_assistant_turn'
  | 'not_alternating'
  | 'too_long';

/** A located problem: `line` as in Conversation.line; `reason` says what is wrong and what to do. */
export interface RecordIssue {
  line: number;
  class: IssueClass;
  reason: string;
}

/** Maps the standard field names of a shape onto the file's own column names (LLaMA-Factory `columns`). */
export interface ColumnMapping {
  text?: string;
  instruction?: string;
  input?: string;
  output?: string;
  system?: string;
  history?: string;
  prompt?: string;
  completion?: string;
  messages?: string;
  tools?: string;
  chosen?: string;
  rejected?: string;
}

/** Role and content keys inside message objects (LLaMA-Factory `tags`). */
export interface MessageTags {
  roleTag: string;
  contentTag: string;
  /** Role names in the file for each normalised role. */
  user: string[];
  assistant: string[];
  system: string[];
  functionCall: string[];
  observation: string[];
}

/** What parseDataset returns: every record either in `records` or, with its line, in `issues`. */
export interface Dataset {
  fileName: string;
  container: FileContainer;
  shape: RecordShape;
  records: Conversation[];
  issues: RecordIssue[];
  /** Records seen in the file, valid + invalid. */
  total: number;
}

/** A record a cleaning step removed, kept for the UI to show. */
export interface RemovedRecord {
  step: CleanStep;
  record: Conversation;
  /** For duplicates: the line of the record kept in its place. */
  keptLine?: number;
  reason: string;
}

export type CleanStep = 'empty' | 'duplicate' | 'near_duplicate' | 'too_long';

/** One encoded training example; `segments` is present on packed rows (0-based example index per token). */
export interface TokenExample {
  ids: number[];
  /** 1 where the token carries loss (is predicted), 0 elsewhere. */
  mask: number[];
  segments?: number[];
}

/** One token of the preview: what the model reads and whether it is learned. */
export interface PreviewToken {
  id: number;
  text: string;
  carriesLoss: boolean;
}

/** A preference pair tokenised as TRL does: the prompt's ids, then each answer's ids (the eos id last). The
 * loss reads log-probabilities of the answer tokens only. */
export interface PreferenceExample {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/** What a training run reads: encoded examples (causal LM), pairs (DPO family, reward model), KTO's answers or RL's prompts. */
export type TrainingRow = TokenExample | PreferenceExample | UnpairedExample | PromptExample;

/** A prompt for RL (GRPO, RLOO, PPO): its ids (chat prompts templated up to the generation prompt) and the
 * record's reference answer, which exact-match rewards compare with. */
export interface PromptExample {
  prompt: number[];
  answer?: string;
}

/** An unpaired answer for KTO: prompt ids, answer ids (eos last), and whether the answer is desirable. */
export interface UnpairedExample {
  prompt: number[];
  completion: number[];
  desirable: boolean;
}
