// Parity with an independent implementation: scripts/parity_ref.py (PyTorch, float64, written from the Hugging Face
// modeling equations) loads the same tiny checkpoints and PEFT adapters; logits and LoRA gradients must agree.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '../cli/fs-source';
import { loadModelFolder } from './loader';
import { createLora, disposeLora, loraFromPeft, loraToPeft } from './peft/lora';
import { causalLmLoss } from './loss';
import { disposeWeights, forward } from './model';
import { parseModelConfig } from './model-config';
import { loraTargetPresets } from './params';
import { mulberry32, normalArray } from './random';
import { readSafetensors, toFloat32, writeSafetensors } from './safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, TINY_VARIANTS, type CheckpointOptions } from './test-checkpoints';
import { relErr, useCpu, values } from './test-utils';
import type { ModelConfig } from './types';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../../scripts/parity_ref.py');
const TOL = 1e-4;
const measured: string[] = [];

beforeAll(useCpu);
afterAll(() => console.log(`parity vs PyTorch (max |a-b| / max |b|):\n${measured.join('\n')}`));

function writeFolder(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

/** Writes a PEFT adapter on every linear module with random nonzero A and B (B = 0 would zero A's gradient). */
async function writeAdapter(dir: string, config: ModelConfig, seed: number): Promise<void> {
  const targetModules = loraTargetPresets(config).presets['all-linear'];
  const state = createLora(config, { r: 3, alpha: 6, dropout: 0, targetModules, useRslora: false }, seed);
  const rng = mulberry32(seed + 1);
  for (const m of state.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
  const peft = await loraToPeft(state, { baseModel: 'tiny' });
  disposeLora(state);
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

function reference(spec: object, dir: string): Reference {
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  return JSON.parse(execFileSync(PYTHON, [SCRIPT, join(dir, 'spec.json')], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** Our logits, loss and LoRA gradients keyed by PEFT tensor names, from the folders on disk. */
async function ours(modelDir: string, adapterDir: string, tokens: number[][], mask: number[][]) {
  const model = await loadModelFolder('tiny', fsSource(modelDir));
  const file = readSafetensors(new Uint8Array(await readFile(join(adapterDir, 'adapter_model.safetensors'))));
  const tensors = Object.fromEntries([...file.tensors].map(([k, e]) => [k, { shape: e.shape, data: toFloat32(e) }]));
  const lora = loraFromPeft(JSON.parse(await readFile(join(adapterDir, 'adapter_config.json'), 'utf8')), tensors, model.config);
  const [B, T] = [tokens.length, tokens[0].length];
  const ids = tf.tensor2d(tokens.flat(), [B, T], 'int32');
  const m = tf.tensor2d(mask.flat(), [B, T]);
  const logits = values(tf.tidy(() => forward(model.config, model.weights, ids, { adapter: lora })));
  const names = [...lora.modules.keys()].flatMap((p) => (['A', 'B'] as const).map((ab) => [p, ab] as const));
  const vars = names.map(([p, ab]) => lora.modules.get(p)![ab]);
  const { value, grads } = tf.variableGrads(() => causalLmLoss(forward(model.config, model.weights, ids, { adapter: lora }), ids, m), vars);
  const prefix = model.config.model_type === 'gpt2' ? 'transformer.' : '';
  const g = Object.fromEntries(names.map(([p, ab], i) => [`base_model.model.${prefix}${p}.lora_${ab}.weight`, values(grads[vars[i].name])]));
  const loss = values(value)[0];
  tf.dispose([ids, m, value, ...Object.values(grads)]);
  disposeLora(lora);
  disposeWeights(model.weights);
  return { logits, loss, grads: g };
}

const CASES: { name: string; family: (typeof TINY_VARIANTS)[number]['family']; over: Record<string, unknown>; opts: CheckpointOptions }[] = [
  ...TINY_VARIANTS.map((v) => ({ ...v, opts: {} })),
  { name: 'llama BF16, 3 shards', family: 'llama', over: {}, opts: { dtype: 'BF16', shards: 3 } },
];

describe('parity with PyTorch (scripts/parity_ref.py)', () => {
  it('has torch at /usr/bin/python3 (CI installs python3-torch)', () => {
    expect(execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })).toMatch(/\d+\.\d+/);
  });

  it.each(CASES)('$name: logits and LoRA gradients', async ({ name, family, over, opts }) => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-parity-'));
    const raw = tinyRawConfig(family, over);
    const config = parseModelConfig(raw);
    writeFolder(join(dir, 'model'), checkpointFolder(raw, tinyCheckpointWeights(config, 5), opts));
    await writeAdapter(join(dir, 'adapter'), config, 9);
    // Right padding with mask 0 and one unmasked prompt token, as the trainer's batches look.
    const tokens = [[258, 3, 77, 104, 101, 32, 99, 9], [5, 250, 17, 17, 42, 0, 0, 0]];
    const mask = [[0, 0, 1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0, 0, 0]];
    const ref = reference({ model_dir: join(dir, 'model'), adapter_dir: join(dir, 'adapter'), tokens, mask }, dir);
    const got = await ours(join(dir, 'model'), join(dir, 'adapter'), tokens, mask);
    const logitErr = relErr(got.logits, ref.logits);
    const keys = Object.keys(ref.grads);
    expect(Object.keys(got.grads).sort()).toEqual(keys.sort());
    const gradErr = Math.max(...keys.map((k) => relErr(got.grads[k], ref.grads[k])));
    measured.push(`  ${name}: logits ${logitErr.toExponential(2)}, loss ${Math.abs(got.loss - ref.loss).toExponential(2)}, LoRA grads (worst of ${keys.length}) ${gradErr.toExponential(2)}`);
    expect(logitErr).toBeLessThan(TOL);
    expect(gradErr).toBeLessThan(TOL);
    expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(TOL);
  });
});
