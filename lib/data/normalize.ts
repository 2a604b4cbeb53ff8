// Turns one raw object of any shape into the internal Conversation, or a located, classified issue saying
// what is wrong with it. Chat rules follow LLaMA-Factory's ShareGPT converter (optional system first, then
// user/observation and assistant/function_call turns alternating).
import type { ColumnMapping, Conversation, TrainRecord, IssueClass, MessageTags, RecordIssue, RecordShape, Role, Turn } from './types';
import { DEFAULT_TAGS, fieldName } from './detect';

export interface NormalizeOptions {
  mapping?: ColumnMapping;
  tags?: MessageTags;
}

type Result = { record: Conversation } | { issue: RecordIssue };

/** A classified problem, thrown inside one record's conversion and turned into a RecordIssue. */
class Problem extends Error {
  constructor(
    readonly cls: IssueClass,
    message: string,
  ) {
    super(message);
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Reads a string field: absent -> missing_field (or undefined when optional), non-string -> wrong_type. */
function str(obj: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new Problem('missing_field', `missing field "${key}"`);
    return undefined;
  }
  if (typeof v !== 'string') throw new Problem('wrong_type', `field "${key}" must be a string (found ${typeName(v)})`);
  return v;
}

/** An array field; CSV cells holding JSON arrays are parsed. */
function list(obj: Record<string, unknown>, key: string, required: boolean): unknown[] | undefined {
  let v = obj[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new Problem('missing_field', `missing field "${key}"`);
    return undefined;
  }
  if (typeof v === 'string' && v.trimStart().startsWith('[')) {
    try {
      v = JSON.parse(v);
    } catch {
      throw new Problem('wrong_type', `field "${key}" holds text that is not a JSON array`);
    }
  }
  if (!Array.isArray(v)) throw new Problem('wrong_type', `field "${key}" must be an array (found ${typeName(v)})`);
  return v;
}

function roleOf(name: string, tags: MessageTags): Role | undefined {
  if (tags.user.includes(name)) return 'user';
  if (tags.assistant.includes(name)) return 'assistant';
  if (tags.system.includes(name)) return 'system';
  if (tags.functionCall.includes(name)) return 'function_call';
  if (tags.observation.includes(name)) return 'observation';
  return undefined;
}

/** One message object -> Turn. `where` names it in messages ("messages[2]"). */
function turnOf(m: unknown, tags: MessageTags, where: string): Turn {
  if (!m || typeof m !== 'object' || Array.isArray(m)) {
    throw new Problem('wrong_type', `${where} must be an object with "${tags.roleTag}" and "${tags.contentTag}" (found ${typeName(m)})`);
  }
  const o = m as Record<string, unknown>;
  const roleName = o[tags.roleTag];
  if (typeof roleName !== 'string') throw new Problem('missing_field', `${where} has no "${tags.roleTag}" string`);
  const role = roleOf(roleName, tags);
  if (!role) {
    const known = [...tags.system, ...tags.user, ...tags.assistant, ...tags.functionCall, ...tags.observation];
    throw new Problem('unknown_role', `${where} has unknown role "${roleName}"; expected one of ${known.join(', ')}`);
  }
  const content = o[tags.contentTag];
  if (content === undefined || content === null) throw new Problem('missing_field', `${where} has no "${tags.contentTag}"`);
  const turn: Turn = { role, content: contentText(content, `${where}.${tags.contentTag}`) };
  const weight = o.loss_weight;
  if (weight !== undefined && weight !== null) {
    if (typeof weight !== 'number' || !(weight >= 0)) throw new Problem('wrong_type', `${where}.loss_weight must be a number >= 0 (found ${JSON.stringify(weight)})`);
    // LLaMA-Factory v1 writes 0 (no loss) or 1; a fractional weight would scale that message's token losses, which
    // the loss here does not do: refused rather than trained as 1.
    if (weight !== 0 && weight !== 1) throw new Problem('wrong_type', `${where}.loss_weight is ${weight}: only 0 (no loss on this message) or 1 is supported; fractional weights are not`);
    if (weight === 0) turn.noLoss = true;
  }
  return turn;
}

/**
 * A message's text: a string, or content parts as OpenAI writes them ([{type: 'text', text}]) or LLaMA-Factory v1
 * ([{type: 'text', value}]), joined in order. Parts that are not text (images, audio) are refused: a text model
 * cannot read them.
 */
function contentText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new Problem('wrong_type', `${where} must be a string or a list of content parts (found ${typeName(content)})`);
  return content.map((part, i) => {
    const p = part as Record<string, unknown> | null;
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new Problem('wrong_type', `${where}[${i}] must be a content part {"type": "text", "text": ...} (found ${typeName(part)})`);
    if (p.type !== 'text') {
      throw new Problem('wrong_type', `${where}[${i}] is a "${String(p.type)}" part: only text parts can be trained on a text model; remove the record or its non-text parts`);
    }
    const text = typeof p.text === 'string' ? p.text : p.value;
    if (typeof text !== 'string') throw new Problem('wrong_type', `${where}[${i}] is a text part without a "text" (or "value") string`);
    return text;
  }).join('');
}

