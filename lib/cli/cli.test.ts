// The command line end to end: `train --json` streams step events and writes a PEFT adapter that `generate`
// reads back; user mistakes exit 1 with one JSON error and no stack trace.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readSafetensors } from '../engine/safetensors';
import { tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'lib/cli/main.ts'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function setup(): { dir: string; model: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-'));
  const model = join(dir, 'tiny');
  mkdirSync(model);
  const config = tinyConfig({ n_positions: 32 });
  for (const [name, bytes] of tinyFolder(config, tinyWeights(config))) writeFileSync(join(model, name), bytes);
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, ['the cat sat', 'the dog ran', '{"oops"', 'the end'].map((t) => (t.startsWith('{') ? t : JSON.stringify({ text: t }))).join('\n'));
  return { dir, model, data };
}

describe('cli', () => {
  it('trains with --json, writes a PEFT adapter, and generates through it', async () => {
    const { dir, model, data } = setup();
    const out = join(dir, 'out');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'lora', '--steps', '3', '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--out', out, '--json']);
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

  it.each([
    [['train', '--model', '/nonexistent', '--data', 'x', '--out', '/tmp/x', '--json'], /no config\.json/],
    [['train', '--data', 'x', '--out', 'y', '--json'], /--model is required/],
    [['train', '--model', 'm', '--data', 'x', '--out', 'y', '--method', 'dpo', '--json'], /--method must be lora or full/],
    [['frobnicate', '--json'], /Unknown command "frobnicate"/],
  ])('refuses %j with a JSON error and exit code 1', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(e.event).toBe('error');
    expect(e.message).toMatch(message as RegExp);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
