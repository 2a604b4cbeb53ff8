// The command line end to end: `train --json` streams step events and writes a PEFT adapter that `generate`
// reads back, for GPT-2 and Llama; `logits` / `tokenize` print JSON; user mistakes exit 1 with one JSON error and no stack trace.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFolder } from '../engine/loader';
import { disposeWeights, forward } from '../engine/model';
import { parseModelConfig } from '../engine/model-config';
import { readSafetensors } from '../engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { relErr, values } from '../engine/test-utils';
import { fsSource } from './fs-source';
import { runCli as cli, spawnCli, tinyModelDir } from './test-cli';

function setup(): { dir: string; model: string; data: string } {
  const { dir, model } = tinyModelDir('webtune-cli-');
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, ['the cat sat', 'the dog ran', '{"oops"', 'the end'].map((t) => (t.startsWith('{') ? t : JSON.stringify({ text: t }))).join('\n'));
  return { dir, model, data };
}

describe('cli', () => {
  it('trains with --json, writes a PEFT adapter, and generates through it', async () => {
    const { dir, model, data } = setup();
    const out = join(dir, 'out');
    // A real process, as a user starts it (`tsx lib/cli/main.ts`): its stdout holds JSON lines only.
    const r = await spawnCli(['train', '--model', model, '--data', data, '--method', 'lora', '--steps', '3', '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const steps = events.filter((e) => e.event === 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of steps) expect(Object.keys(s).sort()).toEqual(['event', 'gradNorm', 'loss', 'lr', 'step', 'tokensPerSec']);
    // The malformed line is reported with its line number, not dropped silently.
    expect(events[0]).toMatchObject({ event: 'data', format: 'text', records: 4, valid: 3, invalid: 1 });
    expect(events[0].errors[0].line).toBe(3);
    const done = events.at(-1);
    expect(done).toMatchObject({ event: 'done', steps: 3, out });
    expect(['wasm', 'cpu']).toContain(done.backend);
    expect(done.firstLoss).toBeCloseTo(steps[0].loss, 6);
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'adapter_model.safetensors'))));
    expect(st.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 8]);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 4 });

    const g = await cli(['generate', '--model', model, '--adapter', out, '--prompt', 'the', '--max-tokens', '3', '--json']);
    expect(g.code).toBe(0);
    const gen = JSON.parse(g.stdout.trim());
    expect(gen.ids.length).toBeLessThanOrEqual(3);
  });

  it('trains on packed rows with --packing and reports the padding it saved', async () => {
    const { dir, model, data } = setup();
    const r = await cli(['train', '--model', model, '--data', data, '--steps', '2', '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--packing', '--out', join(dir, 'packed'), '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const packing = events.find((e) => e.event === 'packing');
    expect(packing.paddingSavedShare).toBeGreaterThanOrEqual(0);
    expect(packing.paddingSavedShare).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.event === 'step')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: 'done', steps: 2 });
  });

  it('plans memory before training: checkpointing off when it fits, on with --checkpointing, same losses', async () => {
    const { dir, model, data } = setup();
    const args = ['train', '--model', model, '--data', data, '--steps', '2', '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--json'];
    const runs = await Promise.all([[], ['--checkpointing']].map((extra, i) => cli([...args, ...extra, '--out', join(dir, `ck${i}`)])));
    const events = runs.map((r) => r.stdout.trim().split('\n').map((l) => JSON.parse(l)));
    expect(events[0].find((e) => e.event === 'plan')).toMatchObject({ checkpointing: false, fits: true });
    expect(events[1].find((e) => e.event === 'plan')).toMatchObject({ checkpointing: true, fits: true });
    const losses = events.map((ev) => ev.filter((e) => e.event === 'step').map((e) => e.loss));
    losses[1].forEach((l: number, i: number) => expect(l).toBeCloseTo(losses[0][i], 5));
  });

  it.each([
    [['train', '--model', '/nonexistent', '--data', 'x', '--out', '/tmp/x', '--json'], /The model folder \/nonexistent does not exist/],
    [['train', '--data', 'x', '--out', 'y', '--json'], /--model is required/],
    [['train', '--model', 'm', '--data', 'x', '--out', 'y', '--method', 'nope', '--json'], /--method must be lora, .* or full, got "nope"/],
    [['frobnicate', '--json'], /Unknown command "frobnicate"/],
  ])('refuses %j with a JSON error and exit code 1', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(e.event).toBe('error');
    expect(e.message).toMatch(message as RegExp);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a refusal ends the process with exit status 1, one JSON error line and no stack trace', async () => {
    const r = await spawnCli(['train', '--model', '/nonexistent', '--data', 'x', '--out', '/tmp/x', '--json']);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(e.event).toBe('error');
    expect(e.message).toMatch(/The model folder \/nonexistent does not exist/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('cli with a Llama-family model', () => {
  function llamaSetup(): { dir: string; model: string; data: string } {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-llama-'));
    const model = join(dir, 'tiny-llama');
    mkdirSync(model);
    const raw = tinyRawConfig('llama');
    for (const [name, bytes] of checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 2))) writeFileSync(join(model, name), bytes);
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, ['the cat sat', 'the dog ran', 'the end'].map((t) => JSON.stringify({ text: t })).join('\n'));
    return { dir, model, data };
  }

  it('tokenizes, prints logits as the engine computes them, trains a PEFT Llama adapter and reads it back', async () => {
    const { dir, model, data } = llamaSetup();
    const tok = await cli(['tokenize', '--model', model, '--text', 'the cat', '--json']);
    expect(JSON.parse(tok.stdout)).toEqual({ ids: [257, 32, 99, 97, 116] }); // "the" merged; then bytes
    const lg = await cli(['logits', '--model', model, '--tokens', '257,32,99', '--backend', 'cpu', '--json']);
    expect(lg.code).toBe(0);
    const out = JSON.parse(lg.stdout);
    expect(out.tokens).toEqual([257, 32, 99]);
    expect(out.logits.map((r: number[]) => r.length)).toEqual([259, 259, 259]);
    await tf.setBackend('cpu');
    const m = await loadModelFolder('m', fsSource(model));
    const want = values(forward(m.config, m.weights, tf.tensor2d([[257, 32, 99]], [1, 3], 'int32')));
    expect(relErr(out.logits.flat(), want)).toBeLessThan(1e-6);
    disposeWeights(m.weights);

    const adapter = join(dir, 'adapter');
    const r = await cli(['train', '--model', model, '--data', data, '--steps', '2', '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--out', adapter, '--json']);
    expect(r.code).toBe(0);
    const st = readSafetensors(new Uint8Array(readFileSync(join(adapter, 'adapter_model.safetensors'))));
    expect(st.tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([4, 32]);
    expect(st.tensors.get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape).toEqual([16, 4]);
    expect(JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'))).toMatchObject({ fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
    const withAdapter = await cli(['logits', '--model', model, '--adapter', adapter, '--tokens', '257,32,99', '--json']);
    expect(withAdapter.code).toBe(0);
    expect(relErr(JSON.parse(withAdapter.stdout).logits.flat(), want)).toBeGreaterThan(1e-6); // the adapter changed them
  });

  it.each([
    [['logits', '--model', 'm', '--json'], /one of --tokens or --text/],
    [['tokenize', '--model', 'm', '--json'], /--model and --text are required/],
  ])('refuses %j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).message).toMatch(message);
  });
});
