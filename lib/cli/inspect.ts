// `cli inspect`: reads a data file, reports its layout, shape, valid and invalid records (with line, class
// and reason), duplicates, and (with --model) token counts and how many records the sequence length cuts.
import { parseArgs } from 'node:util';
import { cleanRecords } from '../data/clean';
import { datasetStats } from '../data/stats';
import { defaultTrainConfig } from '../engine/defaults';
import { checkChoice, modelTokenizer, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { flagNumber } from './flags';

export const INSPECT_USAGE = `inspect <file> [--format auto|text|alpaca|prompt-completion|chat|preference] [--model <dir>]
      [--seq-len T] [--template auto|model|chatml|alpaca|llama3] [--near-dup J] [--entry <name>] [--json]
      With --entry, <file> is a LLaMA-Factory dataset_info.json and the named entry's file is read its way.`;

export interface InspectReport {
  format: string;
  container: string;
  records: number;
  valid: number;
  invalid: number;
  errors: { line: number; reason: string; class: string }[];
  duplicates: number;
  nearDuplicates: number | null;
  tokens: { total: number; max: number; mean: number } | null;
  truncated: number | null;
  seqLen: number | null;
  template: string | null;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' }, model: { type: 'string' }, 'seq-len': { type: 'string' },
      template: { type: 'string' }, 'near-dup': { type: 'string' }, entry: { type: 'string' }, json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new Error(`inspect takes one data file\n\n${INSPECT_USAGE}`);
  const seqLen = values['seq-len'] === undefined ? defaultTrainConfig().seqLen : flagNumber(values['seq-len']);
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new Error(`--seq-len must be an integer >= 2, got "${values['seq-len']}"`);
  const nearDup = values['near-dup'] === undefined ? undefined : flagNumber(values['near-dup']);
  if (nearDup !== undefined && !(nearDup > 0 && nearDup <= 1)) throw new Error(`--near-dup must be a Jaccard threshold in (0, 1], got "${values['near-dup']}"`);
  return {
    file: positionals[0],
    format: checkChoice(values.format, SHAPES, 'format'),
    template: checkChoice(values.template, TEMPLATES, 'template'),
    model: values.model,
    entry: values.entry,
    seqLen,
    nearDup,
    json: values.json!,
  };
}

export async function inspectFile(argv: string[]): Promise<InspectReport> {
  const o = parse(argv);
  const ds = await readDataFile(o.file, o.format, o.entry);
  const cleaned = cleanRecords(ds.records, { nearDuplicates: o.nearDup === undefined ? false : { threshold: o.nearDup } });
  const report: InspectReport = {
    format: ds.shape,
    container: ds.container,
    records: ds.total,
    valid: ds.records.length,
    invalid: ds.issues.length,
    errors: ds.issues.map((i) => ({ line: i.line, reason: i.reason, class: i.class })),
    duplicates: cleaned.removedCounts.duplicate,
    nearDuplicates: o.nearDup === undefined ? null : cleaned.removedCounts.near_duplicate,
    tokens: null,
    truncated: null,
    seqLen: null,
    template: null,
  };
  if (o.model) {
    const { tokenizer, template } = await modelTokenizer(o.model, o.template, ds.shape);
    const s = datasetStats(tokenizer, ds.records, { template, seqLen: o.seqLen });
    Object.assign(report, { tokens: { total: s.tokens.total, max: s.tokens.max, mean: s.tokens.mean }, truncated: s.truncated, seqLen: o.seqLen, template: template.name });
  }
  return report;
}

function describe(r: InspectReport): string {
  const lines = [
    `${r.container} file, ${r.format} records: ${r.records} seen, ${r.valid} valid, ${r.invalid} invalid, ${r.duplicates} exact duplicates` +
      (r.nearDuplicates === null ? '' : `, ${r.nearDuplicates} near duplicates`),
    ...r.errors.slice(0, 20).map((e) => `  line ${e.line} [${e.class}]: ${e.reason}`),
  ];
  if (r.errors.length > 20) lines.push(`  ... and ${r.errors.length - 20} more`);
  if (r.tokens) {
    lines.push(`tokens (${r.template} template): ${r.tokens.total} total, max ${r.tokens.max}, mean ${r.tokens.mean.toFixed(1)}; ${r.truncated} records longer than ${r.seqLen}`);
  }
  return lines.join('\n');
}

export async function runInspect(argv: string[]): Promise<void> {
  const report = await inspectFile(argv);
  console.log(argv.includes('--json') ? JSON.stringify(report) : describe(report));
}
