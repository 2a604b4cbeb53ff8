// The worker's playground through TrainSession, over a tiny Llama (GQA) folder: streamed tokens equal
// lib/engine/generate.ts's for the same settings; an adapter folder laid out as huggingface/peft saves LoRA gives
// the tokens `cli generate --adapter` prints, streamed interleaved with the base's; trained and loaded adapters kept side by side by id; mismatched and
// unsupported adapters refused in words; cancel; validation loss; the few-shot comparison; continued training.
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAdapterFolder } from '../cli/generate';
import { defaultTrainConfig } from '../engine/defaults';
import { evaluateExamples, exactMatch } from '../engine/evaluate';
import { fewShotContext, pickShots, queryRoom } from '../engine/few-shot';
import { generateWithReason } from '../engine/generate';
import { loadModelFolder, type LoadedModel } from '../engine/loader';
import { parseModelConfig } from '../engine/model-config';
import { mulberry32 } from '../engine/random';
import { writeSafetensors } from '../engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import type { Example, HostTensor } from '../engine/types';
import type { Sampling } from './play-protocol';
import type { WorkerEvent } from './protocol';
import { TrainSession } from './session';

const RAW = tinyRawConfig('llama');
const CONFIG = parseModelConfig(RAW);
const MODEL_FILES = checkpointFolder(RAW, tinyCheckpointWeights(CONFIG, 1, 0.2));
const R = 2;

/** A LoRA adapter as PEFT's save_pretrained writes it for a Llama: keys base_model.model.model.layers.N.self_attn.
 * {q,v}_proj.lora_{A,B}.weight, A [r, in] and B [out, r] (nonzero B, so the adapter changes the output). */
function peftFolder(over: { config?: Record<string, unknown>; fanIn?: number } = {}): Record<string, Uint8Array> {
  const rng = mulberry32(11);
  const tensors: Record<string, HostTensor> = {};
  const rand = (shape: number[]) => ({ shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => (rng() - 0.5) * 0.8) });
  for (let i = 0; i < 2; i++) {
    for (const [m, out] of [['q_proj', 32], ['v_proj', 16]] as const) {
      tensors[`base_model.model.model.layers.${i}.self_attn.${m}.lora_A.weight`] = rand([R, over.fanIn ?? 32]);
      tensors[`base_model.model.model.layers.${i}.self_attn.${m}.lora_B.weight`] = rand([out, R]);
    }
  }
  const config = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'tiny-llama', inference_mode: true, r: R, lora_alpha: 4,
    lora_dropout: 0, target_modules: ['q_proj', 'v_proj'], fan_in_fan_out: false, bias: 'none', use_rslora: false, use_dora: false, ...over.config,
  };
  return { 'adapter_config.json': strToU8(JSON.stringify(config)), 'adapter_model.safetensors': writeSafetensors(tensors, { metadata: { format: 'pt' } }) };
}

const buf = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const asFolder = (files: Record<string, Uint8Array>, dir: string) => Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, buf(v)]));

const GREEDY: Sampling = { maxNewTokens: 12, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0, stop: [] };
const SAMPLED: Sampling = { maxNewTokens: 12, temperature: 0.9, topK: 20, topP: 0.9, repetitionPenalty: 1.2, seed: 7, stop: [] };
const PROMPT = 'the cat sat';

let model: LoadedModel;
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'webtune-play-'));
  mkdirSync(join(dir, 'model'));
  for (const [name, bytes] of MODEL_FILES) writeFileSync(join(dir, 'model', name), bytes);
  mkdirSync(join(dir, 'adapter'));
  for (const [name, bytes] of Object.entries(peftFolder())) writeFileSync(join(dir, 'adapter', name), bytes);
  model = await loadModelFolder('tiny-llama', async (name) => MODEL_FILES.get(name) ?? null);
});
afterEach(() => vi.unstubAllGlobals());

async function session(onEvent?: (e: WorkerEvent, s: TrainSession) => void) {
  vi.stubGlobal('fetch', async (url: string) => {
    const bytes = MODEL_FILES.get(url.replace(/^\/m\//, ''));
    return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
  });
  const events: WorkerEvent[] = [];
  const s: TrainSession = new TrainSession((e) => {
    events.push(e);
    onEvent?.(e, s);
  });
  await s.handle({ type: 'load', model: { kind: 'url', name: 'tiny-llama', baseUrl: '/m/' }, backend: 'cpu', allowFallbackAdapter: true });
  expect(events.at(-1)?.type).toBe('ready');
  return { s, events };
}

const generated = (events: WorkerEvent[], key: string) => {
  const e = events.find((x) => x.type === 'generated' && x.key === key);
  if (e?.type !== 'generated') throw new Error(`no output for ${key}: ${JSON.stringify(events.at(-1))}`);
  return e;
};
const tokens = (events: WorkerEvent[], key: string) => events.filter((e) => e.type === 'token' && e.key === key);

/** `cli generate` in its own process (the wasm backend, as a user runs it). */
async function cliGenerate(args: string[]): Promise<number[]> {
  const root = join(import.meta.dirname, '../..');
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'lib/cli/main.ts'), 'generate', ...args, '--json'], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1)!).ids;
}

