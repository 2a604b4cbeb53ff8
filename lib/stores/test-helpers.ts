// Test doubles for the store tests: a scriptable fake worker, a manual frame scheduler and a fake data client.
import type { WorkerEvent, WorkerRequest } from '../train-worker/protocol';
import type { WorkerLike } from '../train-worker/client';
import { strToU8, zipSync } from 'fflate';
import type { HandoffJob, ParseOptions, ParsedSummary, PrepareSettings, PreparedReport, PreviewView } from '../data-worker/protocol';
import type { RecordIssue } from '../data/types';
import { datasetStats } from '../data/stats';
import { splitDataset } from '../data/split3';
import type { DataClientLike } from './data-actions';

export class FakeWorker implements WorkerLike {
  posted: WorkerRequest[] = [];
  /** Transfer lists, one per posted message. */
  transfers: Transferable[][] = [];
  terminated = false;
  private listeners = new Map<string, ((ev: Event) => void)[]>();

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    // Structured clone, as a real worker boundary does.
    this.posted.push(structuredClone(message) as WorkerRequest);
    this.transfers.push(transfer);
  }
  terminate(): void {
    this.terminated = true;
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(event: WorkerEvent): void {
    for (const l of this.listeners.get('message') ?? []) l({ data: event } as unknown as Event);
  }
  emitRaw(data: unknown): void {
    for (const l of this.listeners.get('message') ?? []) l({ data } as unknown as Event);
  }
  crash(message: string): void {
    const ev = { message, filename: '', lineno: 0, preventDefault() {} };
    for (const l of this.listeners.get('error') ?? []) l(ev as unknown as Event);
  }
  types(): string[] {
    return this.posted.map((m) => m.type);
  }
}

/** Collects scheduled flushes; `run()` fires them as one animation frame would. */
export class ManualScheduler {
  private queue: (() => void)[] = [];
  schedule = (flush: () => void): (() => void) => {
    this.queue.push(flush);
    return () => {
      this.queue = this.queue.filter((f) => f !== flush);
    };
  };
  get pending(): number {
    return this.queue.length;
  }
  run(): void {
    const q = this.queue;
    this.queue = [];
    for (const f of q) f();
  }
}

export function stepEvent(step: number, loss: number, totalSteps = 10): WorkerEvent {
  return {
    type: 'step',
    metrics: { step, totalSteps, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 500, tokens: step * 64, elapsedMs: step * 100 },
  };
}

/**
 * A data client that answers at once, without a worker: the file's non-empty lines are its records, the split
 * is the real seeded split (splitDataset) over them, and each encoded example is a short fixed sequence.
 */
export class FakeDataClient implements DataClientLike {
  calls: string[] = [];
  lastSettings: PrepareSettings | null = null;
  lastParseOptions: ParseOptions | null = null;
  private records = 0;
  private fileName = '';

  constructor(private readonly issues: RecordIssue[] = []) {}

  async parse(_slot: 'main' | 'validation', file: Blob, fileName: string, options: ParseOptions): Promise<ParsedSummary> {
    this.calls.push('parse');
    this.lastParseOptions = options;
    const lines = (await file.text()).split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) throw new Error('The file is empty: choose a file with at least one record');
    this.records = lines.length - this.issues.length;
    this.fileName = fileName;
    return { fileName, container: 'jsonl', shape: 'prompt-completion', total: lines.length, valid: this.records, issues: this.issues, issueCounts: {} };
  }

  private parts(s: PrepareSettings) {
    return splitDataset(Array.from({ length: this.records }, (_, i) => i), { validation: s.split.validation, test: s.split.test }, s.split.seed);
  }

  async prepare(s: PrepareSettings): Promise<PreparedReport> {
    this.calls.push('prepare');
    this.lastSettings = s;
    const p = this.parts(s);
    const zero = { empty: 0, duplicate: 0, near_duplicate: 0, too_long: 0 };
    return {
      template: 'chatml',
      modelHasTemplate: false,
      clean: { kept: this.records, removedCounts: zero, normalized: 0, truncated: 0 },
      removed: [],
      stats: datasetStats(FAKE_TOKENIZER, [], { seqLen: s.seqLen }),
      split: { train: p.train.length, validation: p.validation.length, test: p.test.length, fromFile: false },
      packing: { rows: 0, examples: 0, paddingBefore: 0, paddingAfter: 0, paddingSavedShare: 0 },
    };
  }

  async preview(index: number): Promise<PreviewView> {
    this.calls.push('preview');
    return { index, count: this.records, line: index + 1, tokens: [{ id: 1, text: this.fileName, carriesLoss: true }] };
  }

  async encode(s: PrepareSettings): ReturnType<DataClientLike['encode']> {
    this.calls.push('encode');
    const p = this.parts(s);
    const ex = () => ({ ids: [1, 2, 3], mask: [0, 1, 1] });
    return { train: p.train.map(ex), validation: p.validation.map(ex), test: p.test.map(ex), truncated: 0, droppedNoLoss: 0 };
  }

  lastHandoff: { settings: PrepareSettings; job: HandoffJob } | null = null;
  /** Rejects the next hand-off request with this message (then answers again). */
  handoffError: string | null = null;

  /** A zip named after the target holding data/train.jsonl with one line per training record of the split. */
  async handoff(s: PrepareSettings, job: HandoffJob, onProgress?: (stage: string, loaded: number, total: number) => void) {
    this.calls.push('handoff');
    this.lastHandoff = { settings: s, job };
    onProgress?.('Zipping', 2, 3);
    const error = this.handoffError;
    this.handoffError = null;
    if (error) throw new Error(error);
    const p = this.parts(s);
    const folder = `job-${job.target}`;
    const zip = zipSync({ [`${folder}/data/train.jsonl`]: strToU8(p.train.map((i) => JSON.stringify({ text: String(i) }) + '\n').join('')) });
    const bytes = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer;
    return { fileName: `${folder}.zip`, files: [`${folder}/data/train.jsonl`], train: p.train.length, validation: p.validation.length, bytes };
  }

  terminate(): void {
    this.calls.push('terminate');
  }
}

const FAKE_TOKENIZER = { encode: () => [], decode: () => '', vocabSize: 4, eosId: 0 };

/** Lets pending promise callbacks (and zero-delay timers) run. */
export const tick = () => new Promise((r) => setTimeout(r, 5));
