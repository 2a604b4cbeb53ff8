// Out of memory during a step: the engines' real allocation errors are recognised (and ordinary errors are not),
// the message carries the run's memory plan (the planner's own figures) and only changes that lower it, and a
// TrainSession whose step fails to allocate posts that message with its cause.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { formatBytes, planMemory, planModelFor } from '../engine/memory-plan';
import { planRequestFor } from '../engine/run-plan';
import { Trainer } from '../engine/trainer';
import { isAllocationFailure, outOfMemoryMessage } from './faults';
import type { WorkerEvent } from './protocol';
import { TrainSession, tinyRandomConfig } from './session';
import { startExamples } from './test-start';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.restoreAllMocks());

describe('allocation failures', () => {
  it('recognises what V8 and WebAssembly throw when memory runs out, and nothing else', () => {
    expect(isAllocationFailure(caught(() => new ArrayBuffer(2 ** 40)))).toBe(true);
    expect(isAllocationFailure(caught(() => new Float32Array(2 ** 33)))).toBe(true);
    expect(isAllocationFailure(caught(() => new WebAssembly.Memory({ initial: 1, maximum: 2 }).grow(5)))).toBe(true);
    expect(isAllocationFailure(new Error('Sequence length 200 is longer than this model\'s 128 positions'))).toBe(false);
    expect(isAllocationFailure(new TypeError('Cannot read properties of undefined'))).toBe(false);
  });

  it('the message gives the plan of these settings and only changes that lower it', () => {
    const model = tinyRandomConfig(50257, 0); // GPT-2's vocabulary: full fine-tuning's gradients and moments outweigh LoRA's activations
    const train = { ...defaultTrainConfig('full'), batchSize: 8, seqLen: 64 };
    const plan = planMemory(planModelFor(model), planRequestFor(model, train), { budgetBytes: 2 ** 50 });
    const text = outOfMemoryMessage('Array buffer allocation failed', 7, model, train);
    expect(text).toMatch(/^Step 7 ran out of memory \(Array buffer allocation failed\)\. /);
    expect(text).toContain(`(batch 8, sequence 64, checkpointing off, Full fine-tuning) is ${formatBytes(plan.total)}: weights ${formatBytes(plan.weights)}, gradients ${formatBytes(plan.gradients)}, optimizer ${formatBytes(plan.optimizer)}, activations ${formatBytes(plan.activations)}`);
    const changes = text.slice(text.indexOf('one of: ') + 8).split('; ');
    expect(changes.map((c) => c.replace(/ \(.*$/, ''))).toEqual(['gradient checkpointing', 'batch 4', 'sequence 32', 'LoRA instead of full']);
    for (const c of changes) {
      const [, n, unit] = c.match(/\(([\d.]+) (B|KiB|MiB|GiB)\)/)!;
      const bytes = Number(n) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[unit as 'B'];
      expect(bytes).toBeLessThan(plan.total);
    }
  });
});

describe('TrainSession: a step that cannot allocate', () => {
  it('posts the out-of-memory message with its cause', async () => {
    const files = new Map(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(DEMO, f)))]));
    vi.stubGlobal('fetch', async (url: string) => new Response(new Uint8Array(files.get(url.replace(/^\/m\//, ''))!)));
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    await s.handle({ type: 'load', model: { kind: 'tiny-random', name: 'tiny', tokenizerUrl: '/m/', seed: 0 }, backend: 'cpu', allowFallbackAdapter: true });
    // The engine's real error, thrown where a step would allocate.
    const failure = caught(() => new ArrayBuffer(2 ** 40));
    vi.spyOn(Trainer.prototype, 'run').mockRejectedValueOnce(failure);
    const config = { ...defaultTrainConfig('lora'), steps: 2, batchSize: 2, seqLen: 32 };
    await s.handle(await startExamples([{ prompt: 'Say hi:', completion: ' hi' }], [], config));
    vi.unstubAllGlobals();
    const error = events.at(-1);
    expect(error).toMatchObject({ type: 'error', during: 'train', cause: 'out-of-memory' });
    expect(error?.type === 'error' && error.message).toMatch(/^Step 1 ran out of memory \(Array buffer allocation failed\)\. The memory plan for these settings \(batch 2, sequence 32, checkpointing off, LoRA\) is /);
  });
});