function cliFlags(s: Sampling): string[] {
  if (s.temperature === 0) return ['--max-new-tokens', String(s.maxNewTokens), '--greedy', '--repetition-penalty', String(s.repetitionPenalty)];
  return ['--max-new-tokens', String(s.maxNewTokens), '--temperature', String(s.temperature), '--top-k', String(s.topK), '--top-p', String(s.topP), '--repetition-penalty', String(s.repetitionPenalty), '--seed', String(s.seed)];
}

/** Token rows as the Data step encodes them: prompt (no loss), answer and end-of-text (loss). */
function row(prompt: string, answer: string): Example {
  const p = model.tokenizer.encode(prompt);
  const a = [...model.tokenizer.encode(answer), model.tokenizer.eosId!];
  return { ids: [...p, ...a], mask: [...p.map(() => 0), ...a.map(() => 1)] };
}

describe('playground in the training worker', () => {
  it.each([['greedy', GREEDY], ['sampled', SAMPLED]] as const)('streams one token event per new token, equal to generate.ts (%s)', async (_n, sampling) => {
    const { s, events } = await session();
    await s.handle({ type: 'generate', id: 1, prompt: PROMPT, chat: false, sampling, targets: [{ key: 'base', adapter: null }] });
    const out = generated(events, 'base');
    const want = await generateWithReason(model.config, model.weights, undefined, model.tokenizer.encode(PROMPT), { ...sampling, stop: undefined, eosId: model.tokenizer.eosId });
    expect(out.ids).toEqual(want.ids);
    expect(out.reason).toBe(want.reason);
    expect(out.ids.length).toBeGreaterThan(0);
    const streamed = tokens(events, 'base');
    expect(streamed.map((e) => e.type === 'token' && e.token)).toEqual(out.ids);
    // Each token event carries the text so far.
    streamed.forEach((e, i) => expect(e.type === 'token' && e.text).toBe(model.tokenizer.decode(out.ids.slice(0, i + 1))));
    expect(events.at(-1)).toEqual({ type: 'play-done', request: 'generate', cancelled: false });
  });

  it('a few-shot target answers after the training examples that fit before the prompt', async () => {
    const { s, events } = await session();
    const train = [row('Q: x\nA:', ' y'), row('Q: z\nA:', ' w'), row('Q: u\nA:', ' v')];
    await s.handle({ type: 'generate', id: 8, prompt: PROMPT, chat: false, sampling: SAMPLED, targets: [{ key: 'few', adapter: null, fewShot: { shots: 2, train } }] });
    const prompt = model.tokenizer.encode(PROMPT);
    const shots = pickShots(train, 2, 64, prompt.length + SAMPLED.maxNewTokens, model.tokenizer.eosId);
    expect(shots).toEqual(train.slice(0, 2));
    const want = await generateWithReason(model.config, model.weights, undefined, [...fewShotContext(shots, model.tokenizer.eosId), ...prompt], { ...SAMPLED, stop: undefined, eosId: model.tokenizer.eosId });
    expect(generated(events, 'few')).toMatchObject({ ids: want.ids, promptTokens: fewShotContext(shots, model.tokenizer.eosId).length + prompt.length });
  });

  it.each([['greedy', GREEDY], ['sampled', SAMPLED]] as const)('an adapter loaded from a PEFT-layout folder gives the tokens of cli generate --adapter (%s)', async (_n, sampling) => {
    const { s, events } = await session();
    await s.handle({ type: 'load-adapter', id: 'file-1', name: 'peft-adapter', files: asFolder(peftFolder(), 'peft-adapter') });
    expect(events.find((e) => e.type === 'adapter-loaded')).toMatchObject({ adapter: { id: 'file-1', method: 'lora', base: 'tiny-llama', trainableParams: 2 * (R * (32 + 32) + R * (32 + 16)) } });
    await s.handle({ type: 'generate', id: 2, prompt: PROMPT, chat: false, sampling, targets: [{ key: 'base', adapter: null }, { key: 'tuned', adapter: 'file-1' }] });
    const cli = await cliGenerate(['--model', join(dir, 'model'), '--adapter', join(dir, 'adapter'), '--prompt', PROMPT, ...cliFlags(sampling)]);
    expect(generated(events, 'tuned').ids).toEqual(cli);
    expect(generated(events, 'tuned').ids).not.toEqual(generated(events, 'base').ids); // the adapter changes the answer
    expect(tokens(events, 'tuned')).toHaveLength(cli.length);
    // Streamed interleaved: base, tuned, base, tuned, ... while both have tokens left.
    const [nb, nt] = [tokens(events, 'base').length, tokens(events, 'tuned').length];
    const turns = Array.from({ length: Math.max(nb, nt) }, (_, i) => [...(i < nb ? ['base'] : []), ...(i < nt ? ['tuned'] : [])]).flat();
    expect(events.filter((e) => e.type === 'token').map((e) => e.type === 'token' && e.key)).toEqual(turns);
  }, 60_000);

  it('keeps a trained run under its run id beside a loaded adapter, and refuses mismatched or unsupported ones', async () => {
    const { s, events } = await session();
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, lr: 0.05, lora: { ...base.lora, targetModules: ['q_proj', 'v_proj'] } };
    const train = [row('Q: a\nA:', ' b'), row('Q: c\nA:', ' d')];
    await s.handle({ type: 'start-examples', train, validation: [], config, truncated: 0, droppedNoLoss: 0, runId: 'run-1' });
    const kept = events.findIndex((e) => e.type === 'adapter-loaded');
    expect(events[kept]).toMatchObject({ adapter: { id: 'run-1', method: 'lora' } });
    expect(kept).toBeLessThan(events.findIndex((e) => e.type === 'done'));

    const zip = zipSync({ 'peft-adapter/adapter_config.json': peftFolder()['adapter_config.json'], 'peft-adapter/adapter_model.safetensors': peftFolder()['adapter_model.safetensors'] });
    await s.handle({ type: 'load-adapter', id: 'file-1', name: 'peft-adapter.zip', files: { 'peft-adapter.zip': buf(zip) } });
    await s.handle({ type: 'generate', id: 3, prompt: PROMPT, chat: false, sampling: GREEDY, targets: [{ key: 'base', adapter: null }, { key: 'run-1', adapter: 'run-1' }, { key: 'file-1', adapter: 'file-1' }] });
    expect(['base', 'run-1', 'file-1'].map((k) => generated(events, k).ids.length > 0)).toEqual([true, true, true]);

    await s.handle({ type: 'load-adapter', id: 'file-2', name: 'wide', files: asFolder(peftFolder({ fanIn: 64 }), 'wide') });
    const refused = events.find((e) => e.type === 'adapter-refused');
    expect(refused).toMatchObject({ id: 'file-2', name: 'wide', problems: expect.arrayContaining(['model.layers.0.self_attn.q_proj.lora_A is [2,64], this model\'s layer needs [2, 32]']) });
    await s.handle({ type: 'load-adapter', id: 'file-3', name: 'loha', files: asFolder(peftFolder({ config: { peft_type: 'LOHA' } }), 'loha') });
    expect(events.filter((e) => e.type === 'adapter-refused').at(-1)).toMatchObject({ message: expect.stringMatching(/peft_type "LOHA" are not supported \(this studio loads LORA/) });
    // The refused ones are not kept.
    await s.handle({ type: 'generate', id: 4, prompt: PROMPT, chat: false, sampling: GREEDY, targets: [{ key: 'x', adapter: 'file-2' }] });
    expect(events.at(-1)).toMatchObject({ type: 'error', during: 'play', message: expect.stringMatching(/"file-2" is not loaded/) });
  }, 60_000);

  it('a finished run stays selectable after the next run (slimmed to its adapter, same answers) and can be continued', async () => {
    const { s, events } = await session();
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, lr: 0.05, lora: { ...base.lora, r: 4, targetModules: ['q_proj', 'v_proj'] } };
    const train = [row('Q: a\nA:', ' b'), row('Q: c\nA:', ' d')];
    const ask = async (id: number) => {
      await s.handle({ type: 'generate', id, prompt: PROMPT, chat: false, sampling: SAMPLED, targets: [{ key: `run-1@${id}`, adapter: 'run-1' }] });
      return generated(events, `run-1@${id}`).ids;
    };
    await s.handle({ type: 'start-examples', train, validation: [], config, truncated: 0, droppedNoLoss: 0, runId: 'run-1' });
    const before = await ask(1);
    await s.handle({ type: 'start-examples', train, validation: [], config, truncated: 0, droppedNoLoss: 0, runId: 'run-2', fromAdapter: 'run-1' });
    expect(events.filter((e) => e.type === 'started').at(-1)).toMatchObject({ trainableParams: 2 * (4 * (32 + 32) + 4 * (32 + 16)) });
    expect(events.at(-1)).toMatchObject({ type: 'done', steps: 2 });
    expect(await ask(2)).toEqual(before);
  }, 60_000);

  it('cancel stops the generation after the token in flight', async () => {
    const { s, events } = await session((e, self) => {
      if (e.type === 'token') void self.handle({ type: 'cancel-play' });
    });
    await s.handle({ type: 'generate', id: 5, prompt: PROMPT, chat: false, sampling: GREEDY, targets: [{ key: 'base', adapter: null }, { key: 'again', adapter: null }] });
    expect(events.filter((e) => e.type === 'token')).toHaveLength(1);
    expect(events.some((e) => e.type === 'generated')).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'play-done', request: 'generate', cancelled: true });
  });

  it('evaluates the validation loss of a loaded adapter and compares base, few-shot base and tuned by exact match', async () => {
    const { s, events } = await session();
    await s.handle({ type: 'load-adapter', id: 'file-1', name: 'peft-adapter', files: asFolder(peftFolder(), 'peft-adapter') });
    const validation = [row('Q: a\nA:', ' b'), row('Q: cat\nA:', ' sat')];
    await s.handle({ type: 'evaluate-adapter', id: 6, adapter: 'file-1', validation });
    const tuned = await loadAdapterFolder(join(dir, 'adapter'), model.config, model.weights);
    const want = await evaluateExamples({ config: model.config, weights: tuned.weights, adapter: tuned.adapter }, validation);
    expect(events.find((e) => e.type === 'evaluated')).toMatchObject({ adapter: 'file-1', tokens: want.tokens });
    const got = events.find((e) => e.type === 'evaluated');
    expect(got?.type === 'evaluated' && got.loss).toBeCloseTo(want.loss, 5);

    const train = [row('Q: x\nA:', ' y'), row('Q: z\nA:', ' w'), row('Q: u\nA:', ' v')];
    await s.handle({ type: 'compare', id: 7, adapter: 'file-1', shots: 2, train, test: validation });
    const cmp = events.find((e) => e.type === 'compared');
    if (cmp?.type !== 'compared') throw new Error(JSON.stringify(events.at(-1)));
    const decode = (ids: number[]) => model.tokenizer.decode(ids);
    const eos = model.tokenizer.eosId;
    const shots = pickShots(train, 2, 64, queryRoom(validation, eos, 8), eos);
    expect(cmp.shots).toBe(shots.length);
    const fewShot = await exactMatch(model, validation, decode, eos, { context: fewShotContext(shots, eos) });
    const plain = await exactMatch(model, validation, decode, eos);
    const adapted = await exactMatch({ config: model.config, weights: tuned.weights, adapter: tuned.adapter }, validation, decode, eos);
    expect(cmp.fewShot.answers.map((a) => a.got)).toEqual(fewShot.answers.map((a) => a.got));
    expect(cmp.base.answers.map((a) => a.got)).toEqual(plain.answers.map((a) => a.got));
    expect(cmp.tuned?.answers.map((a) => a.got)).toEqual(adapted.answers.map((a) => a.got));
    expect([cmp.base.total, cmp.fewShot.total, cmp.tuned?.total]).toEqual([2, 2, 2]);
    const progress = events.filter((e) => e.type === 'compare-progress');
    expect(progress.at(-1)).toMatchObject({ stage: 'tuned model', done: 2, total: 2 });
    tuned.dispose();
  }, 60_000);

  it('continues training a loaded adapter (its own rank, not the form\'s)', async () => {
    const { s, events } = await session();
    await s.handle({ type: 'load-adapter', id: 'file-1', name: 'peft-adapter', files: asFolder(peftFolder(), 'peft-adapter') });
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 1, batchSize: 2, seqLen: 32, evalEvery: 0, lora: { ...base.lora, r: 8, targetModules: ['q_proj', 'v_proj'] } };
    await s.handle({ type: 'start-examples', train: [row('Q: a\nA:', ' b'), row('Q: c\nA:', ' d')], validation: [], config, truncated: 0, droppedNoLoss: 0, fromAdapter: 'file-1' });
    expect(events.find((e) => e.type === 'started')).toMatchObject({ trainableParams: 2 * (R * (32 + 32) + R * (32 + 16)) });
    expect(events.at(-1)).toMatchObject({ type: 'done', steps: 1 });
    await s.handle({ type: 'start-examples', train: [row('Q: a\nA:', ' b')], validation: [], config: { ...defaultTrainConfig('ia3'), steps: 1, batchSize: 1, seqLen: 32 }, truncated: 0, droppedNoLoss: 0, fromAdapter: 'file-1' });
    expect(events.at(-1)).toMatchObject({ type: 'error', during: 'train', message: expect.stringMatching(/is a lora adapter: choose lora/) });
  }, 60_000);
});
