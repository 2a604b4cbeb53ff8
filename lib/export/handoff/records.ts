// The cleaned, split records in each trainer's own data format: TRL's conversational / prompt-completion / text
// JSONL, Axolotl's chat_template / completion / custom instruction JSONL, LLaMA-Factory's sharegpt / alpaca / text.
import type { Conversation, Turn } from '../../data/types';

type Row = Record<string, unknown>;

/** One kind for the whole data set; mixed files are refused (every target reads one format per file). */
export function dataKind(records: Conversation[]): Conversation['kind'] {
  const kinds = new Set(records.map((r) => r.kind));
  if (kinds.size !== 1) throw new Error(`The data mixes record kinds (${[...kinds].join(', ')}); a hand-off bundle needs one kind per data set`);
  if (records.some((r) => r.rejected)) throw new Error('Hand-off bundles cover supervised fine-tuning data; preference (chosen/rejected) data is not supported yet');
  return [...kinds][0];
}

/** A turn's text with Alpaca's input appended after a newline, as LLaMA-Factory joins them. */
const text = (t: Turn) => (t.input ? `${t.content}\n${t.input}` : t.content);
const ROLE: Record<Turn['role'], string> = { system: 'system', user: 'user', assistant: 'assistant', function_call: 'assistant', observation: 'tool' };
const SHAREGPT: Record<Turn['role'], string> = { system: 'system', user: 'human', assistant: 'gpt', function_call: 'function_call', observation: 'observation' };

const prompt = (r: Conversation) => text(r.turns[0]);
const completion = (r: Conversation) => text(r.turns[r.turns.length - 1]);

/** TRL: {"messages": [...]}, {"prompt", "completion"} or {"text"} (SFTTrainer's documented dataset formats). */
export function trlRow(r: Conversation): Row {
  if (r.kind === 'text') return { text: completion(r) };
  if (r.kind === 'completion') return { prompt: prompt(r), completion: completion(r) };
  return { messages: r.turns.map((t) => ({ role: ROLE[t.role], content: text(t) })) };
}

/** Axolotl: chat_template's messages, completion's text, or instruction/output for the custom (no template) format. */
export function axolotlRow(r: Conversation): Row {
  if (r.kind === 'text') return { text: completion(r) };
  if (r.kind === 'completion') return { instruction: prompt(r), output: completion(r) };
  return { messages: r.turns.map((t) => ({ role: ROLE[t.role], content: text(t) })) };
}

/** LLaMA-Factory: sharegpt conversations (system in its own column), alpaca instruction/output, or pre-training text. */
export function llamaFactoryRow(r: Conversation): Row {
  if (r.kind === 'text') return { text: completion(r) };
  if (r.kind === 'completion') return { instruction: prompt(r), input: '', output: completion(r) };
  const system = r.turns.find((t) => t.role === 'system');
  const row: Row = { conversations: r.turns.filter((t) => t.role !== 'system').map((t) => ({ from: SHAREGPT[t.role], value: text(t) })) };
  if (system) row.system = system.content;
  return row;
}

export const jsonl = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
