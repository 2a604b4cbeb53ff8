// Encodes preference records as TRL's DPOTrainer and KTOTrainer tokenise them: the prompt and each answer are
// tokenised apart and the eos id follows each answer. Standard records (a string prompt) use no chat template;
// conversational ones render the prompt with the template's generation prompt, and an answer is what rendering
// the whole conversation adds after it (TRL maybe_apply_chat_template).
import type { ChatTemplate } from './chat-template';
import { mustExtend } from './encode-chat';
import type { Conversation, PreferenceExample, TextTokenizer, Turn, UnpairedExample } from './types';

export interface PreferenceEncodeOptions {
  template?: ChatTemplate; // needed for chat records
  seqLen: number; // prompt + answer, at most
}

interface Texts {
  prompt: string;
  answer: (t: Turn) => string;
}

/** The prompt text and each answer's text of a record, templated for chat records. */
function textsOf(conv: Conversation, template?: ChatTemplate): Texts {
  if (conv.kind === 'completion') return { prompt: conv.turns[0].content, answer: (t) => t.content };
  if (conv.kind !== 'chat') throw new Error(`line ${conv.line}: a plain text record has no prompt and answer to prefer`);
  if (!template) throw new Error('Chat records need a chat template: pass one from chooseTemplate()');
  const head = conv.turns.slice(0, -1);
  const o = { tools: conv.tools };
  const prompt = template.render(head, { ...o, addGenerationPrompt: true });
  return { prompt, answer: (t) => mustExtend(template.render([...head, t], { ...o, addGenerationPrompt: false }), prompt, 'the prompt') };
}

/** Cuts prompt + answers to seqLen as TRL keeps them: the prompt loses its start, the answers their end. */
function fit(prompt: number[], answers: number[][], seqLen: number): { prompt: number[]; answers: number[][]; truncated: boolean } {
  const longest = Math.max(...answers.map((a) => a.length));
  if (prompt.length + longest <= seqLen) return { prompt, answers, truncated: false };
  const keepPrompt = Math.max(Math.min(prompt.length, 1), seqLen - longest);
  const p = prompt.slice(prompt.length - keepPrompt);
  return { prompt: p, answers: answers.map((a) => a.slice(0, seqLen - p.length)), truncated: true };
}

function tokens(tok: TextTokenizer, text: string): number[] {
  return text === '' ? [] : tok.encode(text);
}

/** Preference losses judge the last answer: a loss_weight of 0 on it leaves nothing to judge. */
function judged(conv: Conversation, answers: Turn[]): void {
  if (answers.some((a) => a.noLoss)) throw new Error(`line ${conv.line}: the answer a preference loss judges (the last assistant turn, or the rejected one) has loss_weight 0; remove the weight or the record`);
}

/** One pair's ids, or a located error for a record that is not a pair. */
export function encodePair(tok: TextTokenizer, conv: Conversation, opts: PreferenceEncodeOptions): { example: PreferenceExample; truncated: boolean } {
  if (!conv.rejected) throw new Error(`line ${conv.line}: not a preference pair (no rejected answer): DPO-family training needs chosen and rejected answers`);
  const t = textsOf(conv, opts.template);
  const chosen = conv.turns[conv.turns.length - 1];
  judged(conv, [chosen, conv.rejected]);
  const fitted = fit(tokens(tok, t.prompt), [chosen, conv.rejected].map((a) => [...tokens(tok, t.answer(a)), tok.eosId]), opts.seqLen);
  return { example: { prompt: fitted.prompt, chosen: fitted.answers[0], rejected: fitted.answers[1] }, truncated: fitted.truncated };
}

/** KTO's rows of a record: a pair gives a desirable and an undesirable answer (TRL unpair_preference_dataset); a
 * labelled record gives one. */
export function encodeUnpaired(tok: TextTokenizer, conv: Conversation, opts: PreferenceEncodeOptions): { examples: UnpairedExample[]; truncated: boolean } {
  const last = conv.turns[conv.turns.length - 1];
  const answers: [Turn, boolean][] = conv.rejected ? [[last, true], [conv.rejected, false]] : conv.label !== undefined ? [[last, conv.label]] : [];
  if (answers.length === 0) throw new Error(`line ${conv.line}: KTO needs answers marked good or bad: a preference pair, or a record with a "label" (or "kto_tag") of true or false`);
  judged(conv, answers.map(([a]) => a));
  const t = textsOf(conv, opts.template);
  const fitted = fit(tokens(tok, t.prompt), answers.map(([a]) => [...tokens(tok, t.answer(a)), tok.eosId]), opts.seqLen);
  return { examples: answers.map(([, desirable], i) => ({ prompt: fitted.prompt, completion: fitted.answers[i], desirable })), truncated: fitted.truncated };
}

export interface PreferenceSet<E> {
  examples: E[];
  truncated: number; // records cut to seqLen
}

/** Every record as pairs (unpaired: false) or KTO answers (unpaired: true); throws on the first unusable one. */
export function encodePreferenceSet(tok: TextTokenizer, convs: Conversation[], opts: PreferenceEncodeOptions & { unpaired: true }): PreferenceSet<UnpairedExample>;
export function encodePreferenceSet(tok: TextTokenizer, convs: Conversation[], opts: PreferenceEncodeOptions & { unpaired: false }): PreferenceSet<PreferenceExample>;
export function encodePreferenceSet(tok: TextTokenizer, convs: Conversation[], opts: PreferenceEncodeOptions & { unpaired: boolean }): PreferenceSet<PreferenceExample | UnpairedExample>;
export function encodePreferenceSet(tok: TextTokenizer, convs: Conversation[], opts: PreferenceEncodeOptions & { unpaired: boolean }): PreferenceSet<PreferenceExample | UnpairedExample> {
  const out: PreferenceSet<PreferenceExample | UnpairedExample> = { examples: [], truncated: 0 };
  for (const conv of convs) {
    if (opts.unpaired) {
      const r = encodeUnpaired(tok, conv, opts);
      out.examples.push(...r.examples);
      if (r.truncated) out.truncated++;
    } else {
      const r = encodePair(tok, conv, opts);
      out.examples.push(r.example);
      if (r.truncated) out.truncated++;
    }
  }
  return out;
}
