// The data worker's state and work (pure lib code, no DOM): parse a file streaming, then clean, measure,
// split, preview and encode on request. The records stay here; the page gets summaries and reports.
import type { Conversation, Dataset, IssueClass, TextTokenizer } from '../data/types';
import {
  chooseTemplate,
  datasetStats,
  encodeConversation,
  encodeConversations,
  modelTemplate,
  packExamples,
  parseDataset,
  prepareRecords,
  previewTokens,
  recordText,
  streamDataset,
  withoutRejected,
  type ChatTemplate,
  type CleanReport,
  type DatasetOptions,
} from '../data/studio';
import { encodePreferenceSet } from '../data/encode-preference';
import { conversationPrompts, encodePrompts } from '../data/prompts';
import { HfTokenizer } from '../engine/tokenizer';
import type { DataEvent, HandoffJob, ParseOptions, ParsedSummary, PrepareSettings, PreparedReport } from './protocol';

type Post = (event: DataEvent, transfer?: Transferable[]) => void;

const MAX_REMOVED_SHOWN = 500;
const STREAMED = /\.(jsonl|ndjson)$/i;

/**
 * Remembers encodings by text: every settings change re-encodes the same turns and template pieces, so after
 * the first report the later ones (split, cleaning, preview, Start) cost little. Cleared when it grows large.
 */
export class CachingTokenizer implements TextTokenizer {
  private cache = new Map<string, number[]>();
  constructor(
    private readonly inner: TextTokenizer,
    private readonly maxEntries = 500_000,
  ) {}
  get vocabSize() {
    return this.inner.vocabSize;
  }
  get eosId() {
    return this.inner.eosId;
  }
  encode(text: string): number[] {
    let ids = this.cache.get(text);
    if (!ids) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      ids = this.inner.encode(text);
      this.cache.set(text, ids);
    }
    return ids.slice(); // callers may change their copy
  }
  decode(ids: number[]): string {
    return this.inner.decode(ids);
  }
}

export interface Loaded {
  tokenizer: TextTokenizer;
  config: Record<string, unknown>;
}

/** Reads a stream whole, reporting bytes as they arrive (layouts that need the whole file: JSON, CSV, Parquet). */
async function readAll(stream: ReadableStream<Uint8Array>, total: number, onProgress: (n: number) => void): Promise<Uint8Array> {
  const reader = stream.getReader();
  const out = new Uint8Array(total);
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out.set(value, n);
    n += value.byteLength;
    onProgress(n);
  }
  return out.subarray(0, n);
}

export class DataSession {
  private main: Dataset | null = null;
  private validationFile: Dataset | null = null;
  private tokenizers = new Map<string, Promise<Loaded>>();

  /** `loadTokenizer` reads a model folder's tokenizer files (fetch by default; tests read the disk). */
  constructor(
    private readonly post: Post,
    private readonly loadTokenizer: (url: string) => Promise<Loaded> = loadTokenizerFiles,
  ) {}

  async parse(id: number, slot: 'main' | 'validation', file: Blob, fileName: string, options: ParseOptions): Promise<void> {
    const total = file.size;
    const progress = (loaded: number) => this.post({ type: 'progress', id, stage: `Reading ${fileName}`, loaded, total });
    const opts: DatasetOptions = { shape: options.shape, txtMode: options.txtMode, mapping: options.mapping, tags: options.tags };
    let ds: Dataset;
    const lines = STREAMED.test(fileName) || (/\.txt$/i.test(fileName) && options.txtMode === 'lines');
    if (lines) {
      ds = await streamDataset(fileName, file.stream(), { ...opts, container: /\.txt$/i.test(fileName) ? 'txt' : 'jsonl', totalBytes: total, onProgress: (b) => progress(b) });
    } else {
      ds = await parseDataset(fileName, await readAll(file.stream(), total, progress), opts);
    }
    progress(total);
    if (slot === 'main') this.main = ds;
    else this.validationFile = ds;
    this.post({ type: 'parsed', id, slot, summary: summarize(ds) });
  }

