// The worker session's run persistence: checkpoint events every checkpointEvery steps and at the end carry the
// train state; a new session started with the step-4 checkpoint's files continues to the weights an uninterrupted
// 6-step session ends with, and so does the checkpoint a Stop writes (stop and save); checkpoint files of other
// settings are refused.
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readResumeState } from '../cli/train-run-state';
import { defaultTrainConfig } from '../engine/defaults';
import { checkpointZip } from '../runs/checkpoint-zip';
import type { WorkerEvent } from './protocol';
import { stateFromFiles } from './run-checkpoints';
import { TrainSession } from './session';
import { startExamples } from './test-start';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

async function session(hook?: (e: WorkerEvent, s: TrainSession) => void): Promise<{ s: TrainSession; events: WorkerEvent[] }> {
  const files = new Map(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(DEMO, f)))]));
  vi.stubGlobal('fetch', async (url: string) => {
    const bytes = files.get(url.replace(/^\/m\//, ''));
    return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
  });
  const events: WorkerEvent[] = [];
  const s: TrainSession = new TrainSession((e) => {
    events.push(e);
    hook?.(e, s);
  });
  await s.handle({ type: 'load', model: { kind: 'tiny-random', name: 'tiny', tokenizerUrl: '/m/', seed: 0 }, backend: 'cpu', allowFallbackAdapter: true });
  return { s, events };
}

const train = ['Say hi: hi', 'Say yes: yes', 'Count: one two', 'Colour: blue'].map((t, i) => ({ prompt: t.slice(0, 5), completion: t.slice(5) + i }));
const base = defaultTrainConfig('lora');
const config = { ...base, steps: 6, batchSize: 2, seqLen: 32, evalEvery: 0, warmupSteps: 2, checkpointEvery: 2, lora: { ...base.lora, dropout: 0.1 } };

describe('TrainSession checkpoints', () => {
  it('posts checkpoints and resumes from one to the weights of an uninterrupted run', async () => {
    const straight = await session();
    await straight.s.handle(await startExamples(train, [], config));
    const cks = straight.events.filter((e) => e.type === 'checkpoint');
    expect(cks.map((e) => e.step)).toEqual([2, 4, 6]);
    const at4 = cks[1];
    const last = cks[2];
    if (at4?.type !== 'checkpoint' || last?.type !== 'checkpoint') throw new Error('no checkpoint');
    expect(stateFromFiles(at4.files).meta.step).toBe(4);

    const resumed = await session();
    await resumed.s.handle(await startExamples(train, [], config, { resumeFiles: at4.files }));
    expect(resumed.events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.metrics.step)).toEqual([5, 6]);
    const end = resumed.events.filter((e) => e.type === 'checkpoint').at(-1);
    if (end?.type !== 'checkpoint') throw new Error('no final checkpoint');
    const [a, b] = [stateFromFiles(last.files), stateFromFiles(end.files)];
    a.params.forEach((p, i) => p.data.forEach((v, j) => expect(Math.abs(v - b.params[i].data[j])).toBeLessThanOrEqual(1e-6)));
    expect(resumed.events.at(-1)).toMatchObject({ type: 'done', steps: 6 });

    // Stop and save: stopped at step 3 (no autosave there), the stop's own checkpoint resumes to the same weights.
    const stopped = await session((e, s) => {
      if (e.type === 'step' && e.metrics.step === 3) void s.handle({ type: 'stop' });
    });
    await stopped.s.handle(await startExamples(train, [], config));
    const saved = stopped.events.filter((e) => e.type === 'checkpoint').at(-1);
    if (saved?.type !== 'checkpoint') throw new Error('no checkpoint at the stop');
    expect(saved.step).toBe(3);
    expect(stopped.events.at(-1)).toMatchObject({ type: 'done', steps: 3, stopped: true });
    // Its download (Export, Runs) unzips to the folder `cli train --resume` reads.
    const zip = checkpointZip('my run', { step: 3, files: Object.fromEntries(Object.entries(saved.files).map(([k, b]) => [k, new Uint8Array(b)])) });
    expect(zip.fileName).toBe('my-run-checkpoint-step-3.zip');
    const dir = mkdtempSync(join(tmpdir(), 'webtune-ck-'));
    for (const [path, bytes] of Object.entries(unzipSync(new Uint8Array(zip.bytes)))) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    }
    expect(readResumeState({ resume: join(dir, 'my-run-checkpoint-step-3') })?.meta.step).toBe(3);
    const again = await session();
    await again.s.handle(await startExamples(train, [], config, { resumeFiles: saved.files }));
    const fin = again.events.filter((e) => e.type === 'checkpoint').at(-1);
    if (fin?.type !== 'checkpoint') throw new Error('no final checkpoint');
    const c = stateFromFiles(fin.files);
    expect(c.meta.step).toBe(6);
    a.params.forEach((p, i) => p.data.forEach((v, j) => expect(Math.abs(v - c.params[i].data[j])).toBeLessThanOrEqual(1e-6)));
  });

  it('refuses checkpoint files of other settings with the reason', async () => {
    const a = await session();
    await a.s.handle(await startExamples(train, [], { ...config, steps: 2 }));
    const ck = a.events.find((e) => e.type === 'checkpoint');
    if (ck?.type !== 'checkpoint') throw new Error('no checkpoint');
    const b = await session();
    await b.s.handle(await startExamples(train, [], { ...config, lr: 0.5 }, { resumeFiles: ck.files }));
    expect(b.events.at(-1)).toMatchObject({ type: 'error', during: 'train', message: expect.stringMatching(/lr was/) });
  });
});
