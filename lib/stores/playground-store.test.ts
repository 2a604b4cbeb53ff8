// Store tests over a fake worker for the several-runs shape and the playground: runs kept by id with an active
// run, errors attributed to the job that caused them (issue 14: a malformed request while training is a training
// error, not a load error), and the playground's requests and streamed answers.
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { FakeDataClient, FakeWorker, ManualScheduler, tick } from './test-helpers';
import { createStudioStore } from './studio-store';
import { BASE_KEY } from './playground-reducer';

const JSONL = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, completion: ` A${i}.` })).join('\n');
const READY = { type: 'ready' as const, backend: 'cpu', adapter: 'none', model: { name: 'tiny-random', params: 10, config: { n_positions: 128 } } };

function setup() {
  const workers: FakeWorker[] = [];
  const dataClient = new FakeDataClient();
  const store = createStudioStore({
    settings: settingsFromSearchParams({ test: '1', steps: '10' }),
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    saveFile: () => {},
    schedule: new ManualScheduler().schedule,
    dataClient,
    dataDebounceMs: 0,
    recorder: null,
  });
  const worker = () => workers[workers.length - 1];
  const a = () => store.getState().actions;
  const last = () => worker().posted.at(-1)!;
  return { store, worker, a, last, dataClient };
}

async function running(t: ReturnType<typeof setup>) {
  await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
  await tick();
  t.a().start();
  await tick();
  t.worker().emit(READY);
  t.worker().emit({ type: 'started', totalSteps: 10, trainableParams: 1, trainExamples: 16, validationExamples: 2, truncated: 0, droppedNoLoss: 0 });
}

describe('studio store: job attribution', () => {
  it('a malformed-request error while training is the run\'s error; the model stays ready', async () => {
    const t = setup();
    await running(t);
    expect(t.worker().types()).toEqual(['load', 'start-examples']);
    t.worker().emit({ type: 'error', during: 'message', message: 'The worker got a malformed request: bad' });
    const s = t.store.getState();
    expect(s.run).toMatchObject({ status: 'error', error: 'The worker got a malformed request: bad' });
    expect(s.model.status).toBe('ready');
  });

  it('a malformed-request error while loading is the load\'s error', async () => {
    const t = setup();
    t.a().loadModel();
    t.worker().emit({ type: 'error', during: 'message', message: 'bad load' });
    expect(t.store.getState().model).toMatchObject({ status: 'error', error: 'bad load' });
    expect(t.store.getState().run.status).toBe('idle');
  });

  it('a malformed playground request is the playground\'s error', async () => {
    const t = setup();
    t.a().loadModel();
    t.worker().emit(READY);
    t.a().generate();
    t.worker().emit({ type: 'error', during: 'message', message: 'bad generate' });
    const s = t.store.getState();
    expect(s.playground).toMatchObject({ status: 'idle', error: 'bad generate' });
    expect(s.model.status).toBe('ready');
    expect(s.run.status).toBe('idle');
  });
});

describe('studio store: runs by id', () => {
  it('keeps every run under its id, the active one mirrored, and tells the worker the id', async () => {
    const t = setup();
    await running(t);
    const first = t.store.getState().activeRunId!;
    const start = t.worker().posted.find((m) => m.type === 'start-examples');
    expect(start?.type === 'start-examples' && start.runId).toBe(first);
    expect(start && 'test' in start).toBe(false); // the test split stays on the page
    t.worker().emit({ type: 'done', steps: 10, firstLoss: 3, lastLoss: 2, stopped: false });
    expect(t.store.getState().runs[first]).toBe(t.store.getState().run);
    t.a().start();
    await tick();
    const second = t.store.getState().activeRunId!;
    expect(second).not.toBe(first);
    expect(t.store.getState().runs[first].status).toBe('done');
    expect(t.store.getState().runs[second].status).toBe('loading');
  });
});

