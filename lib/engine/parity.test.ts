// Parity with an independent implementation: scripts/parity_ref.py (PyTorch, float64, written from the Hugging Face
// modeling equations, and PEFT's LoRA, DoRA and IA3 layer formulas) loads the same tiny checkpoints and PEFT adapters;
// logits and the gradients of every adapter tensor must agree. Every case's folders are written first, so one Python
// process (torch imported once) computes all the references.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '../cli/fs-source';
import { loadModelFolder } from './loader';
import { defaultTrainConfig } from './defaults';
import { ia3DefaultsFor } from './peft/ia3';
import { methodForPeftType, peftMethod } from './peft/methods';
import { methodSpec } from './peft/registry';
import { causalLmLoss } from './loss';
import { disposeWeights, forward } from './model';
import { parseModelConfig } from './model-config';
import { loraTargetPresets } from './params';
import { mulberry32, normalArray } from './random';
import { readSafetensors, toFloat32, writeSafetensors } from './safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, TINY_VARIANTS, type CheckpointOptions } from './test-checkpoints';
import { PYTHON, torchReferences } from './test-torch-ref';
import { relErr, useCpu, values } from './test-utils';
import type { LoraConfig } from './types';

const SCRIPT = join(import.meta.dirname, '../../scripts/parity_ref.py');
const TOL = 1e-4;
const measured: string[] = [];

beforeAll(useCpu);
afterAll(() => console.log(`parity vs PyTorch (max |a-b| / max |b|):\n${measured.join('\n')}`));

