// Local model folders: names are taken inside the folder, missing files are named, pickle-only is refused.
import { describe, expect, it } from 'vitest';
import { localFilesSource, missingFiles, folderName } from './local-files';
import { pickleOnlyModel, tinyHubModel, tinyShardedModel } from './test-models';

const buffers = (m: Map<string, Uint8Array>, prefix = 'my-model/') =>
  Object.fromEntries([...m].map(([k, v]) => [prefix + k, v.slice().buffer as ArrayBuffer]));

describe('local model files', () => {
  it('reads a picked folder by file name', async () => {
    const { source } = localFilesSource(buffers(tinyHubModel()));
    expect((await source('config.json'))!.byteLength).toBe(tinyHubModel().get('config.json')!.byteLength);
    expect(await source('nothing.json')).toBeNull();
    expect(folderName(['my-model/config.json', 'my-model/tokenizer.json'])).toBe('my-model');
  });

  it('names every missing required file', () => {
    expect(missingFiles(['a/README.md'])).toEqual(['config.json', 'tokenizer.json', 'model.safetensors']);
    const m = tinyHubModel();
    m.delete('tokenizer.json');
    expect(() => localFilesSource(buffers(m))).toThrow(/lack tokenizer\.json\. Pick the whole model folder/);
  });

  it('accepts a sharded folder only with all its shards', () => {
    const m = tinyShardedModel();
    expect(() => localFilesSource(buffers(m))).not.toThrow();
    m.delete('model-00002-of-00002.safetensors');
    expect(() => localFilesSource(buffers(m))).toThrow(/model-00002-of-00002\.safetensors/);
  });

  it('refuses pickle-only folders', () => {
    expect(() => localFilesSource(buffers(pickleOnlyModel()))).toThrow(/safetensors only/);
  });
});
