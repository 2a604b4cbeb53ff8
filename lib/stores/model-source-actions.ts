// Store actions for the Model step's source choice: bundled / Hub / local folder, the Hub form and its
// presets, picked files, cancelling a download, and the list of models kept in the browser cache.
import { HubCache, type ModelRef } from '../hub/cache';
import { findPreset } from '../hub/presets';
import type { WorkerRequest } from '../train-worker/protocol';
import { reduceEvent } from './studio-reducer';
import { pickFolder, saveBaseUrl, type HubForm, type ModelSourceState, type PickedFile, type SourceKind } from './model-source';
import type { StudioState } from './studio-state';

export interface ModelSourceActions {
  setSourceKind(kind: SourceKind): void;
  setHubField(field: keyof HubForm, value: string): void;
  /** Fills the Hub form with a curated model id. */
  chooseHubPreset(id: string): void;
  pickLocalFiles(files: PickedFile[]): void;
  /** Stops a Hub download in progress. */
  cancelLoad(): void;
  refreshCache(): Promise<void>;
  /** Removes one cached model, or every one when `ref` is absent. */
  clearCached(ref?: ModelRef): Promise<void>;
}

interface Deps {
  get(): StudioState;
  set(partial: Partial<StudioState>): void;
  send(req: WorkerRequest): boolean;
  /** True once the worker has the load request (before that, the page is still reading files). */
  workerLoading(): boolean;
  openCache?: () => Promise<HubCache | null>;
  /** The chosen model changed (source, Hub id or URL, picked folder): its tokenizer may differ. */
  sourceChanged?: () => void;
}

const NO_CACHE = 'This browser offers no IndexedDB storage here, so downloads are not kept between visits.';

export function createModelSourceActions({ get, set, send, workerLoading, openCache = () => HubCache.open(), sourceChanged = () => {} }: Deps): ModelSourceActions {
  const update = (patch: Partial<ModelSourceState>) => {
    set({ modelSource: { ...get().modelSource, ...patch } });
    if ('kind' in patch || 'hub' in patch || 'local' in patch) sourceChanged();
  };

  const withCache = async (fn: (c: HubCache) => Promise<void>) => {
    const cache = await openCache().catch(() => null);
    if (!cache) return update({ cache: { status: 'error', models: [], error: NO_CACHE } });
    try {
      await fn(cache);
      update({ cache: { status: 'ready', models: await cache.list(), error: null } });
    } catch (e) {
      update({ cache: { ...get().modelSource.cache, status: 'error', error: `The browser cache failed: ${e instanceof Error ? e.message : String(e)}` } });
    } finally {
      cache.close();
    }
  };

  return {
    setSourceKind(kind) {
      update({ kind });
    },
    setHubField(field, value) {
      update({ hub: { ...get().modelSource.hub, [field]: value } });
      if (field === 'baseUrl') saveBaseUrl(value.trim());
    },
    chooseHubPreset(id) {
      const preset = findPreset(id);
      if (preset) update({ kind: 'hub', hub: { ...get().modelSource.hub, id: preset.id } });
    },
    pickLocalFiles(files) {
      const { local, error } = pickFolder(files);
      update({ kind: 'files', local, localError: error });
    },
    cancelLoad() {
      if (get().model.status !== 'loading') return;
      if (workerLoading()) send({ type: 'cancel-load' });
      else set(reduceEvent({ model: get().model, run: get().run, exporting: get().exporting }, { type: 'load-cancelled' }));
    },
    async refreshCache() {
      update({ cache: { ...get().modelSource.cache, status: 'loading' } });
      await withCache(async () => {});
    },
    async clearCached(ref) {
      await withCache((c) => (ref ? c.clear(ref) : c.clearAll()));
    },
  };
}
