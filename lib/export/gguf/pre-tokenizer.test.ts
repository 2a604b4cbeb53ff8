// Llama-3's and Qwen2's pre-tokenizers in GGUF: read from tokenizer.json's Split regex (not the converter's hash),
// written as llama.cpp's "llama-bpe" / "qwen2", and checked against real llama.cpp (node-llama-cpp): tiny tokenizers
// (the demo vocab with each pre-tokenizer) tokenize digits, contractions, spaces, newlines and non-ASCII text as ours.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../engine/model-config';
import { tinyCheckpointWeights, tinyRawConfig } from '../../engine/test-checkpoints';
import { HfTokenizer } from '../../engine/tokenizer';
import { modelGguf } from '.';
import { ggufTokenizerUnsupported, preTokenizerName } from './tokenizer';

const DEMO = join(import.meta.dirname, '../../../public/models/webtune-demo');
const demoJson = () => JSON.parse(readFileSync(join(DEMO, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
const demoConfig = JSON.parse(readFileSync(join(DEMO, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;

// As Meta-Llama-3-8B's and Qwen2-0.5B's tokenizer.json write them.
const LLAMA3 = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const splitPre = (regex: string, trimOffsets: boolean) => ({
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: trimOffsets, use_regex: false },
  ],
});

/** The demo vocab and merges with another pre-tokenizer (and Llama-3's ignore_merges, Qwen2's NFC). */
function variant(kind: 'llama3' | 'qwen2'): Record<string, unknown> {
  const j = demoJson();
  const model = j.model as Record<string, unknown>;
  if (kind === 'llama3') return { ...j, pre_tokenizer: splitPre(LLAMA3, true), model: { ...model, ignore_merges: true } };
  return { ...j, normalizer: { type: 'NFC' }, pre_tokenizer: splitPre(QWEN2, false), model: { ...model, ignore_merges: false } };
}

const dir = mkdtempSync(join(tmpdir(), 'webtune-pretok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = [
  'Hello world',
  ' leading space, two  spaces\n\nand newlines\ttab',
  'naïve café — 日本語 🙂 Ünïcödé',
  "it's 2026, isn't it? I'LL SEE what WE'D do\n",
  'Call 5551234567 or 42.5 now',
  'line\r\nbreak   \n\n   x  ',
];

describe('Llama-3 and Qwen2 pre-tokenizers', () => {
  it('are named from tokenizer.json as llama.cpp names them', () => {
    expect(preTokenizerName(variant('llama3').pre_tokenizer as never)).toBe('llama-bpe');
    expect(preTokenizerName(variant('qwen2').pre_tokenizer as never)).toBe('qwen2');
    expect(ggufTokenizerUnsupported(variant('llama3'))).toBeNull();
    expect(ggufTokenizerUnsupported(variant('qwen2'))).toBeNull();
  });

  it('refuse a regex llama.cpp does not run, a ByteLevel with its own regex, and a mismatched ignore_merges', () => {
    const other = { ...variant('llama3'), pre_tokenizer: splitPre(LLAMA3.replace('{1,3}', '{1,4}'), true) };
    expect(ggufTokenizerUnsupported(other)).toMatch(/pre_tokenizer .* has no llama.cpp equivalent/);
    const pre = splitPre(QWEN2, false);
    expect(preTokenizerName({ ...pre, pretokenizers: [pre.pretokenizers[0], { ...pre.pretokenizers[1], use_regex: true }] })).toBeNull();
    const llama = variant('llama3');
    expect(ggufTokenizerUnsupported({ ...llama, model: { ...(llama.model as object), ignore_merges: false } })).toMatch(/ignore_merges false, but llama.cpp's "llama-bpe" pre-tokenizer ignores merges/);
    const qwen = variant('qwen2');
    expect(ggufTokenizerUnsupported({ ...qwen, model: { ...(qwen.model as object), ignore_merges: true } })).toMatch(/"qwen2" pre-tokenizer applies merges/);
    expect(ggufTokenizerUnsupported({ ...qwen, normalizer: { type: 'NFKC' } })).toMatch(/normalizer \(NFKC\)/);
  });

  it('the three split digits, spaces and newlines differently (so a wrong name would show)', () => {
    const encode = (j: Record<string, unknown>, t: string) => new HfTokenizer(j, demoConfig).encode(t);
    const digits = 'Call 5551234567 or 42.5 now';
    const ids = [demoJson(), variant('llama3'), variant('qwen2')].map((j) => JSON.stringify(encode(j, digits)));
    expect(new Set(ids).size).toBe(3);
  });
});

describe('add_bos_token, as gguf-py SpecialVocab decides it', () => {
  const config = parseModelConfig(tinyRawConfig('llama', { vocab_size: 4096, bos_token_id: 4095, eos_token_id: 4095, max_position_embeddings: 64 }));
  const host = tinyCheckpointWeights(config, 3, 0.2);
  // Llama-3's post-processor: BOS, then the sequence (the demo's BOS is <|endoftext|>).
  const post = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} };
  const addBos = async (json: Record<string, unknown>, cfg: Record<string, unknown>, name: string) => {
    const enc = new TextEncoder();
    const path = join(dir, name);
    writeFileSync(path, modelGguf({ name, config, weights: host, tokenizerFiles: { 'tokenizer.json': enc.encode(JSON.stringify(json)), 'tokenizer_config.json': enc.encode(JSON.stringify(cfg)) } }, 'f32'));
    const meta = (await readGgufFileInfo(path)).metadata as unknown as { tokenizer: { ggml: { add_bos_token: boolean; pre: string } } };
    return meta.tokenizer.ggml;
  };
  it('from a TemplateProcessing that starts with BOS (Llama-3), unless tokenizer_config says otherwise', async () => {
    const cfg = { ...demoConfig };
    delete cfg.add_bos_token; // the demo's says false; Llama-3's names none
    expect(await addBos({ ...variant('llama3'), post_processor: post }, cfg, 'bos-post.gguf')).toMatchObject({ pre: 'llama-bpe', add_bos_token: true });
    expect(await addBos({ ...variant('llama3'), post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel' }, post] } }, cfg, 'bos-seq.gguf')).toMatchObject({ add_bos_token: true });
    expect(await addBos({ ...variant('llama3'), post_processor: post }, { ...cfg, add_bos_token: false }, 'bos-off.gguf')).toMatchObject({ add_bos_token: false });
    expect(await addBos(variant('qwen2'), cfg, 'bos-none.gguf')).toMatchObject({ pre: 'qwen2', add_bos_token: false });
  });
});

let skipReason = '';
const llama: Llama | null = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }).catch((e: Error) => {
  skipReason = e.message;
  return null;
});
if (!llama) console.warn(`llama.cpp pre-tokenizer cross-check skipped: node-llama-cpp's prebuilt binary could not load here (${skipReason})`);

describe.skipIf(!llama)('through llama.cpp (node-llama-cpp 3.21.1)', () => {
  const config = parseModelConfig(tinyRawConfig('llama', { vocab_size: 4096, bos_token_id: 4095, eos_token_id: 4095, max_position_embeddings: 64 }));
  const host = tinyCheckpointWeights(config, 3, 0.2);
  it.each(['llama3', 'qwen2'] as const)('%s: llama.cpp tokenizes our GGUF as our tokenizer does', async (kind) => {
    const json = variant(kind);
    const enc = new TextEncoder();
    const tokenizerFiles = { 'tokenizer.json': enc.encode(JSON.stringify(json)), 'tokenizer_config.json': enc.encode(JSON.stringify(demoConfig)) };
    const path = join(dir, `${kind}.gguf`);
    writeFileSync(path, modelGguf({ name: `tiny-${kind}`, config, weights: host, tokenizerFiles }, 'f32'));
    const model = await llama!.loadModel({ modelPath: path, gpuLayers: 0 });
    const ours = new HfTokenizer(json, demoConfig);
    try {
      for (const text of TEXTS) expect(Array.from(model.tokenize(text, false)), `${kind} ${JSON.stringify(text)}`).toEqual(ours.encode(text));
    } finally {
      await model.dispose();
    }
  });
});
