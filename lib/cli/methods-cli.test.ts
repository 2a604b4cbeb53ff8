// Every registered method through the command line on a tiny Llama: `train --method <id>` writes the method's files
// (PEFT adapter or model folder), `logits --adapter` reads an adapter back as the engine does in process, and
// `train --adapter` continues it (its first loss is the saved adapter's, not a fresh one's).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../engine/loader';
import { disposeWeights, forward } from '../engine/model';
import { parseModelConfig } from '../engine/model-config';
import { METHOD_SPECS } from '../engine/peft/registry';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { relErr, values } from '../engine/test-utils';
import { fsSource } from './fs-source';
import { loadAdapterFolder } from './generate';
import { events, runCliOk as cli } from './test-cli';

const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-methods-'));
const model = join(dir, 'tiny-llama');
const data = join(dir, 'data.jsonl');
const tokens = [257, 32, 99];

beforeAll(async () => {
  mkdirSync(model);
  const raw = tinyRawConfig('llama');
  for (const [name, bytes] of checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 2))) writeFileSync(join(model, name), bytes);
  writeFileSync(data, ['the cat sat', 'the dog ran', 'the end', 'a cat ran'].map((t) => JSON.stringify({ text: t })).join('\n'));
  await tf.setBackend('cpu');
});

const trainArgs = (out: string) => ['--model', model, '--data', data, '--steps', '2', '--batch', '2', '--seq-len', '16', '--lr', '0.05', '--backend', 'cpu', '--out', out, '--json'];

describe.each(METHOD_SPECS.map((s) => [s.id, s] as const))('cli %s', (id, spec) => {
  it(`train --method ${id} writes its files; they load back${spec.exports === 'adapter' ? ' through --adapter and continue training' : ' as a model folder'}`, async () => {
    const out = join(dir, id);
    const first = events(await cli(['train', '--method', id, ...trainArgs(out)]));
    const done = first.at(-1);
    expect(done).toMatchObject({ event: 'done', steps: 2 });
    const base = JSON.parse(await cli(['logits', '--model', model, '--tokens', tokens.join(','), '--backend', 'cpu', '--json'])).logits.flat();
    if (spec.exports === 'model') {
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).model_type).toBe('llama');
      const tuned = JSON.parse(await cli(['logits', '--model', out, '--tokens', tokens.join(','), '--backend', 'cpu', '--json'])).logits.flat();
      expect(relErr(tuned, base)).toBeGreaterThan(1e-6);
      return;
    }
    const viaCli = JSON.parse(await cli(['logits', '--model', model, '--adapter', out, '--tokens', tokens.join(','), '--backend', 'cpu', '--json'])).logits.flat();
    expect(relErr(viaCli, base)).toBeGreaterThan(1e-6); // two steps changed the model
    const m = await loadModelFolder('m', fsSource(model));
    const state = await loadAdapterFolder(out, m.config, m.weights);
    const inProcess = values(tf.tidy(() => forward(m.config, state.weights, tf.tensor2d([tokens], [1, 3], 'int32'), { adapter: state.adapter })));
    expect(relErr(viaCli, inProcess)).toBeLessThan(1e-5);
    state.dispose();
    disposeWeights(m.weights);
    // Continuing: the method comes from the adapter; the first step starts from the trained adapter.
    const cont = events(await cli(['train', '--adapter', out, ...trainArgs(join(dir, `${id}-cont`))]));
    const firstLoss = (e: { event: string; loss: number }[]) => e.find((x) => x.event === 'step')!.loss;
    expect(firstLoss(cont)).not.toBeCloseTo(firstLoss(first), 5);
    expect(JSON.parse(readFileSync(join(dir, `${id}-cont`, 'adapter_config.json'), 'utf8')).peft_type).toBe(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).peft_type);
  }, 120_000);
});
