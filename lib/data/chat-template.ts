// Chat templates: how a conversation becomes the text the model reads. The model's own Jinja
// `chat_template` (tokenizer_config.json, rendered with @huggingface/jinja) when it has one, else built-in
// ChatML, Alpaca or Llama-3 layouts (as LLaMA-Factory's templates write them).
import { Template } from '@huggingface/jinja';
import type { Role, Turn } from './types';
import { renderAlpacaPrompt } from './templates';

export type BuiltinTemplateName = 'chatml' | 'alpaca' | 'llama3';
export type TemplateName = BuiltinTemplateName | 'model';

export interface RenderOptions {
  /** Append the header that opens an assistant turn (what generation continues from). */
  addGenerationPrompt: boolean;
  tools?: string;
}

export interface ChatTemplate {
  name: TemplateName;
  render(turns: Turn[], opts: RenderOptions): string;
}

/** Special-token strings of the tokenizer (tokenizer_config.json), for templates that write them. */
export interface SpecialTokens {
  bos: string;
  eos: string;
  pad: string;
}

export const BUILTIN_TEMPLATES: BuiltinTemplateName[] = ['chatml', 'alpaca', 'llama3'];

/** A turn's text for chat templates: an Alpaca input follows the instruction after a newline (LLaMA-Factory). */
export function turnText(t: Turn): string {
  return t.input !== undefined && t.input.trim() !== '' ? `${t.content}\n${t.input}` : t.content;
}

/** ChatML and Llama-3 names for our roles (tool results as "tool" / "ipython"; calls written by the assistant). */
const CHATML_ROLE: Record<Role, string> = { system: 'system', user: 'user', assistant: 'assistant', function_call: 'assistant', observation: 'tool' };
const LLAMA3_ROLE: Record<Role, string> = { ...CHATML_ROLE, observation: 'ipython' };

function chatml(turns: Turn[], o: RenderOptions): string {
  let s = o.tools ? `<|im_start|>system\nTools:\n${o.tools}<|im_end|>\n` : '';
  for (const t of turns) s += `<|im_start|>${CHATML_ROLE[t.role]}\n${turnText(t)}<|im_end|>\n`;
  return o.addGenerationPrompt ? s + '<|im_start|>assistant\n' : s;
}

function llama3(turns: Turn[], o: RenderOptions): string {
  const head = (r: string) => `<|start_header_id|>${r}<|end_header_id|>\n\n`;
  let s = '<|begin_of_text|>';
  if (o.tools) s += `${head('system')}Tools:\n${o.tools}<|eot_id|>`;
  for (const t of turns) s += `${head(LLAMA3_ROLE[t.role])}${turnText(t)}<|eot_id|>`;
  return o.addGenerationPrompt ? s + head('assistant') : s;
}

/**
 * Stanford Alpaca's prompt (templates.ts, the one `cli generate --instruction` writes) for the first exchange;
 * later exchanges continue "\n\n### Instruction:...". Each answer ends with the tokenizer's eos.
 */
function alpaca(eos: string) {
  return (turns: Turn[]): string => {
    const system = turns[0]?.role === 'system' ? turns[0].content : undefined;
    let s = '';
    for (const t of turns) {
      if (t.role === 'system') continue;
      if (t.role === 'user' || t.role === 'observation') {
        const prompt = renderAlpacaPrompt({ instruction: t.content, input: t.input, system });
        s += s === '' ? prompt : `\n\n${prompt.slice(prompt.indexOf('### Instruction:'))}`;
      } else s += `${t.content}${eos}`;
    }
    return s; // "### Response:\n" already ends each instruction: the generation prompt adds nothing
  };
}

export function builtinTemplate(name: BuiltinTemplateName, special: SpecialTokens): ChatTemplate {
  if (name === 'chatml') return { name, render: chatml };
  if (name === 'llama3') return { name, render: llama3 };
  if (name === 'alpaca') return { name, render: alpaca(special.eos) };
  throw new Error(`Unknown template "${name}": choose one of ${BUILTIN_TEMPLATES.join(', ')}`);
}

/** tokenizer_config.json stores special tokens as strings or as {content} objects. */
function tokenText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return '';
}

export function specialTokens(tokenizerConfig: Record<string, unknown>): SpecialTokens {
  return { bos: tokenText(tokenizerConfig.bos_token), eos: tokenText(tokenizerConfig.eos_token), pad: tokenText(tokenizerConfig.pad_token) };
}

/** The Jinja source of a model's chat template, or null. A list of named templates picks "default". */
export function chatTemplateSource(tokenizerConfig: Record<string, unknown>): string | null {
  const t = tokenizerConfig.chat_template;
  if (typeof t === 'string' && t.trim() !== '') return t;
  if (Array.isArray(t)) {
    const named = t.find((x) => x && typeof x === 'object' && x.name === 'default');
    if (named && typeof named.template === 'string') return named.template;
  }
  return null;
}

/** The model's own template (null when tokenizer_config.json has none). Roles are written the HF way. */
export function modelTemplate(tokenizerConfig: Record<string, unknown>): ChatTemplate | null {
  const src = chatTemplateSource(tokenizerConfig);
  if (!src) return null;
  let tpl: Template;
  try {
    tpl = new Template(src);
  } catch (e) {
    throw new Error(`The model's chat_template does not parse (${e instanceof Error ? e.message : e}): choose a built-in template`);
  }
  const special = specialTokens(tokenizerConfig);
  return {
    name: 'model',
    render: (turns, o) => {
      try {
        return tpl.render({
          messages: turns.map((t) => ({ role: CHATML_ROLE[t.role], content: turnText(t) })),
          add_generation_prompt: o.addGenerationPrompt,
          tools: o.tools ? parseTools(o.tools) : undefined,
          bos_token: special.bos,
          eos_token: special.eos,
          pad_token: special.pad,
        });
      } catch (e) {
        // raise_exception() in a template is how models refuse a conversation (e.g. roles out of order).
        throw new Error(`The model's chat_template (tokenizer_config.json) refused this conversation: ${e instanceof Error ? e.message : String(e)}. Fix the record or choose a built-in template`);
      }
    },
  };
}

function parseTools(tools: string): unknown {
  try {
    return JSON.parse(tools);
  } catch {
    return tools;
  }
}

/** The template to use: the named one, or (for 'auto') the model's, else Alpaca for Alpaca data, else ChatML. */
export function chooseTemplate(
  name: TemplateName | 'auto',
  tokenizerConfig: Record<string, unknown>,
  shape?: string,
): ChatTemplate {
  const fromModel = modelTemplate(tokenizerConfig);
  if (name === 'model') {
    if (!fromModel) throw new Error("This model's tokenizer_config.json has no chat_template: choose chatml, alpaca or llama3");
    return fromModel;
  }
  if (name !== 'auto') return builtinTemplate(name, specialTokens(tokenizerConfig));
  if (fromModel) return fromModel;
  return builtinTemplate(shape === 'alpaca' ? 'alpaca' : 'chatml', specialTokens(tokenizerConfig));
}
