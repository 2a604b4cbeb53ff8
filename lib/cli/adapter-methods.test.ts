// The command line with prompt tuning, prefix tuning and bottleneck adapters end to end: `train --method` writes the
// method's files, `logits --adapter` prints one row per input token (equal to the engine's forward through the
// loaded adapter), `generate --adapter` gives the same tokens with and without the KV cache, and `train --adapter`
// continues from the folder (its method read from adapter_config.json).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFolder } from '../engine/loader';
import { forward } from '../engine/model';
import { relErr, useCpu, values } from '../engine/test-utils';
import { fsSource } from './fs-source';
import { loadAdapterFolder } from './generate';
import { events as lines, runCliOk as cli, tinyModelDir } from './test-cli';

beforeAll(useCpu);

describe.each([
  ['prompt', ['--num-virtual-tokens', '4', '--prompt-init-text', 'the cat'], 'PROMPT_TUNING'],
  ['prefix', ['--num-virtual-tokens', '3'], 'PREFIX_TUNING'],
  ['adapter', ['--adapter-size', '4'], 'BOTTLENECK'],
])('cli with --method %s', (method, flags, peftType) => {
  it('trains, prints logits of the input tokens only, generates alike with and without the cache, continues training', async () => {
    const { dir, model } = tinyModelDir('webtune-cli-');
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, ['the cat sat', 'the dog ran', 'the end'].map((text) => JSON.stringify({ text })).join('\n'));
    const out = join(dir, 'out');
    const trained = lines(await cli(['train', '--model', model, '--data', data, '--method', method, ...flags, '--steps', '6', '--batch', '2', '--seq-len', '16', '--lr', '0.05', '--out', out, '--json']));
    expect(trained.at(-1)).toMatchObject({ event: 'done', steps: 6 });
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).peft_type).toBe(peftType);

    const { tokens, logits } = JSON.parse(await cli(['logits', '--model', model, '--adapter', out, '--tokens', '3,1,4,1,5', '--json']));
    expect(logits.length).toBe(5);
    const m = await loadModelFolder('tiny', fsSource(model));
    const state = await loadAdapterFolder(out, m.config, m.weights);
    const want = values(tf.tidy(() => forward(m.config, m.weights, tf.tensor2d([tokens], [1, 5], 'int32'), { adapter: state.adapter })));
    expect(relErr(Float32Array.from(logits.flat()), want)).toBeLessThan(1e-5);
    state.dispose();

    const gen = async (...extra: string[]) => JSON.parse(await cli(['generate', '--model', model, '--adapter', out, '--prompt', 'the', '--max-new-tokens', '6', ...extra, '--json']));
    const cached = await gen('--greedy');
    expect(Object.keys(cached).sort()).toEqual(['ids', 'prompt', 'stopped', 'text']);
    expect((await gen('--greedy', '--no-cache')).ids).toEqual(cached.ids);
    const sampled = await gen('--temperature', '1.5', '--top-k', '10', '--top-p', '0.9', '--seed', '4');
    expect((await gen('--temperature', '1.5', '--top-k', '10', '--top-p', '0.9', '--seed', '4', '--no-cache')).ids).toEqual(sampled.ids);

    const oneStep = (...extra: string[]) => cli(['train', '--model', model, '--data', data, ...extra, '--steps', '1', '--batch', '2', '--seq-len', '16', '--json']);
    const more = lines(await oneStep('--adapter', out, '--out', join(dir, 'more')));
    const fresh = lines(await oneStep('--method', method, ...flags, '--out', join(dir, 'fresh')));
    // Same first batch: the continued run starts from the trained adapter, not from a fresh one.
    expect(Math.abs(more.at(-1).firstLoss - fresh.at(-1).firstLoss)).toBeGreaterThan(1e-6);
    expect(JSON.parse(readFileSync(join(dir, 'more', 'adapter_config.json'), 'utf8')).peft_type).toBe(peftType);
  }, 240_000);
});