function writeFolder(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

/** Writes a PEFT adapter of method `id` made by the registry, every value moved off its no-op init (B = 0 would
 * zero A's gradient; IA3's ones and DoRA's m = ||W|| would hide their terms). LoRA and DoRA wrap every linear,
 * IA3 uses PEFT's default targets for the family. */
async function writeAdapter(dir: string, modelDir: string, id: 'lora' | 'dora' | 'ia3', seed: number, lora: Partial<LoraConfig> = {}): Promise<void> {
  const model = await loadModelFolder('tiny', fsSource(modelDir));
  const base = defaultTrainConfig(id);
  const train = id === 'ia3'
    ? methodSpec('ia3').withConfig(base, ia3DefaultsFor(model.config))
    : { ...base, lora: { r: 3, alpha: 6, dropout: 0, targetModules: loraTargetPresets(model.config).presets['all-linear'], useRslora: false, ...lora } };
  const state = peftMethod(id).create(model.config, model.weights, train, seed);
  const rng = mulberry32(seed + 1);
  for (const v of state.variables) v.assign(tf.add(v, tf.tensor(normalArray(v.size, 0.3, rng), v.shape)));
  const peft = await state.save!('tiny');
  state.dispose();
  disposeWeights(model.weights);
  writeFolder(dir, new Map([
    ['adapter_config.json', new TextEncoder().encode(JSON.stringify(peft.config))],
    ['adapter_model.safetensors', writeSafetensors(peft.tensors, { metadata: { format: 'pt' } })],
  ]));
}

interface Reference {
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
}

/** Our logits, loss and adapter gradients keyed by PEFT tensor names, from the folders on disk (the adapter loaded
 * as `--adapter` loads it: through the method its adapter_config.json names). */
async function ours(modelDir: string, adapterDir: string, tokens: number[][], mask: number[][]) {
  const model = await loadModelFolder('tiny', fsSource(modelDir));
  const file = readSafetensors(new Uint8Array(await readFile(join(adapterDir, 'adapter_model.safetensors'))));
  const tensors = Object.fromEntries([...file.tensors].map(([k, e]) => [k, { shape: e.shape, data: toFloat32(e) }]));
  const config = JSON.parse(await readFile(join(adapterDir, 'adapter_config.json'), 'utf8'));
  const state = methodForPeftType(config.peft_type, config).load!({ config, tensors }, model.config, model.weights);
  const [B, T] = [tokens.length, tokens[0].length];
  const ids = tf.tensor2d(tokens.flat(), [B, T], 'int32');
  const m = tf.tensor2d(mask.flat(), [B, T]);
  const run = () => forward(model.config, state.weights, ids, { adapter: state.adapter });
  const logits = values(tf.tidy(run));
  const { value, grads } = tf.variableGrads(() => causalLmLoss(run(), ids, m), state.variables);
  // The gradients in PEFT's names and layouts: saved as the adapter would be, with each variable holding its gradient.
  for (const v of state.variables) v.assign(grads[v.name]);
  const saved = await state.save!('tiny');
  const g = Object.fromEntries(Object.entries(saved.tensors).map(([k, t]) => [k, t.data]));
  const loss = values(value)[0];
  tf.dispose([ids, m, value, ...Object.values(grads)]);
  state.dispose();
  disposeWeights(model.weights);
  return { logits, loss, grads: g };
}

type Case = { name: string; family: (typeof TINY_VARIANTS)[number]['family']; over: Record<string, unknown>; opts: CheckpointOptions; method: 'lora' | 'dora' | 'ia3'; lora?: Partial<LoraConfig> };
// PEFT rank_pattern / alpha_pattern keys: a plain name, a dotted path and a regex, matched at the end of the module path.
const PATTERNS: Partial<LoraConfig> = { rankPattern: { c_fc: 2, 'h\\.1\\.attn\\.c_(attn|proj)': 5 }, alphaPattern: { 'attn.c_proj': 20 } };
const variant = (name: string) => TINY_VARIANTS.find((v) => v.name === name)!;
// DoRA and IA3 on the variants where their terms differ: GPT-2's Conv1D layout and biases, GQA, biased projections,
// and qwen2 (whose IA3 defaults are q, v and down).
const PEFT_VARIANTS = ['gpt2', 'llama GQA untied', 'llama MHA tied, explicit head_dim, attention+mlp bias', 'qwen2 q/k/v bias, rope_parameters'];
const CASES: Case[] = [
  ...TINY_VARIANTS.map((v) => ({ ...v, opts: {}, method: 'lora' as const })),
  { name: 'llama BF16, 3 shards', family: 'llama', over: {}, opts: { dtype: 'BF16', shards: 3 }, method: 'lora' },
  ...(['dora', 'ia3'] as const).flatMap((method) => PEFT_VARIANTS.map((n) => ({ ...variant(n), name: `${method} on ${n}`, opts: {}, method }))),
  ...(['lora', 'dora'] as const).map((method) => ({ ...variant('gpt2'), name: `${method} rank_pattern + alpha_pattern on gpt2`, opts: {}, method, lora: PATTERNS })),
];

// Right padding with mask 0 and one unmasked prompt token, as the trainer's batches look.
const tokens = [[258, 3, 77, 104, 101, 32, 99, 9], [5, 250, 17, 17, 42, 0, 0, 0]];
const mask = [[0, 0, 1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0, 0, 0]];
/** Each case's folder (model/ and adapter/), and PyTorch's answer for it, in CASES' order. */
const dirs: string[] = [];
let refs: Reference[] = [];

beforeAll(async () => {
  for (const { family, over, opts, method, lora } of CASES) {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-parity-'));
    const raw = tinyRawConfig(family, over);
    writeFolder(join(dir, 'model'), checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 5), opts));
    await writeAdapter(join(dir, 'adapter'), join(dir, 'model'), method, 9, lora);
    dirs.push(dir);
  }
  refs = torchReferences<Reference>(SCRIPT, dirs.map((dir) => ({ model_dir: join(dir, 'model'), adapter_dir: join(dir, 'adapter'), tokens, mask })));
}, 300_000);

describe('parity with PyTorch (scripts/parity_ref.py)', () => {
  it('has torch at /usr/bin/python3 (CI installs python3-torch)', () => {
    expect(execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })).toMatch(/\d+\.\d+/);
  });

  it.each(CASES.map((c, i) => ({ ...c, i })))('$name: logits and $method gradients', async ({ name, method, i }) => {
    const dir = dirs[i];
    const ref = refs[i];
    const got = await ours(join(dir, 'model'), join(dir, 'adapter'), tokens, mask);
    const logitErr = relErr(got.logits, ref.logits);
    const keys = Object.keys(ref.grads);
    expect(Object.keys(got.grads).sort()).toEqual(keys.sort());
    const gradErr = Math.max(...keys.map((k) => relErr(got.grads[k], ref.grads[k])));
    measured.push(`  ${name}: logits ${logitErr.toExponential(2)}, loss ${Math.abs(got.loss - ref.loss).toExponential(2)}, ${method} grads (worst of ${keys.length}) ${gradErr.toExponential(2)}`);
    expect(logitErr).toBeLessThan(TOL);
    expect(gradErr).toBeLessThan(TOL);
    expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(TOL);
  });
});