describe('studio store: playground', () => {
  const adapter = { id: 'run-1', name: 'tiny (lora)', method: 'lora', trainableParams: 64 };

  async function ready() {
    const t = setup();
    t.a().loadModel();
    t.worker().emit(READY);
    return t;
  }

  it('generates for the base and the chosen adapters with one set of settings, streaming tokens', async () => {
    const t = await ready();
    t.worker().emit({ type: 'adapter-loaded', adapter });
    t.a().setPrompt('Once');
    t.a().setGreedy(false);
    t.a().setSamplingField('seed', '7');
    t.a().setStopText('\\n\\n\nEND');
    t.a().generate();
    const req = t.last();
    expect(req).toMatchObject({ type: 'generate', prompt: 'Once', targets: [{ key: BASE_KEY, adapter: null }, { key: 'run-1', adapter: 'run-1' }] });
    expect(req.type === 'generate' && req.sampling).toEqual({ maxNewTokens: 48, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, seed: 7, stop: ['\n\n', 'END'] });
    expect(t.store.getState().playground.status).toBe('generating');
    t.worker().emit({ type: 'token', id: 1, key: BASE_KEY, token: 5, text: ' a' });
    t.worker().emit({ type: 'token', id: 1, key: BASE_KEY, token: 6, text: ' ab' });
    expect(t.store.getState().playground.outputs[BASE_KEY]).toMatchObject({ text: ' ab', tokens: 2, streaming: true });
    t.worker().emit({ type: 'generated', id: 1, key: BASE_KEY, text: ' ab', ids: [5, 6], reason: 'eos', promptTokens: 1 });
    t.worker().emit({ type: 'token', id: 1, key: 'run-1', token: 9, text: ' z' });
    t.a().cancelPlay();
    expect(t.last()).toEqual({ type: 'cancel-play' });
    t.worker().emit({ type: 'play-done', request: 'generate', cancelled: true });
    const p = t.store.getState().playground;
    expect(p.status).toBe('idle');
    expect(p.outputs[BASE_KEY]).toMatchObject({ reason: 'eos', streaming: false });
    expect(p.outputs['run-1']).toMatchObject({ text: ' z', streaming: false, reason: null });
  });

  it('adds the few-shot base as a target with training examples from the Data step', async () => {
    const t = await ready();
    await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
    await tick();
    t.a().setFewShotOutput(true);
    t.a().setShots('2');
    await t.a().generate();
    const req = t.last();
    if (req.type !== 'generate') throw new Error(req.type);
    expect(req.targets.map((x) => [x.key, x.adapter, x.fewShot?.shots])).toEqual([[BASE_KEY, null, undefined], ['few-shot', null, 2]]);
    expect(req.targets[1].fewShot?.train).toHaveLength(18); // the training split (20 records, 10% validation)
    expect(Object.keys(t.store.getState().playground.outputs)).toEqual([BASE_KEY, 'few-shot']);
  });

  it('refuses to generate before a model is loaded, and with a bad setting', async () => {
    const t = setup();
    t.a().generate();
    expect(t.store.getState().playground.error).toMatch(/Load a model/);
    const r = await ready();
    r.a().setSamplingField('maxNewTokens', '2.5');
    r.a().generate();
    expect(r.store.getState().playground.error).toMatch(/sampling settings/);
    expect(r.worker().types()).toEqual(['load']);
  });

  it('sends an adapter zip to the worker and shows a refusal in plain words', async () => {
    const t = await ready();
    await t.a().loadAdapterFiles([new File([new Uint8Array([1, 2, 3])], 'my-adapter.zip')]);
    const req = t.last();
    expect(req.type === 'load-adapter' && [req.name, Object.keys(req.files)]).toEqual(['my-adapter', ['my-adapter.zip']]);
    t.worker().emit({ type: 'adapter-refused', id: 'file-1', name: 'my-adapter', message: 'This adapter does not fit tiny-random: …', problems: ['module h.0.attn.c_attn is not in this model'] });
    t.worker().emit({ type: 'play-done', request: 'load-adapter', cancelled: false });
    expect(t.store.getState().playground.refusal?.problems).toEqual(['module h.0.attn.c_attn is not in this model']);
    expect(t.store.getState().playground.status).toBe('idle');
  });

  it('compares on the Data step\'s test split and continues a loaded adapter in the next run', async () => {
    const t = await ready();
    await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
    await tick();
    t.a().setTestPercent(20);
    await tick();
    t.worker().emit({ type: 'adapter-loaded', adapter: { ...adapter, id: 'file-1', method: 'dora' } });
    await t.a().compare();
    const req = t.last();
    expect(req.type === 'compare' && [req.shots, req.adapter, req.test.length, req.train.length]).toEqual([3, 'file-1', 4, 14]);
    t.worker().emit({ type: 'compare-progress', id: 1, stage: 'base model', done: 2, total: 4 });
    expect(t.store.getState().playground.progress).toEqual({ stage: 'base model', done: 2, total: 4 });
    const em = (matched: number) => ({ rate: matched / 4, matched, total: 4, answers: [{ prompt: 'Q?', expected: 'A', got: matched ? 'A' : 'B', match: matched > 0 }] });
    t.worker().emit({ type: 'compared', id: 1, shots: 3, base: em(0), fewShot: em(1), tuned: em(3) });
    t.worker().emit({ type: 'play-done', request: 'compare', cancelled: false });
    expect(t.store.getState().playground.compare).toMatchObject({ shots: 3, base: { matched: 0 }, fewShot: { matched: 1 }, tuned: { matched: 3 }, answers: [{ base: 'B', fewShot: 'A', tuned: 'A' }] });

    t.a().continueFrom('file-1');
    expect(t.store.getState().form.method).toBe('dora');
    t.a().start();
    await tick();
    const start = t.worker().posted.find((m) => m.type === 'start-examples');
    expect(start?.type === 'start-examples' && start.fromAdapter).toBe('file-1');
  });
});
