// Store tests over a fake worker: the Start flow (load, then start), step batching, pause/stop,
// export, crash recovery, and the data and settings actions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { CRASH_SUFFIX } from '../train-worker/client';
import { FakeDataClient, FakeWorker, ManualScheduler, stepEvent, tick } from './test-helpers';
import { createStudioStore, selectCanExport, selectStartBlocker, type StudioStoreOptions } from './studio-store';

const JSONL = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, completion: ` A${i}.` })).join('\n');

const READY = {
  type: 'ready' as const,
  backend: 'webgpu',
  adapter: 'SwiftShader (software)',
  model: { name: 'tiny-random', params: 4_300_000, config: { n_positions: 128 } },
};

function setup(search: Record<string, string> = { test: '1', steps: '10' }, extra: Partial<StudioStoreOptions> = {}) {
  const workers: FakeWorker[] = [];
  const saved: { name: string; size: number }[] = [];
  const scheduler = new ManualScheduler();
  const dataClient = new FakeDataClient();
  const store = createStudioStore({
    settings: settingsFromSearchParams(search),
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    saveFile: (name, bytes) => saved.push({ name, size: bytes.byteLength }),
    schedule: scheduler.schedule,
    dataClient,
    dataDebounceMs: 0,
    ...extra,
  });
  const worker = () => workers[workers.length - 1];
  const a = () => store.getState().actions;
  return { store, workers, worker, saved, scheduler, a, dataClient };
}

async function withData(t: ReturnType<typeof setup>) {
  await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
  await tick(); // the debounced report
  expect(t.store.getState().data.status).toBe('ready');
  expect(t.store.getState().data.report).not.toBeNull();
}

/** Start, answer the load, answer the start: a run in progress. */
async function running(t: ReturnType<typeof setup>) {
  await withData(t);
  t.a().start();
  await tick(); // the data worker encodes
  t.worker().emit(READY);
  t.worker().emit({ type: 'started', totalSteps: 10, trainableParams: 1234, trainExamples: 18, validationExamples: 2, truncated: 0, droppedNoLoss: 0 });
}

describe('studio store: settings', () => {
  it('test mode picks tiny-random, allows fallback adapters and applies URL overrides', () => {
    const { store } = setup({ test: '1', steps: '30', batch: '2', seqLen: '32' });
    const s = store.getState();
    expect(s.modelName).toBe('tiny-random');
    expect(s.modelOptions.map((o) => o.name)).toEqual(['tiny-random', 'webtune-demo']);
    expect(s.allowFallbackAdapter).toBe(true);
    expect(s.config).toMatchObject({ steps: 30, batchSize: 2, seqLen: 32, lr: 2e-3, method: 'lora' });
  });

  it('normal mode offers only the demo model and ignores overrides', () => {
    const { store } = setup({ steps: '30' });
    const s = store.getState();
    expect(s.modelOptions.map((o) => o.name)).toEqual(['webtune-demo']);
    expect(s.allowFallbackAdapter).toBe(false);
    expect(s.config?.steps).toBe(200);
  });

  it('an invalid field blocks Start with an inline message', async () => {
    const t = setup();
    await withData(t);
    expect(selectStartBlocker(t.store.getState())).toBeNull();
    t.a().setField('lr', 'abc');
    expect(t.store.getState().configErrors.lr).toMatch(/number/);
    expect(t.store.getState().config).toBeNull();
    expect(selectStartBlocker(t.store.getState())).toMatch(/settings/);
    t.a().start();
    expect(t.workers).toHaveLength(0);
  });

  it('after the model is ready, a sequence longer than its context is an error', () => {
    const t = setup();
    t.a().loadModel();
    t.worker().emit(READY);
    t.a().setField('seqLen', '256');
    expect(t.store.getState().configErrors.seqLen).toMatch(/at most 128/);
  });
});

