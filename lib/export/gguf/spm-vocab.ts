// SentencePiece-style BPE tokenizers (Llama-2, TinyLlama, Mistral: tokenizer.json BPE with byte_fallback, "▁" for
// spaces, <0xNN> byte tokens) as llama.cpp's "llama" (SPM) vocab: tokens, scores and token types.
// llama.cpp's SPM tokenizer ignores merges: it joins the adjacent pair whose concatenation is a token of highest score
// (ties: leftmost). The converter's LlamaHfVocab (only tokenizer.json, no tokenizer.model) writes -1000 for every
// score, which makes llama.cpp join leftmost-first instead of in merge order; we write each token's score as minus
// the rank of its first merge, so the highest score is the earliest merge, and refuse vocabularies where joining by
// score could differ from BPE by rank (a pair that is a token but not a merge, merges of one token not adjacent).

/** gguf-py's TokenType. */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

type Json = Record<string, unknown>;

export const SPACE = '\u2581';
const isByteToken = (t: string) => /^<0x[0-9A-F]{2}>$/.test(t);
const isReplaceSpace = (n: Json | undefined) =>
  n?.type === 'Replace' && (n.pattern as Json | undefined)?.String === ' ' && n.content === SPACE;
const isPrependSpace = (n: Json | undefined) => n?.type === 'Prepend' && n.prepend === SPACE;

/** Whether llama.cpp should put "▁" before the text (tokenizer.ggml.add_space_prefix), read from tokenizer.json's
 * normalizer (Llama-2's Prepend + Replace) or its Metaspace pre-tokenizer; a string saying why not when neither fits. */
export function spmSpacePrefix(tok: Json): boolean | string {
  const norm = tok.normalizer as Json | null | undefined;
  const pre = tok.pre_tokenizer as Json | null | undefined;
  if (norm && !pre) {
    const steps = norm.type === 'Sequence' ? ((norm.normalizers as Json[] | undefined) ?? []) : [norm];
    if (steps.length === 2 && isPrependSpace(steps[0]) && isReplaceSpace(steps[1])) return true;
    if (steps.length === 1 && isReplaceSpace(steps[0])) return false;
  }
  if (!norm && pre?.type === 'Metaspace' && pre.replacement === SPACE) {
    if (pre.split !== false) return 'tokenizer.json\'s Metaspace pre-tokenizer splits words at "▁" (split is not false), which llama.cpp\'s SPM tokenizer does not do';
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    if (scheme === 'always' || scheme === 'first') return true;
    if (scheme === 'never') return false;
  }
  return `tokenizer.json's normalizer (${JSON.stringify(norm)?.slice(0, 100)}) and pre_tokenizer (${JSON.stringify(pre)?.slice(0, 100)}) are not SentencePiece's space handling (Prepend "▁" + Replace " " with "▁", or Metaspace without split) that llama.cpp reproduces`;
}

const mergePairs = (model: Json): [string, string][] =>
  ((model.merges as (string | [string, string])[] | undefined) ?? []).map((m) => {
    if (Array.isArray(m)) return m;
    const i = m.indexOf(' ', 1);
    return [m.slice(0, i), m.slice(i + 1)];
  });

/** Why llama.cpp's SPM tokenizer could tokenize this byte_fallback BPE differently from it, or null. */
export function spmUnsupported(tok: Json): string | null {
  const model = tok.model as Json;
  if (model.dropout != null && model.dropout !== 0) return 'tokenizer.json\'s BPE has dropout, which llama.cpp does not apply';
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return 'tokenizer.json\'s BPE has a subword prefix or suffix, which SentencePiece tokenizers do not use';
  if (model.ignore_merges === true) return 'tokenizer.json\'s BPE has ignore_merges, which llama.cpp\'s SPM tokenizer does not do';
  const space = spmSpacePrefix(tok);
  if (typeof space === 'string') return space;
  const vocab = model.vocab as Record<string, number>;
  for (let b = 0; b < 256; b++) {
    const t = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (!(t in vocab)) return `tokenizer.json has byte_fallback but no byte token ${t}; llama.cpp needs all 256`;
  }
  const merges = mergePairs(model);
  const pairs = new Set(merges.map(([a, b]) => `${a} ${b}`));
  // Merges of one token must be adjacent in rank: llama.cpp ranks a pair by its token's score only.
  let last = '';
  const done = new Set<string>();
  for (const [a, b] of merges) {
    const c = a + b;
    if (!(c in vocab)) return `tokenizer.json's merge "${a} ${b}" makes "${c}", which is not in the vocab`;
    if (c !== last && done.has(c)) return `tokenizer.json's merges for "${c}" are not adjacent in rank, so llama.cpp's score order could merge differently`;
    done.add(c);
    last = c;
  }
  // Every way to join two known pieces (tokens, or single characters) into a token must be a merge.
  const known = (s: string) => s in vocab || Array.from(s).length === 1;
  for (const c of Object.keys(vocab)) {
    const chars = Array.from(c);
    if (chars.length < 2 || isByteToken(c)) continue;
    for (let i = 1; i < chars.length; i++) {
      const a = chars.slice(0, i).join('');
      const b = chars.slice(i).join('');
      if (known(a) && known(b) && !pairs.has(`${a} ${b}`)) {
        return `tokenizer.json's vocab has "${c}" and its pieces "${a}" and "${b}" but no merge "${a} ${b}"; llama.cpp's SPM tokenizer would join them where this BPE does not`;
      }
    }
  }
  return null;
}

export interface SpmVocab {
  tokens: string[];
  scores: number[];
  types: number[];
  addSpacePrefix: boolean;
}

/** tokens, scores and types for vocab_size ids: the BPE's unk_token UNKNOWN, added tokens CONTROL (special) or
 * USER_DEFINED, <0xNN> BYTE, ids beyond the tokenizer "[PADi]" UNUSED (score -1000, as the converter pads). */
export function spmVocab(tok: Json, vocabSize: number, byId: Map<number, string>, addedById: Map<number, { special?: boolean }>): SpmVocab {
  const model = tok.model as Json;
  const firstRank = new Map<string, number>();
  mergePairs(model).forEach(([a, b], r) => {
    if (!firstRank.has(a + b)) firstRank.set(a + b, r);
  });
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const t = byId.get(i);
    const added = addedById.get(i);
    if (t === undefined) {
      tokens.push(`[PAD${i}]`);
      scores.push(-1000);
      types.push(TOKEN_TYPE.UNUSED);
      continue;
    }
    tokens.push(t);
    const rank = firstRank.get(t);
    scores.push(rank === undefined ? 0 : -rank);
    if (t === model.unk_token) types.push(TOKEN_TYPE.UNKNOWN); // as SentencePiece marks it, even when also an added token
    else if (added) types.push(added.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED);
    else if (isByteToken(t)) types.push(TOKEN_TYPE.BYTE);
    else types.push(TOKEN_TYPE.NORMAL);
  }
  return { tokens, scores, types, addSpacePrefix: spmSpacePrefix(tok) === true };
}
