// `cli train` across runs: `--steps 40 --resume <20-step run>` writes the adapter of 40 steps straight (LoRA dropout
// on, constant schedule after warmup); early stopping on an overfitting fixture stops, keeps the step of the lowest
// validation loss, and `cli eval` of the written model on the validation file gives that loss; test-split metrics
// and the forgetting meter are reported.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import { events as parse, runCli, runCliOk, tinyModelDir } from './test-cli';

const cli = async (args: string[]): Promise<Record<string, unknown>[]> => parse(await runCliOk(args));

function setup(lines: string[]): { dir: string; model: string; data: string } {
  const { dir, model } = tinyModelDir('webtune-resume-');
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, lines.map((text) => JSON.stringify({ text })).join('\n'));
  return { dir, model, data };
}

function adapterTensors(dir: string): Map<string, Float32Array> {
  const st = readSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))));
  return new Map([...st.tensors].map(([k, e]) => [k, toFloat32(e)]));
}

describe('cli train --resume', () => {
  it('20 steps, then --steps 40 --resume, equal 40 steps straight', async () => {
    const { dir, model, data } = setup(['the cat sat on the mat', 'a dog ran far away', 'birds sing at dawn', 'rain fell all day', 'the end came soon']);
    const common = ['--model', model, '--data', data, '--batch', '2', '--seq-len', '16', '--lora-r', '4', '--lora-dropout', '0.2', '--lr', '0.01', '--schedule', 'constant', '--warmup', '3', '--json'];
    const half = join(dir, 'half');
    const [straight] = await Promise.all([
      cli(['train', ...common, '--steps', '40', '--out', join(dir, 'straight')]),
      cli(['train', ...common, '--steps', '20', '--out', half]),
    ]);
    expect(existsSync(join(half, 'train-state.json'))).toBe(true);
    const resumed = await cli(['train', '--model', model, '--data', data, '--steps', '40', '--resume', half, '--out', join(dir, 'resumed'), '--json']);
    expect(resumed.find((e) => e.event === 'resume')).toMatchObject({ step: 20, steps: 40, scheduleChanged: false });
    expect(resumed.filter((e) => e.event === 'step').map((e) => e.step)).toEqual([...Array(20).keys()].map((i) => 21 + i));
    expect(resumed.at(-1)).toMatchObject({ event: 'done', steps: 40 });
    const a = adapterTensors(join(dir, 'straight'));
    const b = adapterTensors(join(dir, 'resumed'));
    const h = adapterTensors(half);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    let err = 0;
    let moved = 0;
    for (const [k, x] of a) {
      x.forEach((v, i) => {
        err = Math.max(err, Math.abs(v - b.get(k)![i]));
        moved = Math.max(moved, Math.abs(v - h.get(k)![i]));
      });
    }
    expect(err).toBeLessThanOrEqual(1e-6);
    expect(moved).toBeGreaterThan(1e-3);
    expect(straight.at(-1)).toMatchObject({ event: 'done', steps: 40 });
    // A changed setting is refused by name.
    const bad = await runCli(['train', '--model', model, '--data', data, '--steps', '40', '--lr', '0.5', '--resume', half, '--out', join(dir, 'bad'), '--json']);
    expect(bad.code).toBe(1);
    expect(String(bad.stdout)).toMatch(/lr was 0.01, now 0.5/);
  }, 240_000);

  it('stops early on an overfitting fixture and --out holds the step of the lowest validation loss', async () => {
    const { dir, model, data } = setup(['the cat sat on the mat', 'a dog ran far away', 'birds sing at dawn']);
    const val = join(dir, 'val.jsonl');
    writeFileSync(val, ['the dog sat on a log', 'cats ran at dawn', 'a bird sang all day'].map((text) => JSON.stringify({ text })).join('\n'));
    const test = join(dir, 'test.jsonl');
    writeFileSync(test, ['the rain came at dawn', 'a cat ran far'].map((text) => JSON.stringify({ text })).join('\n'));
    const out = join(dir, 'out');
    const events = await cli(['train', '--model', model, '--data', data, '--val-data', val, '--test-data', test, '--method', 'full', '--steps', '300', '--batch', '3', '--seq-len', '32',
      '--lr', '0.01', '--warmup', '0', '--schedule', 'constant', '--val-every', '3', '--early-stop-patience', '3', '--forgetting', '--out', out, '--json']);
    const evals = events.filter((e) => e.event === 'eval') as { step: number; valLoss: number }[];
    const done = events.at(-1)!;
    const best = evals.reduce((a, e) => (e.valLoss < a.valLoss ? e : a));
    expect(done).toMatchObject({ event: 'done', earlyStopped: true, keptStep: best.step, bestValLoss: best.valLoss });
    expect(done.stoppedAt).toBe(evals.at(-1)!.step);
    expect(done.stoppedAt as number).toBeLessThan(300);
    expect(evals.at(-1)!.valLoss).toBeGreaterThan(best.valLoss);
    // The written model folder scores the kept step's validation loss.
    const [scored] = await cli(['eval', '--model', out, '--data', val, '--seq-len', '32', '--json']);
    expect(scored.loss as number).toBeCloseTo(best.valLoss, 4);
    const t = events.find((e) => e.event === 'test')!;
    expect(t).toMatchObject({ examples: 2, exactMatch: null });
    const [testScored] = await cli(['eval', '--model', out, '--data', test, '--seq-len', '32', '--json']);
    expect(t.loss as number).toBeCloseTo(testScored.loss as number, 5);
    const f = events.find((e) => e.event === 'forgetting')!;
    expect(f.before as number).toBeGreaterThan(1);
    expect(typeof f.verdict).toBe('string');
  }, 240_000);
});
