// Byte-level BPE tokenizer trainer (GPT-2 style) that writes a Hugging Face `tokenizer.json`.
// Hand-written because no maintained JavaScript library trains BPE: @huggingface/tokenizers (JS) only encodes.
//
// Pipeline: pre-tokenize with GPT-2's regex -> map UTF-8 bytes to printable unicode (bytes_to_unicode)
// -> count distinct words -> repeatedly merge the most frequent adjacent pair. Pair counts are updated
// incrementally (only words holding the merged pair are touched) and the best pair comes from a lazy max-heap,
// so thousands of merges over megabytes of text take seconds.

/** GPT-2's pre-tokenization pattern; identical to the one @huggingface/tokenizers uses for ByteLevel. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const EOT = '<|endoftext|>';

/** GPT-2's bytes_to_unicode: every byte gets a printable character (printable bytes map to themselves). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

/** Splits text into pre-tokens (GPT-2 regex, no prefix space). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

/** Counts distinct pre-tokens over documents; keys are byte-level strings (bytes_to_unicode applied). */
export function countWords(docs: Iterable<string>): Map<string, number> {
  const table = bytesToUnicode();
  const enc = new TextEncoder();
  const raw = new Map<string, number>();
  for (const doc of docs) {
    for (const piece of preTokenize(doc)) raw.set(piece, (raw.get(piece) ?? 0) + 1);
  }
  const counts = new Map<string, number>();
  for (const [piece, c] of raw) {
    let s = '';
    for (const b of enc.encode(piece)) s += table[b];
    counts.set(s, (counts.get(s) ?? 0) + c);
  }
  return counts;
}

export interface BpeResult {
  vocab: Map<string, number>; // token string -> id; ids 0..255 are the bytes in byte order
  merges: [string, string][]; // in rank order
}

const key = (a: number, b: number) => a * 65536 + b;

/** Max-heap of [count, pairKey] with lazy invalidation; ties go to the lexicographically smaller pair. */
class PairHeap {
  private items: [number, number][] = [];
  constructor(private less: (x: [number, number], y: [number, number]) => boolean) {}
  get size() { return this.items.length; }
  push(it: [number, number]) {
    const a = this.items;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[p], a[i])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[m], a[l])) m = l;
        if (r < a.length && this.less(a[m], a[r])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Learns `numMerges` merges (or until the vocabulary reaches `maxVocab`) from word counts whose keys are
 * already byte-level strings.
 * Tie-break: equal counts pick the pair whose (left, right) strings sort first, so results are deterministic.
 */
export function trainBpe(wordCounts: Map<string, number>, numMerges: number, maxVocab = Infinity): BpeResult {
  const table = bytesToUnicode();
  const tokens: string[] = table.slice(); // id -> string
  const vocab = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Array.from(w, (ch) => vocab.get(ch)!));
    freq.push(c);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const add = (k: number, wi: number, c: number) => {
    pairCount.set(k, (pairCount.get(k) ?? 0) + c);
    let s = where.get(k);
    if (!s) where.set(k, (s = new Set()));
    s.add(wi);
  };
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) add(key(w[i], w[i + 1]), wi, freq[wi]);
  });
  const cmpPair = (x: number, y: number) => {
    const xa = tokens[Math.floor(x / 65536)], ya = tokens[Math.floor(y / 65536)];
    if (xa !== ya) return xa < ya ? -1 : 1;
    const xb = tokens[x % 65536], yb = tokens[y % 65536];
    return xb === yb ? 0 : xb < yb ? -1 : 1;
  };
  // x "less than" y means y should be popped first.
  const heap = new PairHeap((x, y) => x[0] < y[0] || (x[0] === y[0] && cmpPair(x[1], y[1]) > 0));
  for (const [k, c] of pairCount) heap.push([c, k]);
  const dirty = new Set<number>();

  const merges: [string, string][] = [];
  while (merges.length < numMerges && vocab.size < maxVocab) {
    const top = heap.pop();
    if (!top) break;
    const [c, k] = top;
    if ((pairCount.get(k) ?? 0) !== c || c <= 0) continue; // stale entry
    const a = Math.floor(k / 65536), b = k % 65536;
    const merged = tokens[a] + tokens[b];
    // Two different pairs can spell the same string ("ab"+"c", "a"+"bc"): they share one id.
    let id = vocab.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      vocab.set(merged, id);
    }
    merges.push([tokens[a], tokens[b]]);
    dirty.clear();
    for (const wi of where.get(k) ?? []) {
      const w = words[wi];
      const f = freq[wi];
      // Remove this word's pairs, merge, add them back: simple and exact.
      for (let i = 0; i + 1 < w.length; i++) {
        const pk = key(w[i], w[i + 1]);
        pairCount.set(pk, pairCount.get(pk)! - f);
        dirty.add(pk);
      }
      const out: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(w[i]);
      }
      words[wi] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const pk = key(out[i], out[i + 1]);
        add(pk, wi, f);
        dirty.add(pk);
      }
    }
    where.delete(k);
    pairCount.delete(k);
    for (const pk of dirty) {
      const pc = pairCount.get(pk);
      if (pc !== undefined && pc > 0) heap.push([pc, pk]);
    }
  }
  return { vocab, merges };
}

/** Builds a Hugging Face tokenizer.json (BPE + ByteLevel) with `<|endoftext|>` as the last id. */
export function toTokenizerJson(res: BpeResult): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (const [t, i] of res.vocab) vocab[t] = i;
  const eotId = res.vocab.size;
  vocab[EOT] = eotId;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: eotId, content: EOT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: res.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** tokenizer_config.json matching the tokenizer above (GPT-2 conventions, no space clean-up on decode). */
export function tokenizerConfig(modelMaxLength = 256): Record<string, unknown> {
  return {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: EOT,
    eos_token: EOT,
    unk_token: EOT,
    model_max_length: modelMaxLength,
    add_prefix_space: false,
    add_bos_token: false,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
  };
}

/** Trains a tokenizer whose vocabulary (bytes + merges + `<|endoftext|>`) has exactly `vocabSize` entries. */
export function trainTokenizer(docs: Iterable<string>, vocabSize: number) {
  // Stop on vocabulary size, not merge count: a merge that re-spells an existing token adds no id.
  const res = trainBpe(countWords(docs), Infinity, vocabSize - 1);
  return { result: res, tokenizerJson: toTokenizerJson(res), tokenizerConfig: tokenizerConfig() };
}