const isAsk = (r: Role) => r === 'user' || r === 'observation';
const isAnswer = (r: Role) => r === 'assistant' || r === 'function_call';

/** Checks the turn order; `open` allows a conversation ending on the user (the prompt of a preference pair). */
export function checkTurns(turns: Turn[], open: boolean): void {
  const body = turns[0]?.role === 'system' ? turns.slice(1) : turns;
  body.forEach((t, i) => {
    if (t.content.trim() === '') throw new Problem('empty_content', `turn ${i + 1} (${t.role}) is empty: remove it or fill it in`);
    const ok = i % 2 === 0 ? isAsk(t.role) : isAnswer(t.role);
    if (!ok) {
      const want = i % 2 === 0 ? 'user (or observation)' : 'assistant (or function_call)';
      throw new Problem('not_alternating', `turn ${i + 1} is ${t.role} but should be ${want}: turns must alternate, starting with the user`);
    }
  });
  if (!open && !body.some((t) => isAnswer(t.role))) {
    throw new Problem('no_assistant_turn', 'no assistant turn: there is nothing to learn in this conversation');
  }
  if (!open && body.length > 0 && isAsk(body[body.length - 1].role)) {
    throw new Problem('not_alternating', 'the last turn is from the user: add the answer or remove the turn');
  }
  if (open && (body.length === 0 || !isAsk(body[body.length - 1].role))) {
    throw new Problem('not_alternating', 'a preference prompt must end with a user turn');
  }
}

function nonEmpty(value: string, what: string): string {
  if (value.trim() === '') throw new Problem('empty_content', `${what} is empty`);
  return value;
}

/** The turns of a messages list (OpenAI or ShareGPT tags, content parts), each located by its index. */
export function messagesOf(obj: Record<string, unknown>, key: string, tags: MessageTags): Turn[] {
  return list(obj, key, true)!.map((m, i) => turnOf(m, tags, `${key}[${i}]`));
}

function fromText(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string): Omit<Conversation, 'line'> {
  return { kind: 'text', turns: [{ role: 'assistant', content: nonEmpty(str(obj, f('text'), true)!, `field "${f('text')}"`) }] };
}

function fromPromptCompletion(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string, tags: MessageTags): Omit<Conversation, 'line'> {
  if (Array.isArray(obj[f('prompt')]) && Array.isArray(obj[f('completion')])) {
    // TRL's conversational prompt-completion (KTO's unpaired answers): prompt messages, then the answer's messages.
    const turns = [...messagesOf(obj, f('prompt'), tags), ...messagesOf(obj, f('completion'), tags)];
    checkTurns(turns, false);
    return withLabel(obj, { kind: 'chat', turns });
  }
  const prompt = str(obj, f('prompt'), true)!;
  const completion = nonEmpty(str(obj, f('completion'), true)!, `field "${f('completion')}"`);
  return withLabel(obj, { kind: 'completion', turns: [{ role: 'user', content: prompt }, { role: 'assistant', content: completion }] });
}

/** Unpaired preference data: TRL's boolean `label`, or LLaMA-Factory's `kto_tag`, marks the answer good or bad. */
function withLabel(obj: Record<string, unknown>, rec: Omit<Conversation, 'line'>): Omit<Conversation, 'line'> {
  const key = obj.label !== undefined ? 'label' : obj.kto_tag !== undefined ? 'kto_tag' : null;
  if (key === null || obj[key] === null) return rec;
  if (typeof obj[key] !== 'boolean') throw new Problem('wrong_type', `field "${key}" must be true or false (found ${typeName(obj[key])})`);
  return { ...rec, label: obj[key] as boolean };
}

/** Alpaca: system, history pairs, then the instruction as the user turn, carrying a non-empty input apart. */
function alpacaPrompt(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string): Turn[] {
  const turns: Turn[] = [];
  const system = str(obj, f('system'), false);
  if (system && system.trim() !== '') turns.push({ role: 'system', content: system });
  for (const [i, pair] of (list(obj, f('history'), false) ?? []).entries()) {
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((x) => typeof x !== 'string')) {
      throw new Problem('wrong_type', `history[${i}] must be a [question, answer] pair of strings`);
    }
    turns.push({ role: 'user', content: pair[0] }, { role: 'assistant', content: pair[1] });
  }
  const instruction = nonEmpty(str(obj, f('instruction'), true)!, `field "${f('instruction')}"`);
  const input = str(obj, f('input'), false);
  turns.push(input && input.trim() !== '' ? { role: 'user', content: instruction, input } : { role: 'user', content: instruction });
  return turns;
}

