// The worker's session logic for Llama-family models: load a model folder over HTTP (fetch stubbed with files),
// or a tiny random Llama in test mode, train LoRA on the attention projections, and export a PEFT adapter.
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseModelConfig } from '../engine/model-config';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { defaultTrainConfig } from '../engine/defaults';
import type { ModelSource, WorkerEvent } from './protocol';
import { TrainSession } from './session';
import { startExamples } from './test-start';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

/** fetch over an in-memory folder served at /m/. */
function serve(files: Map<string, Uint8Array>): void {
  vi.stubGlobal('fetch', async (url: string) => {
    const bytes = files.get(url.replace(/^\/m\//, ''));
    return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
  });
}

async function session(source: ModelSource): Promise<{ s: TrainSession; events: WorkerEvent[] }> {
  const events: WorkerEvent[] = [];
  const s = new TrainSession((e) => events.push(e));
  await s.handle({ type: 'load', model: source, backend: 'cpu', allowFallbackAdapter: true });
  return { s, events };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

describe('TrainSession with Llama-family models', () => {
  const demoTokenizer = new Map(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(DEMO, f)))]));

  it.each<[string, () => ModelSource]>([
    ['a qwen2 folder over HTTP', () => {
      const raw = tinyRawConfig('qwen2', { vocab_size: 4096, bos_token_id: 4095, eos_token_id: 4095 });
      const files = checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 1, 0.02), { shards: 2, tokenizer: { json: demoTokenizer.get('tokenizer.json')!, config: demoTokenizer.get('tokenizer_config.json')! } });
      serve(files);
      return { kind: 'url', name: 'tiny-qwen2', baseUrl: '/m/' };
    }],
    ['a tiny random Llama (test mode)', () => {
      serve(demoTokenizer);
      return { kind: 'tiny-random', name: 'tiny-random-llama', tokenizerUrl: '/m/', seed: 0, family: 'llama' };
    }],
  ])('loads %s, trains LoRA on q/k/v/o and exports a PEFT adapter', async (_name, make) => {
    const { s, events } = await session(make());
    const ready = events.find((e) => e.type === 'ready');
    if (ready?.type !== 'ready') throw new Error(JSON.stringify(events.at(-1)));
    expect(ready.model.loraTargets?.presets.attention).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
    expect(ready.model.maxPositions).toBeGreaterThan(0);
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, lora: { ...base.lora, targetModules: ready.model.loraTargets!.presets.attention } };
    const train = [{ prompt: 'Say hi: ', completion: 'hi' }, { prompt: 'Say yes: ', completion: 'yes' }];
    await s.handle(await startExamples(train, [], config));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(2);
    await s.handle({ type: 'export' });
    const exported = events.find((e) => e.type === 'exported');
    if (exported?.type !== 'exported') throw new Error(JSON.stringify(events.at(-1)));
    const files = unzipSync(new Uint8Array(exported.bytes));
    const cfgName = Object.keys(files).find((f) => f.endsWith('adapter_config.json'))!;
    expect(JSON.parse(strFromU8(files[cfgName]))).toMatchObject({ fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
  });
});
