// Prompts for RL (GRPO, RLOO, PPO): a JSONL/JSON (or CSV, Parquet) file whose records hold a string `prompt`
// (no chat template, as TRL's standard format) or chat `messages` (templated up to the generation prompt), and
// optionally a reference `answer` for exact-match rewards (for chat records, a closing assistant turn is one).
// Every record that is neither is refused with its line and what to do. The studio's Data step reads prompts from
// the records it already parses (prompt/completion, Alpaca, chat): the last answer becomes the reference answer.
import type { ChatTemplate } from './chat-template';
import { DEFAULT_TAGS } from './detect';
import { checkTurns, messagesOf } from './normalize';
import { readRows } from './read';
import type { Conversation, PromptExample, TextTokenizer, Turn } from './types';

export interface PromptRecord {
  line: number;
  prompt: string | Turn[]; // plain text, or the turns before the answer
  answer?: string;
}

function recordOf(obj: Record<string, unknown>, line: number): PromptRecord {
  const answer = obj.answer;
  if (answer !== undefined && typeof answer !== 'string') throw new Error(`line ${line}: "answer" must be a string (the reference answer), found ${Array.isArray(answer) ? 'an array' : typeof answer}`);
  if (typeof obj.prompt === 'string') {
    if (obj.prompt.trim() === '') throw new Error(`line ${line}: "prompt" is empty: fill it in or remove the record`);
    return { line, prompt: obj.prompt, ...(answer !== undefined ? { answer } : {}) };
  }
  const key = obj.messages !== undefined ? 'messages' : Array.isArray(obj.prompt) ? 'prompt' : null;
  if (!key) throw new Error(`line ${line}: no prompt: an RL record needs a string "prompt" or chat "messages" (optionally with a reference "answer"); found fields ${Object.keys(obj).join(', ') || 'none'}`);
  let turns: Turn[];
  try {
    turns = messagesOf(obj, key, DEFAULT_TAGS);
    const last = turns[turns.length - 1];
    const closing = last && (last.role === 'assistant' || last.role === 'function_call') ? last : undefined;
    if (closing) turns = turns.slice(0, -1);
    checkTurns(turns, true);
    const ref = answer ?? closing?.content;
    return { line, prompt: turns, ...(ref !== undefined ? { answer: ref } : {}) };
  } catch (e) {
    throw new Error(`line ${line}: "${key}": ${(e as Error).message}`);
  }
}

/** Every record of the file as a prompt; throws on the first that is not one, or on an unreadable row. */
export async function readPromptRecords(fileName: string, bytes: Uint8Array): Promise<PromptRecord[]> {
  const { rows } = await readRows(fileName, bytes);
  const out = rows.map((r) => {
    if (!r.obj) throw new Error(`${fileName} line ${r.line}: ${r.reason ?? 'not a record'}`);
    try {
      return recordOf(r.obj, r.line);
    } catch (e) {
      throw new Error(`${fileName} ${(e as Error).message}`);
    }
  });
  if (out.length === 0) throw new Error(`${fileName} has no prompts`);
  return out;
}

/** Prompt ids as TRL tokenises them: plain prompts as they are, chat prompts through the template with its
 * generation prompt. */
export function encodePrompts(tok: TextTokenizer, records: PromptRecord[], template: ChatTemplate | undefined): PromptExample[] {
  return records.map((r) => {
    let text: string;
    if (typeof r.prompt === 'string') text = r.prompt;
    else if (!template) throw new Error(`line ${r.line}: chat prompts need a chat template`);
    else text = template.render(r.prompt, { addGenerationPrompt: true });
    const prompt = tok.encode(text);
    if (prompt.length === 0) throw new Error(`line ${r.line}: the prompt has no tokens`);
    return { prompt, ...(r.answer !== undefined ? { answer: r.answer } : {}) };
  });
}

/** Prompt records from parsed conversations: the turns before the last answer, which is the reference answer. */
export function conversationPrompts(convs: Conversation[]): PromptRecord[] {
  return convs.map((c) => {
    if (c.kind === 'text') throw new Error(`line ${c.line}: a plain text record has no prompt to answer: RL needs prompts (prompt/completion, instruction/output or chat records)`);
    const last = c.turns[c.turns.length - 1];
    const answered = last.role === 'assistant' || last.role === 'function_call';
    const head = answered ? c.turns.slice(0, -1) : c.turns;
    const prompt = c.kind === 'completion' ? head.map((t) => t.content).join('') : head;
    return { line: c.line, prompt, ...(answered ? { answer: last.content } : {}) };
  });
}
