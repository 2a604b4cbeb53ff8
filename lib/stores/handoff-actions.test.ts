// The store's hand-off download over a fake worker and data client: what blocks it, the job it sends (the loaded
// model, the run settings, the Data step's settings), the saved zip and its records, and a failure's message.
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { FakeDataClient, FakeWorker, ManualScheduler, tick } from './test-helpers';
import { createStudioStore } from './studio-store';
import { selectHandoffBlocker } from './handoff-actions';

const JSONL = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, completion: ` A${i}.` })).join('\n');
const READY = { type: 'ready' as const, backend: 'webgpu', adapter: 'SwiftShader (software)', model: { name: 'tiny-random', params: 4_300_000, config: { model_type: 'gpt2', n_positions: 128 } } };

function setup() {
  const workers: FakeWorker[] = [];
  const saved: { name: string; size: number }[] = [];
  const dataClient = new FakeDataClient();
  const store = createStudioStore({
    settings: settingsFromSearchParams({ test: '1', steps: '10' }),
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    saveFile: (name, bytes) => saved.push({ name, size: bytes.byteLength }),
    schedule: new ManualScheduler().schedule,
    dataClient,
    dataDebounceMs: 0,
  });
  return { store, saved, dataClient, a: () => store.getState().actions, worker: () => workers[workers.length - 1] };
}

describe('studio store: hand-off bundle', () => {
  it('waits for the data and the model, then saves the bundle the data worker builds', async () => {
    const t = setup();
    expect(selectHandoffBlocker(t.store.getState())).toMatch(/Load a data set/);
    await t.a().downloadHandoff('trl');
    expect(t.dataClient.calls).not.toContain('handoff');

    await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
    await tick();
    expect(selectHandoffBlocker(t.store.getState())).toMatch(/Load the model first/);
    t.a().loadModel();
    t.worker().emit(READY);
    expect(selectHandoffBlocker(t.store.getState())).toBeNull();

    const s = t.store.getState();
    const building = t.a().downloadHandoff('axolotl');
    expect(t.store.getState().handoff.status).toBe('building');
    expect(selectHandoffBlocker(t.store.getState())).toMatch(/being built/);
    await building;
    const h = t.store.getState().handoff;
    expect(h).toMatchObject({ status: 'done', target: 'axolotl', fileName: 'job-axolotl.zip', error: null });
    expect(h.records).toEqual({ train: s.data.report!.split.train, validation: s.data.report!.split.validation });
    expect(t.saved).toEqual([{ name: 'job-axolotl.zip', size: h.size }]);
    // The job: the loaded model's name and config, the run settings as Start sends them, the data file's name.
    const job = t.dataClient.lastHandoff!.job;
    expect(job).toMatchObject({ target: 'axolotl', baseModel: 'tiny-random', modelConfig: READY.model.config, dataFile: 'qa.jsonl' });
    expect(job.config).toMatchObject({ ...s.config, packing: s.data.choices.packing });
    expect(typeof job.config.checkpointing).toBe('boolean');
    // The split it used is the Data step's (the settings the last report was made with).
    expect(t.dataClient.lastHandoff!.settings).toEqual(t.dataClient.lastSettings);
  });

  it('shows the worker failure and saves nothing', async () => {
    const t = setup();
    await t.a().loadFile(new File([JSONL], 'qa.jsonl'));
    await tick();
    t.a().loadModel();
    t.worker().emit(READY);
    t.dataClient.handoffError = 'The hand-off bundle has no training records';
    await t.a().downloadHandoff('llamafactory');
    expect(t.store.getState().handoff).toMatchObject({ status: 'error', target: 'llamafactory', error: 'Could not build the hand-off bundle: The hand-off bundle has no training records' });
    expect(t.saved).toEqual([]);
    // The next try works.
    await t.a().downloadHandoff('llamafactory');
    expect(t.store.getState().handoff.status).toBe('done');
  });
});