describe('studio store: data', () => {
  it('reads a file in the data worker and asks it for the seeded split', async () => {
    const t = setup();
    await withData(t);
    const d = t.store.getState().data;
    expect(d.summary).toMatchObject({ fileName: 'qa.jsonl', total: 20, valid: 20 });
    expect(d.report?.split).toMatchObject({ train: 18, validation: 2 });
    expect(t.dataClient.lastSettings).toMatchObject({ tokenizerUrl: '/models/webtune-demo/', seqLen: 128, split: { validation: 0.1, seed: 42 } });
    t.a().setValidationPercent(25);
    await tick();
    expect(t.store.getState().data.report?.split).toMatchObject({ train: 15, validation: 5 });
    t.a().setValidationPercent(90); // clamped to 50
    expect(t.store.getState().data.choices.validationPercent).toBe(50);
    t.a().setField('seqLen', '64');
    await tick();
    expect(t.dataClient.lastSettings?.seqLen).toBe(64);
  });

  it('rejects other file types and reports unreadable files', async () => {
    const t = setup();
    await t.a().loadFile(new File(['a,b'], 'x.xlsx'));
    expect(t.store.getState().data).toMatchObject({ status: 'error', summary: null });
    expect(t.store.getState().data.error).toMatch(/x\.xlsx/);
    await t.a().loadFile(new File([''], 'empty.jsonl'));
    expect(t.store.getState().data.error).toMatch(/empty\.jsonl.*empty/);
  });

  it('records with issues block Start until the person excludes them', async () => {
    const t = setup(undefined, { dataClient: new FakeDataClient([{ line: 3, class: 'not_object', reason: 'not a JSON object' }]) });
    await withData(t);
    expect(selectStartBlocker(t.store.getState())).toMatch(/1 records have problems: exclude them/);
    t.a().setExcluded(true);
    expect(selectStartBlocker(t.store.getState())).toBeNull();
  });

  it("a dataset_info.json entry sets the shape and columns and re-reads the file that way", async () => {
    const t = setup();
    await withData(t);
    const info = readFileSync(path.resolve(import.meta.dirname, '../../../shared/data/dataset_info.json'));
    await t.a().loadDatasetInfo(new File([info], 'dataset_info.json'));
    expect(t.store.getState().data.datasetInfo.entries.map((e) => e.name)).toContain('alpaca_en_demo');
    t.a().chooseInfoEntry('dpo_en_demo');
    await tick();
    expect(t.dataClient.calls.filter((c) => c === 'parse')).toHaveLength(2);
    expect(t.dataClient.lastParseOptions).toMatchObject({ shape: 'preference', mapping: { messages: 'conversations', chosen: 'chosen', rejected: 'rejected' }, tags: { roleTag: 'from' } });
    t.a().setMappingText('prompt=question, completion=answer');
    await tick();
    expect(t.dataClient.lastParseOptions).toMatchObject({ mapping: { prompt: 'question', completion: 'answer' } });
    expect(t.store.getState().data.choices.infoEntry).toBeNull();
    t.a().setMappingText('question');
    expect(t.store.getState().data.mappingError).toMatch(/field=column/);
  });

  it('fetches the sample list and a sample', async () => {
    const index = [{ file: 'qa.jsonl', title: 'QA', description: 'd', format: 'prompt-completion', records: 20 }];
    const fetchFake = async (url: string) =>
      url === '/samples/index.json' ? new Response(JSON.stringify(index)) : url === '/samples/qa.jsonl' ? new Response(JSONL) : new Response('', { status: 404 });
    const t = setup(undefined, { fetch: fetchFake });
    await t.a().loadSampleIndex();
    expect(t.store.getState().samples.entries).toEqual(index);
    await t.a().loadSample('qa.jsonl');
    expect(t.store.getState().data.summary?.fileName).toBe('qa.jsonl');
    await t.a().loadSample('missing.jsonl');
    expect(t.store.getState().data.error).toMatch(/404/);
  });
});

