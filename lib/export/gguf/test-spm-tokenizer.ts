// A tiny SentencePiece-style tokenizer.json for tests, laid out as HF's converter writes Llama-2's: <unk> <s> </s>,
// the 256 <0xNN> byte tokens, the learned pieces, then single characters; BPE with byte_fallback whose merges are,
// for each piece in vocab order, every split into two known pieces (as transformers' SentencePieceExtractor lists
// them); spaces as "▁" through a Prepend + Replace normalizer (legacy) or a Metaspace pre-tokenizer.
import { SPACE } from './spm-vocab';

const CORPUS = [
  'Hello world, hello there. The little robot walked into the garden and saw a flower.',
  'It is a naïve café where the robot reads the news at 9 in the morning.',
  "It's the robot's garden, isn't it? Two  spaces  and   three   spaces here.",
  'Ünïcödé letters: é, ï, ü, ö. The garden, the flower, the world and the robot.',
];

/** Greedy BPE training over "▁word" pieces: `n` merges of the most frequent adjacent pair (ties: the smaller pair). */
function learnPieces(n: number): { pieces: string[]; chars: string[] } {
  const words = CORPUS.flatMap((l) => (SPACE + l.replaceAll(' ', SPACE)).match(new RegExp(`${SPACE}*[^${SPACE}]+|${SPACE}+`, 'gu')) ?? []);
  let seqs = words.map((w) => Array.from(w));
  const chars = [...new Set(seqs.flat())].sort();
  const pieces: string[] = [];
  for (let k = 0; k < n; k++) {
    const counts = new Map<string, number>();
    for (const s of seqs) for (let i = 0; i + 1 < s.length; i++) {
      const key = `${s[i]}\u0000${s[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const best = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
    if (!best) break;
    const [a, b] = best[0].split('\u0000');
    pieces.push(a + b);
    seqs = seqs.map((s) => {
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(s[i]);
      }
      return out;
    });
  }
  return { pieces: pieces.filter((p, i) => pieces.indexOf(p) === i), chars };
}

// Pieces put before the learned ones where merge order decides: BPE joins "yz" first, so "▁xyz" is [▁x, yz];
// joining leftmost first (what equal scores would make llama.cpp do) gives [▁xy, z].
const ORDERED = ['yz', `${SPACE}x`, `${SPACE}xy`];

export type SpaceStyle = 'legacy' | 'metaspace';

/** tokenizer.json and tokenizer_config.json of the tiny tokenizer (Llama-2's special tokens and settings). */
export function spmTokenizer(space: SpaceStyle = 'legacy', nMerges = 160): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const learned = learnPieces(nMerges);
  const pieces = [...ORDERED, ...learned.pieces.filter((p) => !ORDERED.includes(p))];
  const chars = [...new Set([...learned.chars, 'x', 'y', 'z'])].sort();
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const t of [...pieces, ...chars]) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  const merges: [string, string][] = [];
  for (const c of pieces) {
    const cs = Array.from(c);
    const splits: [string, string][] = [];
    for (let i = 1; i < cs.length; i++) {
      const a = cs.slice(0, i).join('');
      const b = cs.slice(i).join('');
      if (a in vocab && b in vocab) splits.push([a, b]);
    }
    merges.push(...splits.sort((x, y) => vocab[x[0]] - vocab[y[0]] || vocab[x[1]] - vocab[y[1]]));
  }
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: space === 'legacy'
      ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] }
      : null,
    pre_tokenizer: space === 'legacy' ? null : { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'first', split: false },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: SPACE }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  const config = { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: null, model_max_length: 2048, legacy: space === 'legacy' };
  return { json, config };
}
