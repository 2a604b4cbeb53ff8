// The GGUF writer against hand-worked values and an independent reader (node-llama-cpp's readGgufFileInfo, pure
// JavaScript): Q8_0 blocks, the q/k permutation, tensor names, ggml dimension order and types, metadata keys,
// the LoRA adapter's keys, and the refusals for what llama.cpp would run differently.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../engine/model-config';
import { tinyCheckpointWeights, tinyRawConfig } from '../../engine/test-checkpoints';
import { byteTokenizerJson } from '../../engine/test-fixtures';
import type { HostTensor } from '../../engine/types';
import { modelGguf, type GgufDtype } from '.';
import { loraGguf } from './lora';
import { permuteQk } from './model';
import { dequantizeQ8_0, GGML_TYPE, quantizeQ8_0 } from './quant';

const dir = mkdtempSync(join(tmpdir(), 'webtune-gguf-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
const tokenizerFiles = { 'tokenizer.json': enc(byteTokenizerJson()), 'tokenizer_config.json': enc({ eos_token: '<|endoftext|>', bos_token: '<|endoftext|>', chat_template: '{{ messages }}' }) };

async function info(bytes: Uint8Array, name: string) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const i = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
  const tensors = new Map(i.fullTensorInfo!.map((t) => [t.name, { ne: t.dimensions.map(Number), type: t.ggmlType as number }]));
  return { meta: i.metadata as unknown as Record<string, Record<string, unknown>>, tensors };
}

function gguf(family: 'gpt2' | 'llama', over: Record<string, unknown>, dtype: GgufDtype) {
  const config = parseModelConfig(tinyRawConfig(family, over));
  return { config, bytes: modelGguf({ name: 'tiny', config, weights: tinyCheckpointWeights(config, 1), tokenizerFiles }, dtype) };
}

describe('Q8_0 (gguf-py quants.py, ggml quantize_row_q8_0)', () => {
  it('a hand-worked block: d = max|x| / 127, q rounds half away from zero', () => {
    const x = new Float32Array(32);
    x[0] = 127; // d = 1 exactly (f16 0x3c00)
    x[1] = 2.5;
    x[2] = -2.5;
    x[3] = 0.49;
    x[4] = -127;
    const q = quantizeQ8_0(x);
    expect(q.length).toBe(34);
    expect([q[0], q[1]]).toEqual([0x00, 0x3c]);
    expect(Array.from(new Int8Array(q.buffer, 2, 5))).toEqual([127, 3, -3, 0, -127]);
    expect(Array.from(quantizeQ8_0(new Float32Array(32)))).toEqual(new Array(34).fill(0)); // all-zero block: d = 0, q = 0
  });

  it('dequantizes within half a step of every block', () => {
    const x = Float32Array.from({ length: 320 }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 32)));
    const back = dequantizeQ8_0(quantizeQ8_0(x));
    for (let b = 0; b < 10; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const d = Math.max(...block.map(Math.abs)) / 127;
      for (let i = 0; i < 32; i++) expect(Math.abs(back[b * 32 + i] - block[i])).toBeLessThanOrEqual(d * 0.5 + 127 * d * 2 ** -11); // half a step, plus the f16 scale's rounding over 127 steps
    }
  });
});

it('permuteQk interleaves each head\'s rotate-half pairs (LlamaModel.permute), rows and biases alike', () => {
  const t: HostTensor = { shape: [8, 1], data: Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]) }; // 2 heads, D = 4
  expect(Array.from(permuteQk(t, 2).data)).toEqual([0, 2, 1, 3, 10, 12, 11, 13]);
  const w: HostTensor = { shape: [4, 2], data: Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]) }; // 1 head, D = 4, 2 columns
  expect(Array.from(permuteQk(w, 1).data)).toEqual([0, 0.5, 2, 2.5, 1, 1.5, 3, 3.5]);
});

