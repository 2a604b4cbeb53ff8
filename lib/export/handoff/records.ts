// The cleaned, split records in each trainer's own data format: TRL's conversational / prompt-completion / text
// JSONL (and its preference and unpaired preference rows), Axolotl's chat_template / completion / custom
// instruction JSONL, LLaMA-Factory's sharegpt / alpaca / text.
import type { Conversation, Turn } from '../../data/types';
import type { HandoffObjective } from './preference';

type Row = Record<string, unknown>;

/** One kind for the whole data set; mixed files are refused (every target reads one format per file). */
export function dataKind(records: Conversation[]): Conversation['kind'] {
  const kinds = new Set(records.map((r) => r.kind));
  if (kinds.size !== 1) throw new Error(`The data mixes record kinds (${[...kinds].join(', ')}); a hand-off bundle needs one kind per data set`);
  return [...kinds][0];
}

/** A turn's text with Alpaca's input appended after a newline, as LLaMA-Factory joins them. */
export const text = (t: Turn) => (t.input ? `${t.content}\n${t.input}` : t.content);
export const ROLE: Record<Turn['role'], string> = { system: 'system', user: 'user', assistant: 'assistant', function_call: 'assistant', observation: 'tool' };
export const SHAREGPT: Record<Turn['role'], string> = { system: 'system', user: 'human', assistant: 'gpt', function_call: 'function_call', observation: 'observation' };

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

const messages = (turns: Turn[]) => turns.map((t) => ({ role: ROLE[t.role], content: text(t) }));

/** TRL preference rows (DPOTrainer, RewardTrainer): {prompt, chosen, rejected} as strings, or as messages with an
 * explicit prompt; KTOTrainer's unpaired rows {prompt, completion, label} in the same two forms. */
export function trlPreferenceRow(r: Conversation, o: HandoffObjective): Row {
  const before = r.turns.slice(0, -1);
  const last = r.turns[r.turns.length - 1];
  const plain = r.kind === 'completion';
  if (o.kind === 'kto') return plain ? { prompt: prompt(r), completion: text(last), label: r.label } : { prompt: messages(before), completion: messages([last]), label: r.label };
  const rejected = r.rejected!;
  return plain ? { prompt: prompt(r), chosen: text(last), rejected: text(rejected) } : { prompt: messages(before), chosen: messages([last]), rejected: messages([rejected]) };
}

export const jsonl = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
