// `train --weights int8` in process on a tiny Llama folder: the run trains LoRA on packed block linears and its
// model card says how the base was held; a method that reads the base weights itself is refused before any work.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseModelConfig } from '../engine/model-config';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { runTrain } from './train';

const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-weights-'));
const model = join(dir, 'tiny-llama');
const data = join(dir, 'data.jsonl');

beforeAll(() => {
  mkdirSync(model);
  const raw = tinyRawConfig('llama');
  for (const [name, bytes] of checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 2))) writeFileSync(join(model, name), bytes);
  writeFileSync(data, ['the cat sat', 'the dog ran', 'the end', 'a cat ran'].map((t) => JSON.stringify({ text: t })).join('\n'));
});
afterEach(() => vi.restoreAllMocks());

const args = (out: string, ...more: string[]) => ['--model', model, '--data', data, '--steps', '2', '--batch', '2', '--seq-len', '16', '--backend', 'cpu', '--out', out, '--json', ...more];

describe('cli train --weights', () => {
  it('int8: LoRA trains on the packed base and the card says so', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    const out = join(dir, 'lora-int8');
    await runTrain(args(out, '--method', 'lora', '--weights', 'int8'));
    const events = lines.map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'step')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: 'done', steps: 2 });
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toMatch(/\| base weights \| block linears held as int8 with one scale per output row while training \|/);
  });

  it('refuses a method that reads the base weights itself, before writing anything', async () => {
    const out = join(dir, 'dora-int8');
    await expect(runTrain(args(out, '--method', 'dora', '--weights', 'int8'))).rejects.toThrow(/--weights int8: DoRA needs the base weights in float32 \(.*\): leave out --weights/);
    await expect(runTrain(args(out, '--method', 'lora', '--weights', 'int4'))).rejects.toThrow(/--weights must be f32, f16 or int8, got "int4"/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
