// Encodes a Conversation into token ids with a loss mask: plain text learns everything, prompt/completion its
// completion, chat its assistant turns only. Chat is rendered incrementally: the text before each assistant
// turn (rendered with the generation prompt) and the turn itself are encoded as separate pieces, so every
// assistant span is exact in token space (no token straddles a prompt and an answer).
import type { Conversation, PreviewToken, TextTokenizer, TokenExample, Turn } from './types';
import type { ChatTemplate } from './chat-template';

export interface EncodeOptions {
  /** Needed for chat records; text and completion records are not templated. */
  template?: ChatTemplate;
  /** Keep the first seqLen tokens; omit to keep everything (statistics). */
  seqLen?: number;
  /** Learn every token (prompt and template included), not only the answers. */
  trainOnAll?: boolean;
}

export interface EncodedConversation {
  example: TokenExample;
  /** Tokens before any cut. */
  length: number;
  truncated: boolean;
}

interface Piece {
  text: string;
  loss: boolean;
}

const isAnswer = (t: Turn) => t.role === 'assistant' || t.role === 'function_call';

export function mustExtend(longer: string, prefix: string, what: string): string {
  if (!longer.startsWith(prefix)) {
    throw new Error(`The chat template renders ${what} differently once more turns follow, so answers cannot be located: choose a built-in template`);
  }
  return longer.slice(prefix.length);
}

/** Splits the rendered conversation into prompt pieces and answer pieces, in order. */
export function chatPieces(conv: Conversation, template: ChatTemplate): Piece[] {
  const pieces: Piece[] = [];
  const o = { tools: conv.tools };
  let done = '';
  conv.turns.forEach((t, i) => {
    if (!isAnswer(t)) return;
    const before = template.render(conv.turns.slice(0, i), { ...o, addGenerationPrompt: true });
    const after = template.render(conv.turns.slice(0, i + 1), { ...o, addGenerationPrompt: false });
    pieces.push({ text: mustExtend(before, done, `turn ${i}`), loss: false });
    pieces.push({ text: mustExtend(after, before, `answer ${i}`), loss: !t.noLoss }); // loss_weight 0: no loss
    done = after;
  });
  const rest = mustExtend(template.render(conv.turns, { ...o, addGenerationPrompt: false }), done, 'the end');
  if (rest) pieces.push({ text: rest, loss: false });
  return pieces.filter((p) => p.text !== '');
}

/** Pieces of any record kind. Text and completion end with eos (written as the eos id, not as text). */
function piecesOf(conv: Conversation, opts: EncodeOptions): Piece[] {
  if (conv.kind === 'text') return [{ text: conv.turns[0].content, loss: true }];
  if (conv.kind === 'completion') {
    return [
      { text: conv.turns[0].content, loss: false },
      { text: conv.turns[1].content, loss: true },
    ].filter((p) => p.text !== '');
  }
  if (!opts.template) throw new Error('Chat records need a chat template: pass one from chooseTemplate()');
  return chatPieces(conv, opts.template);
}

/** ids and mask (1 = the token is predicted and carries loss); position 0 never carries loss. */
export function encodeConversation(tok: TextTokenizer, conv: Conversation, opts: EncodeOptions = {}): EncodedConversation {
  if (opts.seqLen !== undefined && !(Number.isInteger(opts.seqLen) && opts.seqLen >= 2)) {
    throw new RangeError(`seqLen must be an integer >= 2, got ${opts.seqLen}`);
  }
  const ids: number[] = [];
  const mask: number[] = [];
  for (const p of piecesOf(conv, opts)) {
    for (const id of tok.encode(p.text)) {
      ids.push(id);
      mask.push(p.loss || opts.trainOnAll ? 1 : 0);
    }
  }
  if (conv.kind !== 'chat') {
    ids.push(tok.eosId);
    mask.push(1);
  }
  if (mask.length) mask[0] = 0;
  const length = ids.length;
  const truncated = opts.seqLen !== undefined && length > opts.seqLen;
  if (truncated) {
    ids.length = opts.seqLen!;
    mask.length = opts.seqLen!;
  }
  return { example: { ids, mask }, length, truncated };
}

/** The chosen answer only: what supervised fine-tuning learns from a preference pair. */
export function withoutRejected(conv: Conversation): Conversation {
  if (!conv.rejected) return conv;
  const rest = { ...conv };
  delete rest.rejected;
  return rest;
}

export interface EncodedSet {
  examples: TokenExample[];
  truncated: number;
  /** Records left with nothing to learn after the cut; not in `examples`. */
  droppedNoLoss: number;
  droppedLines: number[];
}

/** Encodes many records for training; counts cuts, drops (and lists) records left without loss. */
export function encodeConversations(tok: TextTokenizer, convs: Conversation[], opts: EncodeOptions & { seqLen: number }): EncodedSet {
  const out: EncodedSet = { examples: [], truncated: 0, droppedNoLoss: 0, droppedLines: [] };
  for (const conv of convs) {
    const { example, truncated } = encodeConversation(tok, withoutRejected(conv), opts);
    if (truncated) out.truncated++;
    if (example.mask.includes(1)) out.examples.push(example);
    else {
      out.droppedNoLoss++;
      out.droppedLines.push(conv.line);
    }
  }
  return out;
}

/** What the model sees for one record: each token, its text, and whether it carries loss. */
export function previewTokens(tok: TextTokenizer, conv: Conversation, opts: EncodeOptions = {}): PreviewToken[] {
  const { example } = encodeConversation(tok, withoutRejected(conv), opts);
  return example.ids.map((id, i) => ({ id, text: tok.decode([id]), carriesLoss: example.mask[i] === 1 }));
}
