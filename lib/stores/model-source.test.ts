// Store tests for the Model step's sources: the Hub form's request and checks, picked folders (missing
// files named, buffers transferred), cancelling a download, and the browser-cache list without IndexedDB.
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { createStudioStore } from './studio-store';
import { FakeWorker } from './test-helpers';
import type { PickedFile } from './model-source';

function setup() {
  const workers: FakeWorker[] = [];
  const store = createStudioStore({
    settings: settingsFromSearchParams({ test: '1' }),
    createWorker: () => {
      workers.push(new FakeWorker());
      return workers[workers.length - 1];
    },
    schedule: () => () => {},
  });
  return { store, a: () => store.getState().actions, worker: () => workers[workers.length - 1] };
}

const file = (path: string, text = '{}'): PickedFile => ({
  name: path.split('/').pop()!,
  size: text.length,
  webkitRelativePath: path,
  arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
});

describe('model sources in the store', () => {
  it('loads a Hub preset through the base URL setting', () => {
    const t = setup();
    t.a().chooseHubPreset('distilgpt2');
    t.a().setHubField('baseUrl', 'http://127.0.0.1:9/ ');
    t.a().loadModel();
    expect(t.worker().posted[0]).toMatchObject({ type: 'load', model: { kind: 'hub', id: 'distilbert/distilgpt2', baseUrl: 'http://127.0.0.1:9' } });
    expect(t.store.getState().model.requestedKey).toMatch(/^hub:http:\/\/127\.0\.0\.1:9\|distilbert\/distilgpt2\|main\|/);
  });

  it('refuses a malformed model id before starting the worker', () => {
    const t = setup();
    t.a().setSourceKind('hub');
    t.a().setHubField('id', 'not a model');
    t.a().loadModel();
    expect(t.worker()).toBeUndefined();
    expect(t.store.getState().model).toMatchObject({ status: 'error', error: expect.stringMatching(/owner\/name/) });
  });

  it('names missing files of a picked folder, and transfers the model files of a complete one', async () => {
    const t = setup();
    t.a().pickLocalFiles([file('m/config.json'), file('m/README.md')]);
    expect(t.store.getState().modelSource.localError).toMatch(/tokenizer\.json, model\.safetensors/);
    t.a().pickLocalFiles([file('m/config.json'), file('m/tokenizer.json'), file('m/model.safetensors', 'xx'), file('m/README.md')]);
    expect(t.store.getState().modelSource.local).toMatchObject({ name: 'm', size: 6 });
    t.a().loadModel();
    await new Promise((r) => setTimeout(r, 0));
    const req = t.worker().posted[0];
    expect(req.type === 'load' && req.model.kind === 'files' && Object.keys(req.model.files).sort()).toEqual(['m/config.json', 'm/model.safetensors', 'm/tokenizer.json']);
    expect(t.worker().transfers[0]).toHaveLength(3);
  });

  it('cancels a download: the worker is told, and the model step goes back to idle', () => {
    const t = setup();
    t.a().chooseHubPreset('openai-community/gpt2');
    t.a().loadModel();
    t.worker().emit({ type: 'progress', stage: 'Downloading', loaded: 10, total: 100, rate: 5, etaSeconds: 18, file: 'model.safetensors' });
    expect(t.store.getState().model.progress).toMatchObject({ rate: 5, etaSeconds: 18 });
    t.a().cancelLoad();
    expect(t.worker().types()).toEqual(['load', 'cancel-load']);
    t.worker().emit({ type: 'load-cancelled' });
    expect(t.store.getState().model).toMatchObject({ status: 'idle', progress: null, error: null });
  });

  it('says when the browser has no storage for the cache', async () => {
    const t = setup();
    await t.a().refreshCache();
    expect(t.store.getState().modelSource.cache).toMatchObject({ status: 'error', error: expect.stringMatching(/IndexedDB/) });
  });
});