  private tokenizer(url: string, files?: PrepareSettings['tokenizerFiles']): Promise<Loaded> {
    let p = this.tokenizers.get(url);
    if (!p) {
      p = (files ? tokenizerFromBlobs(files) : this.loadTokenizer(url)).then((l) => ({ ...l, tokenizer: new CachingTokenizer(l.tokenizer) }));
      p.catch(() => this.tokenizers.delete(url));
      this.tokenizers.set(url, p);
    }
    return p;
  }

  /** Cleans the main file (and the validation file) with the settings; the template for chat records. */
  private async work(s: PrepareSettings) {
    if (!this.main) throw new Error('Load a data file first');
    const { tokenizer, config } = await this.tokenizer(s.tokenizerUrl, s.tokenizerFiles);
    const template = chooseTemplate(s.template, config, this.main.shape);
    const seqLen = s.clean.maxTokens !== null && s.clean.lengthAction === 'truncate' ? Math.min(s.seqLen, s.clean.maxTokens) : s.seqLen;
    const enc = { template, trainOnAll: s.trainOnAll, seqLen };
    const count = (c: Conversation) => encodeConversation(tokenizer, withoutRejected(c), { ...enc, seqLen: undefined }).length;
    const cleanOpts = {
      normalize: s.clean.normalize,
      dropEmpty: s.clean.dropEmpty,
      dedupe: s.clean.dedupe,
      nearDuplicates: s.clean.nearDuplicates ? { threshold: s.clean.nearThreshold } : (false as const),
      maxTokens: s.clean.maxTokens !== null ? { limit: s.clean.maxTokens, action: s.clean.lengthAction, count } : undefined,
    };
    const { cleaned, parts } = prepareRecords(this.main.records, cleanOpts, s.split, s.useValidationFile ? this.validationFile?.records : null);
    return { tokenizer, config, template, enc, cleaned, parts };
  }

  async prepare(id: number, s: PrepareSettings): Promise<void> {
    const { tokenizer, config, template, enc, cleaned, parts } = await this.work(s);
    const stats = datasetStats(tokenizer, cleaned.records, { ...enc, tokensPerSec: s.tokensPerSec || undefined, maxListed: MAX_REMOVED_SHOWN });
    const examples = encodeConversations(tokenizer, parts.train, enc).examples;
    const packed = packExamples(examples, enc.seqLen, tokenizer.eosId);
    const report: PreparedReport = {
      template: template.name,
      modelHasTemplate: modelTemplate(config) !== null,
      clean: cleanSummary(cleaned),
      removed: cleaned.removed.slice(0, MAX_REMOVED_SHOWN).map((r) => ({
        step: r.step,
        line: r.record.line,
        keptLine: r.keptLine,
        reason: r.reason,
        text: recordText(r.record).slice(0, 160),
      })),
      stats,
      split: { train: parts.train.length, validation: parts.validation.length, test: parts.test.length, fromFile: s.useValidationFile && !!this.validationFile },
      packing: { rows: packed.rows.length, examples: examples.length, paddingBefore: packed.paddingBefore, paddingAfter: packed.paddingAfter, paddingSavedShare: packed.paddingSavedShare },
    };
    this.post({ type: 'prepared', id, report });
  }

  async preview(id: number, index: number, s: PrepareSettings): Promise<void> {
    const { tokenizer, enc, cleaned } = await this.work(s);
    const records = cleaned.records;
    if (records.length === 0) throw new Error('No records are left after cleaning: loosen the cleaning options');
    const i = Math.min(index, records.length - 1);
    const tokens = previewTokens(tokenizer, records[i], enc as { template: ChatTemplate; trainOnAll: boolean; seqLen: number });
    this.post({ type: 'preview', id, preview: { index: i, count: records.length, line: records[i].line, tokens } });
  }

