// Where the Data step reads the chosen model's tokenizer: bundled folder, the Hub's resolve URL, or the files of a
// picked folder; without a tokenizer.json, Start says what to pick.
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { FakeDataClient, FakeWorker, ManualScheduler } from './test-helpers';
import { createStudioStore, dataTokenizer } from './studio-store';

function store() {
  return createStudioStore({
    settings: settingsFromSearchParams({}), createWorker: () => new FakeWorker(), saveFile: () => {},
    schedule: new ManualScheduler().schedule, dataClient: new FakeDataClient(), dataDebounceMs: 0,
  });
}
const file = (path: string, text = '{}') => Object.assign(new File([text], path.split('/').pop()!), { webkitRelativePath: path });

describe('dataTokenizer', () => {
  it('the bundled model: its folder URL', () => {
    expect(dataTokenizer(store().getState())).toEqual({ url: '/models/webtune-demo/' });
  });

  it("a Hub model: the Hub's resolve folder for the id, base URL and revision", () => {
    const s = store();
    const src = s.getState().modelSource;
    s.setState({ modelSource: { ...src, kind: 'hub', hub: { ...src.hub, id: 'HuggingFaceTB/SmolLM2-135M', baseUrl: 'http://127.0.0.1:9/', revision: 'main' } } });
    expect(dataTokenizer(s.getState())).toEqual({ url: 'http://127.0.0.1:9/HuggingFaceTB/SmolLM2-135M/resolve/main/' });
  });

  it("a picked folder: its tokenizer files, or none without a tokenizer.json", () => {
    const s = store();
    const src = s.getState().modelSource;
    const json = file('m/tokenizer.json', '{"model":{}}');
    const config = file('m/tokenizer_config.json');
    s.setState({ modelSource: { ...src, kind: 'files', local: { name: 'm', files: [file('m/config.json'), json, config], size: 10 } } });
    const tok = dataTokenizer(s.getState())!;
    expect(tok.url).toBe('local:m:10');
    expect(tok.files?.json).toBe(json);
    expect(tok.files?.config).toBe(config);
    s.setState({ modelSource: { ...src, kind: 'files', local: { name: 'm', files: [file('m/config.json')], size: 2 } } });
    expect(dataTokenizer(s.getState())).toBeNull();
  });
});

describe('the Data step follows the chosen model', () => {
  it('re-prepares with the Hub tokenizer once the id is typed (a report made while it was empty is not left pending)', async () => {
    const dataClient = new FakeDataClient();
    const s = createStudioStore({
      settings: settingsFromSearchParams({}), createWorker: () => new FakeWorker(), saveFile: () => {},
      schedule: new ManualScheduler().schedule, dataClient, dataDebounceMs: 0,
    });
    const a = s.getState().actions;
    await a.loadFile(new File(['{"text":"a"}\n{"text":"b"}\n'], 't.jsonl'));
    await new Promise((r) => setTimeout(r, 10));
    expect(dataClient.lastSettings?.tokenizerUrl).toBe('/models/webtune-demo/');
    a.setSourceKind('hub'); // no id yet: no tokenizer, nothing to prepare
    await new Promise((r) => setTimeout(r, 10));
    a.setHubField('baseUrl', 'http://127.0.0.1:9');
    a.setHubField('id', 'org/m');
    await new Promise((r) => setTimeout(r, 10));
    expect(dataClient.lastSettings?.tokenizerUrl).toBe('http://127.0.0.1:9/org/m/resolve/main/');
    expect(s.getState().data.report).not.toBeNull();
  });
});