describe('model GGUF layout', () => {
  it('GPT-2: names, transposed Conv1D in ggml order, F32 norms/biases/positions, metadata and tokenizer', async () => {
    const { config, bytes } = gguf('gpt2', {}, 'f16');
    const { meta, tensors } = await info(bytes, 'gpt2.gguf');
    expect(meta.general).toMatchObject({ architecture: 'gpt2', type: 'model', name: 'tiny', file_type: 1, quantization_version: 2 });
    expect(meta.gpt2).toMatchObject({ block_count: 2, context_length: 32, embedding_length: 16, feed_forward_length: 64, attention: { head_count: 2 } });
    const tok = (meta.tokenizer as Record<string, Record<string, unknown>>).ggml;
    expect(tok).toMatchObject({ model: 'gpt2', pre: 'gpt-2', bos_token_id: 258, eos_token_id: 258, add_bos_token: false });
    expect((tok.tokens as string[]).length).toBe(config.vocab_size);
    expect((tok.token_type as number[])[258]).toBe(3); // <|endoftext|>: CONTROL
    expect((tok.merges as string[]).slice(0, 2)).toEqual(['t h', 'th e']);
    expect((meta.tokenizer as Record<string, unknown>).chat_template).toBe('{{ messages }}');
    // Conv1D c_attn [C, 3C] becomes PyTorch [3C, C], ggml ne [C, 3C].
    expect(tensors.get('blk.0.attn_qkv.weight')).toEqual({ ne: [16, 48], type: GGML_TYPE.F16 });
    expect(tensors.get('blk.1.ffn_down.weight')).toEqual({ ne: [64, 16], type: GGML_TYPE.F16 });
    expect(tensors.get('blk.0.attn_qkv.bias')).toEqual({ ne: [48], type: GGML_TYPE.F32 });
    expect(tensors.get('blk.0.attn_norm.weight')?.type).toBe(GGML_TYPE.F32);
    expect(tensors.get('position_embd.weight')).toEqual({ ne: [16, 32], type: GGML_TYPE.F32 });
    expect(tensors.get('token_embd.weight')).toEqual({ ne: [16, 259], type: GGML_TYPE.F16 });
    expect(tensors.get('output.weight')).toEqual({ ne: [16, 259], type: GGML_TYPE.F16 }); // the tied head, written as the converter does
    expect(tensors.size).toBe(2 + 2 + 1 + 2 * 12);
  });

  it('Llama Q8_0: q/k/v/o and GQA shapes, rows not a multiple of 32 fall back to F16, tied head left out', async () => {
    const { bytes } = gguf('llama', { tie_word_embeddings: true, intermediate_size: 48 }, 'q8_0');
    const { meta, tensors } = await info(bytes, 'llama.gguf');
    expect(meta.llama).toMatchObject({ context_length: 64, embedding_length: 32, feed_forward_length: 48, block_count: 2, vocab_size: 259, attention: { head_count: 4, head_count_kv: 2 }, rope: { dimension_count: 8, freq_base: 10000 } });
    expect(meta.general.file_type).toBe(7);
    expect(tensors.get('blk.0.attn_q.weight')).toEqual({ ne: [32, 32], type: GGML_TYPE.Q8_0 });
    expect(tensors.get('blk.0.attn_k.weight')).toEqual({ ne: [32, 16], type: GGML_TYPE.Q8_0 });
    expect(tensors.get('blk.0.ffn_gate.weight')).toEqual({ ne: [32, 48], type: GGML_TYPE.Q8_0 });
    expect(tensors.get('blk.0.ffn_down.weight')).toEqual({ ne: [48, 32], type: GGML_TYPE.F16 }); // 48 is not a whole number of blocks
    expect(tensors.has('output.weight')).toBe(false);
  });

  it('llama3 RoPE scaling adds rope_freqs.weight; an explicit head_dim adds key/value lengths', async () => {
    const scaled = await info(gguf('llama', { num_attention_heads: 2, num_key_value_heads: 1, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 'f32').bytes, 'l3.gguf');
    expect(scaled.tensors.get('rope_freqs.weight')).toEqual({ ne: [8], type: GGML_TYPE.F32 });
    const hd = await info(gguf('llama', { head_dim: 6 }, 'f32').bytes, 'hd.gguf');
    expect(hd.meta.llama).toMatchObject({ attention: { key_length: 6, value_length: 6 }, rope: { dimension_count: 6 } });
  });

  it('refuses what llama.cpp would run differently, with the reason', () => {
    expect(() => gguf('gpt2', { activation_function: 'gelu' }, 'f32')).toThrow(/tanh GELU.*"gelu"/);
    const config = parseModelConfig(tinyRawConfig('llama'));
    const sp = { ...byteTokenizerJson(), model: { ...(byteTokenizerJson() as { model: object }).model, byte_fallback: true } };
    expect(() => modelGguf({ name: 't', config, weights: tinyCheckpointWeights(config, 1), tokenizerFiles: { 'tokenizer.json': enc(sp) } }, 'f32')).toThrow(/not SentencePiece's space handling/);
  });
});

it('LoRA GGUF: adapter keys, alpha as llama.cpp scales it (rsLoRA kept exact), lora_a / lora_b in ggml order', async () => {
  const config = parseModelConfig(tinyRawConfig('llama'));
  const A: HostTensor = { shape: [4, 32], data: new Float32Array(128).fill(0.1) };
  const B: HostTensor = { shape: [16, 4], data: new Float32Array(64).fill(0.2) };
  const modules = new Map([['model.layers.1.self_attn.k_proj', { A, B }]]);
  const { meta, tensors } = await info(loraGguf(config, { modules, r: 4, scaling: 8 / Math.sqrt(4) }, { name: 'ad', dtype: 'f32' }), 'lora.gguf');
  expect(meta.general).toMatchObject({ architecture: 'llama', type: 'adapter' });
  expect(meta.adapter).toMatchObject({ type: 'lora' });
  expect((meta.adapter as { lora: { alpha: number } }).lora.alpha).toBeCloseTo(16, 5); // scale = alpha / r = 4 = 8 / sqrt(4)
  expect(tensors.get('blk.1.attn_k.weight.lora_a')).toEqual({ ne: [32, 4], type: GGML_TYPE.F32 });
  expect(tensors.get('blk.1.attn_k.weight.lora_b')).toEqual({ ne: [4, 16], type: GGML_TYPE.F32 });
});
