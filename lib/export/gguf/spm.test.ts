// SentencePiece-style tokenizers (byte_fallback BPE, "▁", <0xNN>) in GGUF as llama.cpp's "llama" vocab: the metadata
// (scores, token types, special ids, add_space_prefix), the refusals, and real llama.cpp (node-llama-cpp) tokenizing
// spaces, newlines and byte-fallback text as our tokenizer does and generating our greedy tokens from a tiny Llama.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getLlama, LlamaLogLevel, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../cli/node-backend';
import { generate } from '../../engine/generate';
import { parseModelConfig } from '../../engine/model-config';
import { tinyCheckpointWeights, tinyRawConfig, type Family } from '../../engine/test-checkpoints';
import { HfTokenizer } from '../../engine/tokenizer';
import { modelGguf } from '.';
import { spmUnsupported, SPACE, TOKEN_TYPE } from './spm-vocab';
import { ggufTokenizerUnsupported } from './tokenizer';
import { spmTokenizer, type SpaceStyle } from './test-spm-tokenizer';

const TEXTS = [
  'Hello world',
  ' leading space, two  spaces\n\nand newlines\ttab',
  'naïve café — 日本語 🙂 Ünïcödé',
  "it's 2026, isn't it?\n",
  'The robot walked into the garden   and saw the flower.',
  'trailing spaces   ',
  'xyz and the xyzzy garden', // merge order matters here (see test-spm-tokenizer.ts)
];
const N = 20;
const VOCAB = 640; // beyond the tokenizer's ids, so padding is written too