describe('studio store: a run', () => {
  it('loads the model first, then starts with the seeded split', async () => {
    const t = setup();
    await withData(t);
    t.a().start();
    expect(t.store.getState().run.status).toBe('loading');
    expect(t.worker().types()).toEqual(['load']);
    expect(t.worker().posted[0]).toMatchObject({ model: { kind: 'tiny-random' }, backend: 'auto', allowFallbackAdapter: true });
    t.worker().emit({ type: 'progress', stage: 'Downloading weights', loaded: 1, total: 2 });
    expect(t.store.getState().model.progress).toMatchObject({ loaded: 1, total: 2 });
    await tick();
    t.worker().emit(READY);
    expect(t.worker().types()).toEqual(['load', 'start-examples']);
    const start = t.worker().posted[1];
    if (start.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start.train).toHaveLength(18);
    expect(start.validation).toHaveLength(2);
    expect(start.config.steps).toBe(10);
    expect(start.config.packing).toBe(false);
    expect(start.dataFile).toBe('qa.jsonl');
    expect(t.store.getState().model).toMatchObject({ status: 'ready', backend: 'webgpu', adapter: 'SwiftShader (software)' });
  });

  it('an encoding failure in the data worker ends the queued run with the reason', async () => {
    const failing = new FakeDataClient();
    failing.encode = async () => {
      throw new Error('No training example keeps a token to learn at 8 tokens');
    };
    const t = setup(undefined, { dataClient: failing });
    await withData(t);
    t.a().start();
    await tick();
    t.worker().emit(READY);
    expect(t.worker().types()).toEqual(['load']);
    expect(t.store.getState().run).toMatchObject({ status: 'error', error: expect.stringMatching(/could not encode the data: No training example/) });
  });

  it('stop while the data worker encodes drops the start', async () => {
    const t = setup();
    await withData(t);
    t.a().start();
    t.a().stop();
    await tick();
    t.worker().emit(READY);
    expect(t.worker().types()).toEqual(['load']);
    expect(t.store.getState().run.status).toBe('stopped');
  });

  it('asks for the end-of-run report with the test split, and shows it, the checkpoint step and the forgetting meter', async () => {
    const t = setup({ test: '1', steps: '10', report: '1' });
    await withData(t);
    t.a().setTestPercent(20);
    await tick();
    t.a().start();
    await tick();
    t.worker().emit(READY);
    const start = t.worker().posted[1];
    if (start.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start).toMatchObject({ report: true, instruction: true });
    expect(start.test).toHaveLength(4);
    t.worker().emit({ type: 'checkpoint', step: 5, files: {} });
    expect(t.store.getState().run.checkpointStep).toBe(5);
    t.worker().emit({ type: 'report', evaluating: 'test split (4 examples)' });
    expect(t.store.getState().run.report.evaluating).toBe('test split (4 examples)');
    t.worker().emit({ type: 'report', forgetting: { before: 10, after: 12, change: 0.2, level: 'noticeable', verdict: 'Noticeable forgetting', replayShare: 0 } });
    t.worker().emit({ type: 'report', test: { loss: 1, perplexity: Math.E, accuracy: 0.5, tokens: 20, examples: 4, exactMatch: 0.25 } });
    t.worker().emit({ type: 'done', steps: 10, firstLoss: 3, lastLoss: 2, stopped: false });
    expect(t.store.getState().run.report).toMatchObject({ evaluating: null, forgetting: { change: 0.2 }, test: { exactMatch: 0.25 } });
    // Test mode without ?report=1 asks for none (test runs stay fast).
    const quiet = setup();
    await withData(quiet);
    quiet.a().start();
    await tick();
    quiet.worker().emit(READY);
    expect(quiet.worker().posted[1]).not.toHaveProperty('report');
  });

  it('skips the load when the same model is already loaded', async () => {
    const t = setup();
    await running(t);
    t.worker().emit({ type: 'done', steps: 10, firstLoss: 3, lastLoss: 2, stopped: false });
    t.a().start();
    await tick();
    expect(t.worker().types()).toEqual(['load', 'start-examples', 'start-examples']);
    t.a().setBackend('cpu'); // another backend needs a new load
    t.worker().emit({ type: 'done', steps: 10, firstLoss: 3, lastLoss: 2, stopped: false });
    t.a().start();
    await tick();
    expect(t.worker().types()).toEqual(['load', 'start-examples', 'start-examples', 'load']);
  });

  it('batches step events into one update per frame and smooths them', async () => {
    const t = setup();
    await running(t);
    let updates = 0;
    const unsub = t.store.subscribe(() => updates++);
    for (let i = 1; i <= 5; i++) t.worker().emit(stepEvent(i, 4 - i * 0.1));
    expect(t.store.getState().run.points).toHaveLength(0);
    expect(t.scheduler.pending).toBe(1);
    t.scheduler.run();
    unsub();
    expect(updates).toBe(1);
    const run = t.store.getState().run;
    expect(run.points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(run.points[0].smoothed).toBeCloseTo(3.9, 10);
    expect(run.last?.step).toBe(5);
  });

  it('flushes pending steps before eval and done, keeping order', async () => {
    const t = setup();
    await running(t);
    t.worker().emit(stepEvent(1, 3));
    t.worker().emit(stepEvent(2, 2.5));
    t.worker().emit({ type: 'eval', step: 2, valLoss: 2.7, perplexity: Math.exp(2.7) });
    t.worker().emit(stepEvent(3, 2.2));
    t.worker().emit({ type: 'done', steps: 3, firstLoss: 3, lastLoss: 2.2, stopped: false });
    const run = t.store.getState().run;
    expect(run.points).toHaveLength(3);
    expect(run.evals).toEqual([{ step: 2, valLoss: 2.7, perplexity: Math.exp(2.7) }]);
    expect(run.status).toBe('done');
    expect(t.scheduler.pending).toBe(0);
  });

  it('pauses, resumes and stops through worker answers', async () => {
    const t = setup();
    await running(t);
    t.a().pause();
    expect(t.worker().types().at(-1)).toBe('pause');
    expect(t.store.getState().run.status).toBe('running'); // until the worker says so
    t.worker().emit({ type: 'state', state: 'paused' });
    expect(t.store.getState().run.status).toBe('paused');
    expect(selectCanExport(t.store.getState())).toBe(false); // no steps yet
    t.worker().emit(stepEvent(1, 3));
    t.scheduler.run();
    expect(selectCanExport(t.store.getState())).toBe(true);
    t.a().resume();
    t.worker().emit({ type: 'state', state: 'running' });
    t.a().stop();
    expect(t.worker().types().at(-1)).toBe('stop');
    t.worker().emit({ type: 'done', steps: 1, firstLoss: 3, lastLoss: 3, stopped: true });
    expect(t.store.getState().run.status).toBe('stopped');
    expect(selectCanExport(t.store.getState())).toBe(true);
  });

  it('exports and saves the bytes under the given name', async () => {
    const t = setup();
    await running(t);
    t.worker().emit(stepEvent(1, 3));
    t.worker().emit({ type: 'done', steps: 1, firstLoss: 3, lastLoss: 3, stopped: false });
    t.a().exportModel();
    expect(t.store.getState().exporting.status).toBe('exporting');
    expect(t.worker().types().at(-1)).toBe('export');
    t.worker().emit({ type: 'exported', fileName: 'adapter.zip', bytes: new ArrayBuffer(42), files: ['adapter_config.json', 'adapter_model.safetensors'] });
    expect(t.saved).toEqual([{ name: 'adapter.zip', size: 42 }]);
    expect(t.store.getState().exporting).toMatchObject({ status: 'done', fileName: 'adapter.zip', size: 42, files: ['adapter_config.json', 'adapter_model.safetensors'] });
    t.a().saveExportAgain();
    expect(t.saved).toHaveLength(2);
  });

  it('a worker error during training keeps the curve', async () => {
    const t = setup();
    await running(t);
    t.worker().emit(stepEvent(1, 3));
    t.worker().emit({ type: 'error', during: 'train', message: 'out of memory' });
    expect(t.store.getState().run).toMatchObject({ status: 'error', error: 'out of memory' });
    expect(t.store.getState().run.points).toHaveLength(1);
    expect(selectCanExport(t.store.getState())).toBe(true); // the worker still lives
  });

  it('stop before the run has started is sent again once it starts', async () => {
    const t = setup();
    await withData(t);
    t.a().start();
    await tick();
    t.worker().emit(READY);
    t.a().stop();
    t.worker().emit({ type: 'started', totalSteps: 10, trainableParams: 1, trainExamples: 18, validationExamples: 2, truncated: 0, droppedNoLoss: 0 });
    expect(t.worker().types()).toEqual(['load', 'start-examples', 'stop', 'stop']);
  });

  it('stop while the model loads drops the queued start', async () => {
    const t = setup();
    await withData(t);
    t.a().start();
    t.a().stop();
    expect(t.store.getState().run.status).toBe('stopped');
    t.worker().emit(READY);
    expect(t.worker().types()).toEqual(['load']);
  });

  it('a failed load cancels the queued start and shows in both places', async () => {
    const t = setup();
    await withData(t);
    t.a().start();
    t.worker().emit({ type: 'error', during: 'load', message: 'no WebGPU adapter' });
    const s = t.store.getState();
    expect(s.model).toMatchObject({ status: 'error', error: 'no WebGPU adapter' });
    expect(s.run.status).toBe('error');
    expect(s.run.error).toMatch(/no WebGPU adapter/);
    t.worker().emit(READY); // a late ready must not start anything
    expect(t.worker().types()).toEqual(['load']);
  });

  it('survives a crash: chart kept, clear message, a fresh worker on the next Start', async () => {
    const t = setup();
    await running(t);
    t.worker().emit(stepEvent(1, 3));
    t.worker().emit(stepEvent(2, 2.8));
    t.worker().crash('Uncaught RangeError: bad');
    const s = t.store.getState();
    expect(t.workers[0].terminated).toBe(true);
    expect(s.run.status).toBe('error');
    expect(s.run.error).toBe(`The training worker crashed: Uncaught RangeError: bad. ${CRASH_SUFFIX}`);
    expect(s.run.points).toHaveLength(2);
    expect(s.workerAlive).toBe(false);
    expect(s.model.status).toBe('idle');
    expect(selectCanExport(s)).toBe(false);
    expect(s.data.summary?.valid).toBe(20);
    expect(s.config?.steps).toBe(10);
    t.a().start();
    expect(t.workers).toHaveLength(2);
    expect(t.worker().types()).toEqual(['load']);
    expect(t.store.getState().run.points).toHaveLength(0);
  });

  it('treats an unreadable message as a crash', async () => {
    const t = setup();
    await running(t);
    t.worker().emitRaw(42);
    expect(t.store.getState().run.error).toMatch(/^The training worker crashed: .*Press|press Start/);
  });

  it('loading another model makes the finished run unexportable', async () => {
    const t = setup();
    await running(t);
    t.worker().emit(stepEvent(1, 3));
    t.worker().emit({ type: 'done', steps: 1, firstLoss: 3, lastLoss: 3, stopped: false });
    t.a().selectModel('webtune-demo');
    t.a().loadModel();
    expect(t.worker().posted.at(-1)).toMatchObject({ type: 'load', model: { kind: 'url', baseUrl: '/models/webtune-demo/' } });
    expect(selectCanExport(t.store.getState())).toBe(false);
    expect(t.store.getState().run.points).toHaveLength(1);
  });
});

describe('studio store: packing', () => {
  it('the Data step switch reaches the run config', async () => {
    const t = setup();
    await withData(t);
    t.a().setPacking(true);
    t.a().start();
    await tick();
    t.worker().emit(READY);
    const start = t.worker().posted[1];
    if (start.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start.config.packing).toBe(true);
  });
});

describe('studio store: gradient checkpointing', () => {
  const started = async (choose: (t: ReturnType<typeof setup>) => void) => {
    const t = setup();
    await withData(t);
    choose(t);
    t.a().start();
    await tick();
    t.worker().emit(READY);
    const start = t.worker().posted[1];
    if (start.type !== 'start-examples') throw new Error('expected start-examples');
    return start.config.checkpointing;
  };

  it('auto sends what the memory plan decided (off when it fits); on and off are sent as chosen', async () => {
    expect(await started(() => {})).toBe(false);
    expect(await started((t) => t.a().setCheckpointing('on'))).toBe(true);
    expect(await started((t) => t.a().setCheckpointing('off'))).toBe(false);
  });
});