function fromAlpaca(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string): Omit<Conversation, 'line'> {
  const turns = alpacaPrompt(obj, f);
  turns.push({ role: 'assistant', content: nonEmpty(str(obj, f('output'), true)!, `field "${f('output')}"`) });
  checkTurns(turns, false);
  return { kind: 'chat', turns };
}

function fromChat(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string, tags: MessageTags): Omit<Conversation, 'line'> {
  const turns = messagesOf(obj, f('messages'), tags);
  const system = str(obj, f('system'), false); // a separate system column (LLaMA-Factory `columns.system`)
  if (system && system.trim() !== '' && turns[0]?.role !== 'system') turns.unshift({ role: 'system', content: system });
  checkTurns(turns, false);
  return withLabel(obj, { kind: 'chat', turns, tools: toolsOf(obj, f('tools')) });
}

function toolsOf(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One answer of a preference pair: a string, a message object, or a list of messages ending with it. */
function answerOf(v: unknown, key: string, tags: MessageTags): { turn: Turn; before: Turn[] } {
  if (v === undefined || v === null) throw new Problem('missing_field', `missing field "${key}"`);
  if (typeof v === 'string') return { turn: { role: 'assistant', content: nonEmpty(v, `field "${key}"`) }, before: [] };
  const turns = Array.isArray(v) ? v.map((m, i) => turnOf(m, tags, `${key}[${i}]`)) : [turnOf(v, tags, key)];
  const turn = turns[turns.length - 1];
  if (!turn || !isAnswer(turn.role)) throw new Problem('no_assistant_turn', `field "${key}" does not end with an assistant answer`);
  nonEmpty(turn.content, `the answer in "${key}"`);
  return { turn, before: turns.slice(0, -1) };
}

/** Preference pairs: LLaMA-Factory (conversations + chosen/rejected messages), TRL (prompt + chosen/rejected), Alpaca-style. */
function fromPreference(obj: Record<string, unknown>, f: (k: keyof ColumnMapping) => string, tags: MessageTags): Omit<Conversation, 'line'> {
  const chosen = answerOf(obj[f('chosen')], f('chosen'), tags);
  const rejected = answerOf(obj[f('rejected')], f('rejected'), tags);
  let prompt: Turn[];
  let kind: Conversation['kind'] = 'chat';
  if (obj[f('messages')] !== undefined) prompt = messagesOf(obj, f('messages'), tags);
  else if (obj[f('instruction')] !== undefined) prompt = alpacaPrompt(obj, f);
  else if (typeof obj[f('prompt')] === 'string') {
    prompt = [{ role: 'user', content: obj[f('prompt')] as string }];
    kind = 'completion';
  } else if (obj[f('prompt')] !== undefined) prompt = messagesOf(obj, f('prompt'), tags);
  else {
    // Implicit prompt: the turns before the answers, which two whole conversations must share.
    prompt = chosen.before;
    if (JSON.stringify(rejected.before) !== JSON.stringify(prompt)) {
      throw new Problem('wrong_type', `"${f('chosen')}" and "${f('rejected')}" must be the same conversation up to their last answer`);
    }
  }
  if (prompt.length === 0) throw new Problem('missing_field', `no prompt: expected "${f('messages')}", "${f('prompt')}" or "${f('instruction')}"`);
  if (kind === 'chat') checkTurns(prompt, true);
  return { kind, turns: [...prompt, chosen.turn], rejected: rejected.turn, tools: toolsOf(obj, f('tools')) };
}

/** Converts one object of the given shape; every failure becomes a classified, located issue. */
export function toConversation(obj: Record<string, unknown>, line: number, shape: RecordShape, opts: NormalizeOptions = {}): Result {
  const f = (k: keyof ColumnMapping) => fieldName(obj, k, opts.mapping);
  const tags = opts.tags ?? DEFAULT_TAGS;
  try {
    let rec: Omit<Conversation, 'line'>;
    if (shape === 'text') rec = fromText(obj, f);
    else if (shape === 'prompt-completion') rec = fromPromptCompletion(obj, f, tags);
    else if (shape === 'alpaca') rec = fromAlpaca(obj, f);
    else if (shape === 'chat') rec = fromChat(obj, f, tags);
    else rec = fromPreference(obj, f, tags);
    if (rec.tools === undefined) delete rec.tools;
    return { record: { ...rec, line } };
  } catch (e) {
    if (e instanceof Problem) return { issue: { line, class: e.cls, reason: e.message } };
    throw e;
  }
}

/** The older {prompt, completion} record as a Conversation (an empty prompt is plain text). */
export function fromTrainRecord(r: TrainRecord, line: number): Conversation {
  if (r.prompt === '') return { kind: 'text', line, turns: [{ role: 'assistant', content: r.completion }] };
  return { kind: 'completion', line, turns: [{ role: 'user', content: r.prompt }, { role: 'assistant', content: r.completion }] };
}