const dir = mkdtempSync(join(tmpdir(), 'webtune-spm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();

function gguf(space: SpaceStyle, family: Family = 'llama', over: Record<string, unknown> = {}) {
  const { json, config: tokCfg } = spmTokenizer(space);
  const config = parseModelConfig(tinyRawConfig(family, { ...over, vocab_size: VOCAB, bos_token_id: 1, eos_token_id: 2, max_position_embeddings: 64 }));
  const host = tinyCheckpointWeights(config, 5, 0.2);
  const files = { 'tokenizer.json': enc.encode(JSON.stringify(json)), 'tokenizer_config.json': enc.encode(JSON.stringify(tokCfg)) };
  const path = join(dir, `${space}-${family}.gguf`);
  writeFileSync(path, modelGguf({ name: `tiny-spm-${family}`, config, weights: host, tokenizerFiles: files }, 'f32'));
  return { path, config, host, tokenizer: new HfTokenizer(json, tokCfg), json };
}

describe('SentencePiece-style vocab in GGUF', () => {
  it('the fixture runs in our tokenizer with byte fallback and "▁" pieces', () => {
    const { json, config } = spmTokenizer();
    const tok = new HfTokenizer(json, config);
    const vocab = (json.model as { vocab: Record<string, number> }).vocab;
    const ids = tok.encode('the garden 日');
    const byName = Object.fromEntries(Object.entries(vocab).map(([t, i]) => [i, t]));
    expect(ids.map((i) => byName[i])).toContain(`${SPACE}garden`);
    expect(ids.slice(-3).map((i) => byName[i])).toEqual(['<0xE6>', '<0x97>', '<0xA5>']); // 日 is not in the vocab
    expect(spmUnsupported(json)).toBeNull();
  });

  it('writes model "llama", scores from merge ranks, token types, special ids and add_space_prefix', async () => {
    const { path, json } = gguf('legacy');
    const g = ((await readGgufFileInfo(path)).metadata as unknown as { tokenizer: { ggml: Record<string, unknown> } }).tokenizer.ggml;
    const vocab = (json.model as { vocab: Record<string, number> }).vocab;
    const merges = (json.model as { merges: [string, string][] }).merges;
    expect(g).toMatchObject({ model: 'llama', pre: 'default', bos_token_id: 1, eos_token_id: 2, unknown_token_id: 0, add_bos_token: true, add_eos_token: false, add_space_prefix: true });
    const types = g.token_type as number[];
    const scores = g.scores as number[];
    const tokens = g.tokens as string[];
    expect(tokens.length).toBe(VOCAB);
    expect([types[0], types[1], types[2], types[3 + 0x0a], types[VOCAB - 1]]).toEqual([TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL, TOKEN_TYPE.BYTE, TOKEN_TYPE.UNUSED]);
    expect(tokens[VOCAB - 1]).toBe(`[PAD${VOCAB - 1}]`);
    // The first merge's token scores 0, the next token's merge -its rank; single characters were never merged.
    const [a0, b0] = merges[0];
    expect(scores[vocab[a0 + b0]]).toBe(-0);
    const second = merges.findIndex(([a, b]) => a + b !== a0 + b0);
    expect(scores[vocab[merges[second].join('')]]).toBe(-second);
    expect(types[vocab['H']]).toBe(TOKEN_TYPE.NORMAL);
  });

  it('refuses what llama.cpp would tokenize differently, naming the piece', () => {
    const { json } = spmTokenizer();
    const model = json.model as { vocab: Record<string, number>; merges: [string, string][] };
    const missing = model.merges.findIndex(([a, b], i) => model.merges.findIndex(([x, y]) => x + y === a + b) !== i);
    expect(missing).toBeGreaterThan(0); // a piece with two splits, the second one dropped
    const dropped = { ...json, model: { ...model, merges: model.merges.filter((_, i) => i !== missing) } };
    expect(ggufTokenizerUnsupported(dropped)).toMatch(/but no merge ".+ .+"; llama.cpp's SPM tokenizer would join them/);
    const moved = { ...json, model: { ...model, merges: [...model.merges.filter((_, i) => i !== missing), model.merges[missing]] } };
    expect(ggufTokenizerUnsupported(moved)).toMatch(/merges for ".+" are not adjacent in rank/);
    const vocab = { ...model.vocab };
    delete vocab['<0x7F>'];
    expect(ggufTokenizerUnsupported({ ...json, model: { ...model, vocab } })).toMatch(/no byte token <0x7F>/);
    expect(ggufTokenizerUnsupported({ ...json, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'always', split: true } })).toMatch(/splits words at "▁"/);
    expect(ggufTokenizerUnsupported({ ...json, normalizer: { type: 'NFKC' } })).toMatch(/not SentencePiece's space handling/);
  });
});

let skipReason = '';
const llama: Llama | null = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }).catch((e: Error) => {
  skipReason = e.message;
  return null;
});
if (!llama) console.warn(`llama.cpp SPM cross-check skipped: node-llama-cpp's prebuilt binary could not load here (${skipReason})`);

describe.skipIf(!llama)('SentencePiece-style GGUF through llama.cpp (node-llama-cpp 3.21.1)', () => {
  it.each([['llama', {}], ['mistral', { num_key_value_heads: 1 }]] as [Family, Record<string, unknown>][])(
    'tiny %s with a Llama-2 style tokenizer: same tokens for every text, same 20 greedy tokens',
    async (family, over) => {
      await initNodeBackend();
      const { path, config, host, tokenizer } = gguf('legacy', family, over);
      const model = await llama!.loadModel({ modelPath: path, gpuLayers: 0 });
      try {
        for (const text of TEXTS) expect(Array.from(model.tokenize(text, false)), JSON.stringify(text)).toEqual(tokenizer.encode(text));
        expect([model.tokens.bos, model.tokens.eos]).toEqual([1, 2]);
        const prompt = tokenizer.encode('The little robot walked into the garden and');
        const weights = new Map(Object.entries(host).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
        const ours = await generate(config, weights, undefined, prompt, { maxNewTokens: N, temperature: 0 });
        weights.forEach((t) => t.dispose());
        const ctx = await model.createContext({ contextSize: 64, threads: 1 });
        const theirs: number[] = [];
        for await (const t of ctx.getSequence().evaluate(prompt as never, { temperature: 0 })) {
          theirs.push(t);
          if (theirs.length >= N) break;
        }
        await ctx.dispose();
        expect(ours).not.toContain(2); // no end-of-sequence, so the whole 20 are compared
        expect(theirs).toEqual(ours);
      } finally {
        await model.dispose();
      }
    },
  );

  it('a Metaspace (prepend "first") tokenizer: the same tokens, except that a text starting with a space gets one more "▁" in llama.cpp', async () => {
    const { path, tokenizer, json } = gguf('metaspace');
    const model = await llama!.loadModel({ modelPath: path, gpuLayers: 0 });
    const vocab = (json.model as { vocab: Record<string, number> }).vocab;
    try {
      for (const text of TEXTS) {
        const theirs = Array.from(model.tokenize(text, false));
        if (!text.startsWith(' ')) expect(theirs, JSON.stringify(text)).toEqual(tokenizer.encode(text));
        else {
          // HF's Metaspace adds "▁" only when the text does not start with one; llama.cpp always adds a space.
          expect(theirs, JSON.stringify(text)).toEqual(tokenizer.encode(` ${text}`));
          expect(theirs).not.toEqual(tokenizer.encode(text));
        }
      }
      expect(vocab[SPACE]).toBeDefined();
    } finally {
      await model.dispose();
    }
  });
});
