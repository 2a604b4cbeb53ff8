// The tokenizer as GGUF metadata (tokenizer.ggml.*), as the converter's _set_vocab_gpt2 / _set_vocab_llama_hf and
// gguf-py's SpecialVocab write it: byte-level BPE ("gpt2": tokens padded to vocab_size, token types, merges, the
// pre-tokenizer's name, llama.cpp's split regex for GPT-2, SmolLM, Llama-3, Qwen2, read from tokenizer.json's
// pre_tokenizer rather than the converter's hash) or SentencePiece-style BPE ("llama", spm-vocab.ts); then special
// ids, add_bos/add_eos and the chat template.
import { spmUnsupported, spmVocab, TOKEN_TYPE } from './spm-vocab';
import type { GgufWriter } from './writer';

type Json = Record<string, unknown>;

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

const isByteLevel = (p: Json | undefined) => p?.type === 'ByteLevel' && p.use_regex !== false && p.add_prefix_space !== true;

// The Split regexes of Llama-3's and Qwen2's tokenizer.json, which llama.cpp's converter recognizes only by a hash of
// the tokenizer's output; llama-vocab.cpp runs them (rewritten without the (?i:) group) for the pre-tokenizer types
// "llama-bpe" (LLAMA3) and "qwen2" (QWEN2). They differ only in digits: runs of up to three, or each digit alone.
const LLAMA3_SPLIT = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2_SPLIT = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const SPLITS: Record<string, string> = { [LLAMA3_SPLIT]: 'llama-bpe', [QWEN2_SPLIT]: 'qwen2' };

/** Byte-level mapping without its own regex (the split before it did the splitting). */
const isBareByteLevel = (p: Json | undefined) => p?.type === 'ByteLevel' && p.use_regex === false && p.add_prefix_space !== true;

/** llama.cpp's tokenizer.ggml.pre for the pre-tokenizers whose regex it reproduces; null for any other. */
export function preTokenizerName(pre: Json | null | undefined): string | null {
  if (!pre) return null;
  if (isByteLevel(pre)) return 'gpt-2'; // GPT-2's regex alone
  const seq = pre.type === 'Sequence' ? (pre.pretokenizers as Json[]) : null;
  if (!seq) return null;
  // SmolLM / SmolLM2: every digit on its own, then GPT-2's byte-level regex.
  if (seq.length === 2 && seq[0].type === 'Digits' && seq[0].individual_digits === true && isByteLevel(seq[1])) return 'smollm';
  // Llama-3 / Qwen2: one isolating Split with their regex, then byte-level mapping.
  const [split, bytes] = seq;
  const pattern = (split?.pattern as Json | undefined)?.Regex;
  if (seq.length === 2 && split.type === 'Split' && split.behavior === 'Isolated' && split.invert !== true && typeof pattern === 'string' && isBareByteLevel(bytes)) {
    return SPLITS[pattern] ?? null;
  }
  return null;
}

/** llama.cpp uses a whole pre-tokenized word that is in the vocab as one token (ignore_merges) for llama-bpe only. */
const ignoresMerges = (pre: string) => pre === 'llama-bpe';

/** "<|x|>" and a few others the converter treats as control tokens even if tokenizer.json does not mark them. */
const looksSpecial = (t: string) => (t.startsWith('<|') && t.endsWith('|>')) || ['<pad>', '<mask>'].includes(t);

const tokenName = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Json).content === 'string' ? ((v as Json).content as string) : undefined;

/** The chat template string: tokenizer_config's chat_template, or its "default" entry when it is a named list. */
function chatTemplate(cfg: Json): string | undefined {
  const t = cfg.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x?.name === 'default') as { template?: string } | undefined)?.template;
  return undefined;
}

/** Whether encoding starts with BOS, as gguf-py's SpecialVocab decides: tokenizer_config's add_bos_token when it is a
 * bool, else a TemplateProcessing post-processor (Llama-3's) whose single template starts with the BOS token. */
function addsBos(tok: Json, cfg: Json): boolean {
  if (typeof cfg.add_bos_token === 'boolean') return cfg.add_bos_token;
  const post = tok.post_processor as Json | null | undefined;
  const procs = post?.type === 'Sequence' ? ((post.processors as Json[] | undefined) ?? []) : post ? [post] : [];
  const tmpl = procs.find((p) => p.type === 'TemplateProcessing');
  const single = (tmpl?.single as Json[] | undefined) ?? [];
  const first = (single[0]?.SpecialToken as Json | undefined)?.id;
  if (single.length < 2 || typeof first !== 'string') return false;
  // Without a tokenizer_config the converter takes the template's first token as BOS.
  return Object.keys(cfg).length === 0 || first === tokenName(cfg.bos_token) || first === tokenName(cfg.cls_token);
}

export interface TokenizerSource {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  vocabSize: number;
  /** config.json's ids, used when tokenizer_config.json names no such token. */
  bosId?: number;
  eosId?: number;
}

