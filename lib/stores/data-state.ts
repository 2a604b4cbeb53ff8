// The Data step's state (file, parse progress, located issues, cleaning/template/split choices, the worker's
// report and token preview) and the selector that turns it into the data worker's PrepareSettings.
import type { DatasetInfoEntry } from '../data/dataset-info';
import type { MessageTags } from '../data/types';
import type { ModelSource } from '../train-worker/protocol';
import type { ParsedSummary, PrepareSettings, PreparedReport, PreviewView, ShapeChoice, TemplateChoice } from '../data-worker/protocol';

export interface CleanChoices {
  normalize: boolean;
  dropEmpty: boolean;
  dedupe: boolean;
  nearDuplicates: boolean;
  nearThreshold: number;
  /** Token-length limit, null for none. */
  maxTokens: number | null;
  lengthAction: 'drop' | 'truncate';
}

export interface DataChoices {
  shape: ShapeChoice;
  txtMode: 'blocks' | 'lines';
  /** The dataset_info.json entry the mapping came from, if any. */
  infoEntry: string | null;
  mapping?: Record<string, string>;
  tags?: MessageTags;
  template: TemplateChoice;
  trainOnAll: boolean;
  /** Pack several short training examples into each row (attention stays inside each example). */
  packing: boolean;
  clean: CleanChoices;
  validationPercent: number;
  testPercent: number;
  useValidationFile: boolean;
}

export interface FileSlot {
  status: 'empty' | 'reading' | 'ready' | 'error';
  /** Name of the file being read or last read. */
  source: string | null;
  progress: { loaded: number; total: number } | null;
  summary: ParsedSummary | null;
  error: string | null;
}

export interface DataState extends FileSlot {
  /** The person chose to leave out the records with issues (they are never dropped silently). */
  excluded: boolean;
  choices: DataChoices;
  report: PreparedReport | null;
  preparing: boolean;
  reportError: string | null;
  preview: PreviewView | null;
  previewIndex: number;
  previewError: string | null;
  validationFile: FileSlot;
  datasetInfo: { entries: DatasetInfoEntry[]; fileName: string | null; error: string | null };
  /** Why the typed column mapping was not applied. */
  mappingError: string | null;
  /** Tokens per second of the last finished run (0 before one), for the time estimate. */
  measuredTokensPerSec: number;
}

export const DEFAULT_CLEAN: CleanChoices = {
  normalize: true,
  dropEmpty: true,
  dedupe: true,
  nearDuplicates: false,
  nearThreshold: 0.8,
  maxTokens: null,
  lengthAction: 'truncate',
};

export const emptySlot: FileSlot = { status: 'empty', source: null, progress: null, summary: null, error: null };

export function initialData(validationPercent: number): DataState {
  return {
    ...emptySlot,
    excluded: false,
    choices: {
      shape: 'auto',
      txtMode: 'blocks',
      infoEntry: null,
      template: 'auto',
      trainOnAll: false,
      packing: false,
      clean: DEFAULT_CLEAN,
      validationPercent,
      testPercent: 0,
      useValidationFile: false,
    },
    report: null,
    preparing: false,
    reportError: null,
    preview: null,
    previewIndex: 0,
    previewError: null,
    validationFile: emptySlot,
    datasetInfo: { entries: [], fileName: null, error: null },
    mappingError: null,
    measuredTokensPerSec: 0,
  };
}

/** The folder holding the model's tokenizer files, or null for a source the Data step cannot read yet. */
export function tokenizerUrlOf(source: ModelSource): string | null {
  switch (source.kind) {
    case 'url':
      return source.baseUrl;
    case 'tiny-random':
      return source.tokenizerUrl;
    default:
      return null;
  }
}

/** What the data worker needs to clean, measure, split and encode; null until a file and a tokenizer are known. */
export function prepareSettings(
  data: DataState, tokenizerUrl: string | null, seqLen: number, seed: number, tokenizerFiles?: PrepareSettings['tokenizerFiles'],
): PrepareSettings | null {
  if (data.status !== 'ready' || !data.summary || !tokenizerUrl) return null;
  const c = data.choices;
  return {
    tokenizerUrl,
    ...(tokenizerFiles ? { tokenizerFiles } : {}),
    template: c.template,
    trainOnAll: c.trainOnAll,
    seqLen,
    clean: c.clean,
    split: { validation: c.validationPercent / 100, test: c.testPercent / 100, seed },
    useValidationFile: c.useValidationFile && data.validationFile.status === 'ready',
    tokensPerSec: data.measuredTokensPerSec,
  };
}

const MAPPING_FIELDS = ['text', 'instruction', 'input', 'output', 'system', 'history', 'prompt', 'completion', 'messages', 'tools', 'chosen', 'rejected'];

/** "instruction=question, output=answer" -> { instruction: 'question', output: 'answer' }; empty text -> undefined. */
export function parseMappingText(text: string): { mapping: Record<string, string> | undefined } | { error: string } {
  const mapping: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [field, column, extra] = part.split('=').map((x) => x.trim());
    if (!field || !column || extra !== undefined) return { error: `"${part}" is not field=column (e.g. instruction=question)` };
    if (!MAPPING_FIELDS.includes(field)) return { error: `"${field}" is not a field the studio maps: use one of ${MAPPING_FIELDS.join(', ')}` };
    mapping[field] = column;
  }
  return { mapping: Object.keys(mapping).length > 0 ? mapping : undefined };
}

/** The mapping as the text parseMappingText reads. */
export function mappingText(mapping: Record<string, string> | undefined): string {
  return Object.entries(mapping ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
