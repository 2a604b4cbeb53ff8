// Shared data options of `cli inspect` and `cli train`: read a data file of any layout and shape, and load a
// model folder's tokenizer with the chat template that goes with the data.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadTokenizer } from '../engine/loader';
import { parseJsonFile } from '../engine/model-load-error';
import { parseDataset, type DatasetOptions } from '../data/dataset';
import { datasetInfoOptions, readDatasetInfo } from '../data/dataset-info';
import { chooseTemplate, type ChatTemplate, type TemplateName } from '../data/chat-template';
import type { Dataset, RecordShape, TextTokenizer } from '../data/types';
import { fsSource } from './fs-source';
import { isParquet } from '../data/read';
import { parseDatasetInThread } from './read-thread';

export const SHAPES = ['auto', 'text', 'alpaca', 'prompt-completion', 'chat', 'preference'] as const;
export const TEMPLATES = ['auto', 'model', 'chatml', 'alpaca', 'llama3'] as const;

export function checkChoice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  const v = value ?? allowed[0];
  if (!allowed.includes(v as T)) throw new Error(`--${flag} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

async function readBytes(file: string, what: string): Promise<Uint8Array> {
  const bytes = await readFile(file).catch(() => {
    throw new Error(`Cannot read the ${what} ${file}: check the path`);
  });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads and normalises a data file (JSONL, JSON, CSV, TSV, Parquet, txt). With `entry`, `file` is a
 * LLaMA-Factory dataset_info.json and the entry's file (beside it) is read with the entry's shape and columns.
 */
export async function readDataFile(file: string, format: RecordShape | 'auto', entry?: string): Promise<Dataset> {
  let path = file;
  let opts: DatasetOptions = { shape: format };
  if (entry) {
    const entries = readDatasetInfo(new TextDecoder().decode(await readBytes(file, 'dataset_info.json')));
    const found = entries.find((e) => e.name === entry);
    if (!found) throw new Error(`No entry "${entry}" in ${file}; it has ${entries.slice(0, 8).map((e) => e.name).join(', ')}${entries.length > 8 ? ', ...' : ''}`);
    const info = datasetInfoOptions(found);
    path = join(dirname(file), info.fileName);
    opts = format === 'auto' ? info : { ...info, shape: format };
  }
  const bytes = await readBytes(path, 'data file');
  // Parquet on a thread under a time budget: a damaged file can make the reader loop without end.
  const parquet = opts.container === 'parquet' || (!opts.container && (/\.parquet$/i.test(path) || isParquet(bytes)));
  return parquet ? parseDatasetInThread(basename(path), bytes, opts) : parseDataset(basename(path), bytes, opts);
}

/** The tokenizer of a model folder and the template for this data (the model's own when it has one). */
export async function modelTokenizer(
  dir: string,
  template: TemplateName | 'auto',
  shape: RecordShape,
): Promise<{ tokenizer: TextTokenizer; template: ChatTemplate }> {
  const { tokenizer, files } = await loadTokenizer(fsSource(resolve(dir)));
  const raw = files['tokenizer_config.json'];
  const config = raw ? parseJsonFile(new TextDecoder().decode(raw), 'tokenizer_config.json') : {};
  return { tokenizer, template: chooseTemplate(template, config, shape) };
}