/** Why this tokenizer cannot go into a GGUF llama.cpp reads identically, or null when it can. */
export function ggufTokenizerUnsupported(tok: Json): string | null {
  const model = tok.model as Json | undefined;
  if (model?.type !== 'BPE') return `tokenizer.json's model is ${String(model?.type)}; GGUF export supports byte-level BPE tokenizers`;
  if (model.byte_fallback) return spmUnsupported(tok);
  // NFC (Qwen2's) is left out as llama.cpp's converter leaves it out: text already in NFC tokenizes the same.
  const norm = tok.normalizer as Json | null | undefined;
  if (norm && norm.type !== 'NFC') return `tokenizer.json has a normalizer (${String(norm.type)}), which llama.cpp's gpt2 tokenizer does not apply`;
  const pre = preTokenizerName(tok.pre_tokenizer as Json);
  if (!pre) return `tokenizer.json's pre_tokenizer (${JSON.stringify(tok.pre_tokenizer)?.slice(0, 120)}) has no llama.cpp equivalent this exporter knows (GPT-2 byte-level, SmolLM, Llama-3, Qwen2)`;
  if ((model.ignore_merges === true) !== ignoresMerges(pre)) {
    return `tokenizer.json's model has ignore_merges ${model.ignore_merges === true}, but llama.cpp's "${pre}" pre-tokenizer ${ignoresMerges(pre) ? 'ignores' : 'applies'} merges for words in the vocab, so tokens could differ`;
  }
  return null;
}

export function addTokenizerMetadata(w: GgufWriter, src: TokenizerSource): void {
  const why = ggufTokenizerUnsupported(src.tokenizerJson);
  if (why) throw new Error(why);
  const model = src.tokenizerJson.model as Json;
  const vocab = model.vocab as Record<string, number>;
  const added = ((src.tokenizerJson.added_tokens as AddedToken[] | undefined) ?? []);
  const byId = new Map<number, string>();
  for (const [tok, id] of Object.entries(vocab)) byId.set(id, tok);
  for (const a of added) byId.set(a.id, a.content);
  const maxId = Math.max(...byId.keys());
  if (maxId >= src.vocabSize) throw new Error(`The tokenizer has token id ${maxId}, beyond the model's vocab_size ${src.vocabSize}`);
  const addedById = new Map(added.map((a) => [a.id, a]));
  if (model.byte_fallback) {
    const spm = spmVocab(src.tokenizerJson, src.vocabSize, byId, addedById);
    w.string('tokenizer.ggml.model', 'llama');
    w.string('tokenizer.ggml.pre', 'default');
    w.stringArray('tokenizer.ggml.tokens', spm.tokens);
    w.f32Array('tokenizer.ggml.scores', spm.scores);
    w.i32Array('tokenizer.ggml.token_type', spm.types);
    w.bool('tokenizer.ggml.add_space_prefix', spm.addSpacePrefix);
    addSpecials(w, src, spm.tokens, typeof model.unk_token === 'string' ? model.unk_token : undefined);
    return;
  }
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < src.vocabSize; i++) {
    const t = byId.get(i);
    const a = addedById.get(i);
    if (t === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_TYPE.UNUSED);
    } else {
      tokens.push(t);
      types.push(a ? (a.special || looksSpecial(t) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED) : TOKEN_TYPE.NORMAL);
    }
  }
  const merges = ((model.merges as (string | [string, string])[] | undefined) ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  w.string('tokenizer.ggml.model', 'gpt2');
  w.string('tokenizer.ggml.pre', preTokenizerName(src.tokenizerJson.pre_tokenizer as Json)!);
  w.stringArray('tokenizer.ggml.tokens', tokens);
  w.i32Array('tokenizer.ggml.token_type', types);
  w.stringArray('tokenizer.ggml.merges', merges);
  addSpecials(w, src, tokens);
}

/** Special ids (tokenizer_config's names, else config.json's ids), add_bos/add_eos and the chat template. */
function addSpecials(w: GgufWriter, src: TokenizerSource, tokens: string[], unkToken?: string): void {
  const idOf = (key: string) => {
    const name = tokenName(src.tokenizerConfig[key]);
    if (name === undefined) return undefined;
    const id = tokens.indexOf(name);
    return id >= 0 ? id : undefined;
  };
  const unkId = unkToken === undefined || !tokens.includes(unkToken) ? undefined : tokens.indexOf(unkToken);
  const ids: [string, number | undefined][] = [
    ['bos', idOf('bos_token') ?? src.bosId], ['eos', idOf('eos_token') ?? src.eosId], ['unknown', idOf('unk_token') ?? unkId], ['padding', idOf('pad_token')],
  ];
  for (const [k, id] of ids) if (id !== undefined) w.u32(`tokenizer.ggml.${k}_token_id`, id);
  w.bool('tokenizer.ggml.add_bos_token', addsBos(src.tokenizerJson, src.tokenizerConfig));
  if (typeof src.tokenizerConfig.add_eos_token === 'boolean') w.bool('tokenizer.ggml.add_eos_token', src.tokenizerConfig.add_eos_token);
  const template = chatTemplate(src.tokenizerConfig);
  if (template) w.string('tokenizer.chat_template', template);
}
