// LLaMA-Factory's dataset_info.json registry: lists its entries and turns one into parse options
// (shape, column mapping, message tags), following LLaMA-Factory's data/README conventions.
import type { ColumnMapping, MessageTags, RecordShape } from './types';
import { DEFAULT_TAGS, SHAREGPT_TAGS } from './detect';
import type { DatasetOptions } from './dataset';

export interface DatasetInfoEntry {
  name: string;
  /** Local file the entry points at; undefined for hub-only entries (hf_hub_url, ms_hub_url, script_url). */
  fileName?: string;
  formatting: 'alpaca' | 'sharegpt';
  ranking: boolean;
  columns: Record<string, string>;
  tags: Record<string, string>;
}

/** Every entry of a dataset_info.json text; throws with the reason when it is not one. */
export function readDatasetInfo(text: string): DatasetInfoEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new Error(`dataset_info.json is not valid JSON (${e instanceof Error ? e.message : e})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('dataset_info.json must be an object of named entries');
  return Object.entries(json as Record<string, Record<string, unknown>>).map(([name, e]) => ({
    name,
    fileName: typeof e.file_name === 'string' ? e.file_name : undefined,
    formatting: e.formatting === 'sharegpt' ? 'sharegpt' : 'alpaca',
    ranking: e.ranking === true,
    columns: (e.columns as Record<string, string>) ?? {},
    tags: (e.tags as Record<string, string>) ?? {},
  }));
}

/** The parse options an entry describes. Hub-only entries throw: the studio reads local files only. */
export function datasetInfoOptions(entry: DatasetInfoEntry): DatasetOptions & { fileName: string } {
  if (!entry.fileName) throw new Error(`Entry "${entry.name}" has no file_name: download its data and add a local file entry`);
  const c = entry.columns;
  return entry.formatting === 'sharegpt' ? sharegptOptions(entry, c) : alpacaOptions(entry, c);
}

function alpacaOptions(entry: DatasetInfoEntry, c: Record<string, string>): DatasetOptions & { fileName: string } {
  const fileName = entry.fileName!;
  // Pre-training entries name only a prompt column (e.g. c4_demo: {prompt: "text"}): plain text.
  if (c.prompt && !c.response && !entry.ranking) return { fileName, shape: 'text', mapping: { text: c.prompt }, txtMode: 'lines' };
  const mapping: ColumnMapping = {
    instruction: c.prompt ?? 'instruction',
    input: c.query ?? 'input',
    output: c.response ?? 'output',
    system: c.system ?? 'system',
    history: c.history ?? 'history',
    chosen: c.chosen ?? 'chosen',
    rejected: c.rejected ?? 'rejected',
  };
  const shape: RecordShape = entry.ranking ? 'preference' : 'alpaca';
  return { fileName, shape, mapping };
}

function sharegptOptions(entry: DatasetInfoEntry, c: Record<string, string>): DatasetOptions & { fileName: string } {
  const t = entry.tags;
  const base = t.role_tag === 'role' || t.content_tag === 'content' ? DEFAULT_TAGS : SHAREGPT_TAGS;
  const one = (v: string | undefined, fallback: string[]) => (v ? [v] : fallback);
  const tags: MessageTags = {
    roleTag: t.role_tag ?? base.roleTag,
    contentTag: t.content_tag ?? base.contentTag,
    user: one(t.user_tag, ['human']),
    assistant: one(t.assistant_tag, ['gpt']),
    system: one(t.system_tag, ['system']),
    functionCall: one(t.function_tag, ['function_call']),
    observation: one(t.observation_tag, ['observation']),
  };
  const mapping: ColumnMapping = {
    messages: c.messages ?? 'conversations',
    system: c.system,
    tools: c.tools,
    chosen: c.chosen,
    rejected: c.rejected,
  };
  return { fileName: entry.fileName!, shape: entry.ranking ? 'preference' : 'chat', mapping, tags };
}