  async encode(id: number, s: PrepareSettings): Promise<void> {
    const { tokenizer, enc, parts } = await this.work(s);
    if (s.rows === 'prompts') {
      const prompts = (c: typeof parts.train) => encodePrompts(tokenizer, conversationPrompts(c), enc.template);
      this.post({ type: 'encoded', id, train: prompts(parts.train), validation: prompts(parts.validation), truncated: 0, droppedNoLoss: 0 });
      return;
    }
    if (s.rows === 'pairs' || s.rows === 'unpaired') {
      const opts = { template: enc.template, seqLen: enc.seqLen, unpaired: s.rows === 'unpaired' };
      const pairs = encodePreferenceSet(tokenizer, parts.train, opts);
      const validation = encodePreferenceSet(tokenizer, parts.validation, opts).examples;
      this.post({ type: 'encoded', id, train: pairs.examples, validation, truncated: pairs.truncated, droppedNoLoss: 0 });
      return;
    }
    const train = encodeConversations(tokenizer, parts.train, enc);
    const validation = encodeConversations(tokenizer, parts.validation, enc);
    const test = encodeConversations(tokenizer, parts.test, enc); // the playground's exact-match comparison
    if (train.examples.length === 0) {
      throw new Error(`No training example keeps a token to learn at ${enc.seqLen} tokens: raise the sequence length or lower the validation share`);
    }
    this.post({ type: 'encoded', id, train: train.examples, validation: validation.examples, test: test.examples, truncated: train.truncated, droppedNoLoss: train.droppedNoLoss });
  }

  /** The hand-off bundle (TRL, Axolotl or LLaMA-Factory) over the records cleaned and split as the Data step
   * reports them, with the same chat template; posts the zip's bytes (transferred). */
  async handoff(id: number, s: PrepareSettings, job: HandoffJob): Promise<void> {
    const stage = (name: string, loaded: number) => this.post({ type: 'progress', id, stage: name, loaded, total: 3 });
    stage('Cleaning and splitting the data', 0);
    const { template, parts } = await this.work(s);
    stage('Writing the data files and configuration', 1);
    // Loaded on first use: the export code (with the memory planner, which imports tfjs) stays out of the worker's start.
    const [{ handoffBundle }, { zipBundle }, { exportFolderName, runSummary }] = await Promise.all([import('../export/handoff'), import('../export/bundle'), import('../export/run-export')]);
    const config = job.config;
    const folder = `${exportFolderName(job.baseModel, config.method)}-${job.target}`;
    const summary = runSummary({ name: job.baseModel }, config, { dataFile: job.dataFile, trainExamples: parts.train.length });
    const input = { baseModel: job.baseModel, modelConfig: job.modelConfig, train: parts.train, validation: parts.validation, config, template: template.name };
    const bundle = handoffBundle(job.target, folder, input, summary);
    stage('Zipping', 2);
    const zip = zipBundle(bundle);
    const bytes = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer;
    stage('Done', 3);
    const files = Object.keys(bundle.files).map((f) => `${folder}/${f}`);
    this.post({ type: 'handoff', id, fileName: `${folder}.zip`, files, train: parts.train.length, validation: parts.validation.length, bytes }, [bytes]);
  }
}

function summarize(ds: Dataset): ParsedSummary {
  const issueCounts: Partial<Record<IssueClass, number>> = {};
  for (const i of ds.issues) issueCounts[i.class] = (issueCounts[i.class] ?? 0) + 1;
  return { fileName: ds.fileName, container: ds.container, shape: ds.shape, total: ds.total, valid: ds.records.length, issues: ds.issues, issueCounts };
}

function cleanSummary(c: CleanReport): PreparedReport['clean'] {
  return { kept: c.records.length, removedCounts: c.removedCounts, normalized: c.normalized, truncated: c.truncated };
}

/** tokenizer.json and tokenizer_config.json from a model folder URL. */
async function loadTokenizerFiles(url: string): Promise<Loaded> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const get = async (name: string, required: boolean) => {
    const res = await fetch(base + name);
    if (res.ok) return (await res.json()) as Record<string, unknown>;
    if (required || res.status !== 404) throw new Error(`Could not download the model's ${name} (HTTP ${res.status}): check the model in the Model step`);
    return {};
  };
  const [json, config] = await Promise.all([get('tokenizer.json', true), get('tokenizer_config.json', false)]);
  return { tokenizer: new HfTokenizer(json, config), config };
}

/** A picked folder's tokenizer.json (and tokenizer_config.json, when there is one). */
async function tokenizerFromBlobs(files: NonNullable<PrepareSettings['tokenizerFiles']>): Promise<Loaded> {
  const json = JSON.parse(await files.json.text()) as Record<string, unknown>;
  const config = files.config ? (JSON.parse(await files.config.text()) as Record<string, unknown>) : {};
  return { tokenizer: new HfTokenizer(json, config), config };
}
