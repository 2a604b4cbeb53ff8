// Typed messages between the Data step and the data worker (parse, clean, statistics, split, template
// preview, encode), zod-checked where they cross. Both sides import this module; it imports no tfjs.
import { z } from 'zod';
import type { CleanStep, FileContainer, IssueClass, PreviewToken, RecordIssue, RecordShape, TrainingRow } from '../data/types';
import type { DatasetStats } from '../data/stats';
import type { ModelConfig, TrainConfig } from '../engine/types';

export const SHAPE_CHOICES = ['auto', 'text', 'alpaca', 'prompt-completion', 'chat', 'preference'] as const;
export const TEMPLATE_CHOICES = ['auto', 'model', 'chatml', 'alpaca', 'llama3'] as const;
export type ShapeChoice = (typeof SHAPE_CHOICES)[number];
export type TemplateChoice = (typeof TEMPLATE_CHOICES)[number];

const tagsSchema = z.object({
  roleTag: z.string(),
  contentTag: z.string(),
  user: z.array(z.string()),
  assistant: z.array(z.string()),
  system: z.array(z.string()),
  functionCall: z.array(z.string()),
  observation: z.array(z.string()),
});

/** How to read a file: shape override, plain-text mode, column names (e.g. from a dataset_info.json entry). */
export const parseOptionsSchema = z.object({
  shape: z.enum(SHAPE_CHOICES),
  txtMode: z.enum(['blocks', 'lines']),
  mapping: z.record(z.string(), z.string()).optional(),
  tags: tagsSchema.optional(),
});
export type ParseOptions = z.infer<typeof parseOptionsSchema>;

/** Everything after parsing: cleaning, template, sequence length, split, packing. */
export const prepareSettingsSchema = z.object({
  /** Folder with the selected model's tokenizer.json and tokenizer_config.json. */
  tokenizerUrl: z.string().min(1),
  /** A picked model folder's tokenizer files (then tokenizerUrl only names them for caching). */
  tokenizerFiles: z.object({ json: z.instanceof(Blob), config: z.instanceof(Blob).optional() }).optional(),
  template: z.enum(TEMPLATE_CHOICES),
  trainOnAll: z.boolean(),
  seqLen: z.number().int().min(2),
  clean: z.object({
    normalize: z.boolean(),
    dropEmpty: z.boolean(),
    dedupe: z.boolean(),
    nearDuplicates: z.boolean(),
    nearThreshold: z.number().gt(0).max(1),
    /** Token-length limit (null: none) and what to do with longer records. */
    maxTokens: z.number().int().min(2).nullable(),
    lengthAction: z.enum(['drop', 'truncate']),
  }),
  split: z.object({ validation: z.number().min(0).max(0.9), test: z.number().min(0).max(0.9), seed: z.number().int() }),
  /** Validate on the separately loaded validation file instead of a split. */
  useValidationFile: z.boolean(),
  /** Measured training speed, for the time estimate (0: not measured yet). */
  tokensPerSec: z.number().min(0),
  /** What encode returns: token examples (default), preference pairs (DPO family, reward model) or KTO's marked
   * answers, tokenised as TRL does. */
  rows: z.enum(['examples', 'pairs', 'unpaired', 'prompts']).optional(), // prompts: RL (the last answer is the reference)
});
export type PrepareSettings = z.infer<typeof prepareSettingsSchema>;

/** A hand-off bundle's run: the target trainer, the base model (Hub id and config.json) and the train settings.
 * The records and the chat template come from the settings, as the Data step uses them. */
export const handoffJobSchema = z.object({
  target: z.enum(['trl', 'axolotl', 'llamafactory']),
  baseModel: z.string().min(1),
  modelConfig: z.custom<ModelConfig>((v) => typeof v === 'object' && v !== null && typeof (v as ModelConfig).model_type === 'string', 'expected the model config.json'),
  config: z.custom<TrainConfig>((v) => typeof v === 'object' && v !== null && typeof (v as TrainConfig).method === 'string', 'expected the run settings'),
  dataFile: z.string(),
});
export type HandoffJob = z.infer<typeof handoffJobSchema>;

const blobSchema = z.custom<Blob>((v) => typeof Blob !== 'undefined' && v instanceof Blob, 'expected a File or Blob');

export const dataRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('parse'), id: z.number().int(), slot: z.enum(['main', 'validation']), file: blobSchema, fileName: z.string(), options: parseOptionsSchema }),
  z.object({ type: z.literal('prepare'), id: z.number().int(), settings: prepareSettingsSchema }),
  z.object({ type: z.literal('preview'), id: z.number().int(), index: z.number().int().min(0), settings: prepareSettingsSchema }),
  z.object({ type: z.literal('encode'), id: z.number().int(), settings: prepareSettingsSchema }),
  z.object({ type: z.literal('handoff'), id: z.number().int(), settings: prepareSettingsSchema, job: handoffJobSchema }),
]);
export type DataRequest = z.infer<typeof dataRequestSchema>;

export function parseDataRequest(data: unknown): DataRequest {
  return dataRequestSchema.parse(data);
}

/** What the page needs to know about a parsed file (the records stay in the worker). */
export interface ParsedSummary {
  fileName: string;
  container: FileContainer;
  shape: RecordShape;
  total: number;
  valid: number;
  issues: RecordIssue[];
  issueCounts: Partial<Record<IssueClass, number>>;
}

export interface RemovedView {
  step: CleanStep;
  line: number;
  keptLine?: number;
  reason: string;
  /** The start of the record's text. */
  text: string;
}

export interface PreparedReport {
  /** The template used for chat records (text and completion records need none). */
  template: string;
  modelHasTemplate: boolean;
  clean: { kept: number; removedCounts: Record<CleanStep, number>; normalized: number; truncated: number };
  removed: RemovedView[];
  stats: DatasetStats;
  split: { train: number; validation: number; test: number; fromFile: boolean };
  packing: { rows: number; examples: number; paddingBefore: number; paddingAfter: number; paddingSavedShare: number };
}

export interface PreviewView {
  index: number;
  count: number;
  line: number;
  tokens: PreviewToken[];
}

export type DataEvent =
  | { type: 'progress'; id: number; stage: string; loaded: number; total: number }
  | { type: 'parsed'; id: number; slot: 'main' | 'validation'; summary: ParsedSummary }
  | { type: 'prepared'; id: number; report: PreparedReport }
  | { type: 'preview'; id: number; preview: PreviewView }
  | { type: 'encoded'; id: number; train: TrainingRow[]; validation: TrainingRow[]; test?: TrainingRow[]; truncated: number; droppedNoLoss: number }
  | { type: 'handoff'; id: number; fileName: string; files: string[]; train: number; validation: number; bytes: ArrayBuffer }
  | { type: 'error'; id: number; during: DataRequest['type'] | 'message'; message: string };
