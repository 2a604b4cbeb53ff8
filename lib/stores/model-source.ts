// Where the base model comes from (bundled, Hugging Face Hub, local folder): the state the Model step
// edits, its key (which model the worker holds), and the load request each source becomes.
import { checkBaseUrl, checkModelId, DEFAULT_HUB_URL, DEFAULT_REVISION } from '../hub/client';
import type { CachedModel } from '../hub/cache';
import { baseName, checkLocalFiles, folderName } from '../hub/local-files';
import type { ModelSource } from '../train-worker/protocol';

export type SourceKind = 'bundled' | 'hub' | 'files';

export interface HubForm {
  id: string;
  baseUrl: string;
  revision: string;
}

/** A file the person picked or dropped (a DOM File fits). */
export interface PickedFile {
  name: string;
  size: number;
  /** Path inside the picked folder ("my-model/config.json"), when the browser gives one. */
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface LocalFolder {
  name: string;
  files: PickedFile[];
  size: number;
}

export interface CacheState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  models: CachedModel[];
  error: string | null;
}

export interface ModelSourceState {
  kind: SourceKind;
  hub: HubForm;
  local: LocalFolder | null;
  /** Why the picked files cannot make a model (names missing files). */
  localError: string | null;
  cache: CacheState;
}

const BASE_URL_KEY = 'webtune.hubBaseUrl';

/** The Hub URL setting saved in this browser, or the default. */
export function savedBaseUrl(): string {
  try {
    return globalThis.localStorage?.getItem(BASE_URL_KEY) || DEFAULT_HUB_URL;
  } catch {
    return DEFAULT_HUB_URL;
  }
}

export function saveBaseUrl(url: string): void {
  try {
    globalThis.localStorage?.setItem(BASE_URL_KEY, url);
  } catch {
    // Storage can be off (private mode); the setting then lasts for this page only.
  }
}

export function initialModelSource(): ModelSourceState {
  return {
    kind: 'bundled',
    hub: { id: '', baseUrl: savedBaseUrl(), revision: DEFAULT_REVISION },
    local: null,
    localError: null,
    cache: { status: 'idle', models: [], error: null },
  };
}

/** Files a model loader reads; others in a picked folder (README, .git, pickles) are not read. */
export function isModelFile(name: string): boolean {
  const n = baseName(name);
  return n.endsWith('.safetensors') || n.endsWith('.json') || n === 'merges.txt';
}

function pathOf(f: PickedFile): string {
  return f.webkitRelativePath || f.name;
}

/** Keeps the model files of a pick; the error names what is missing (or refuses pickle-only folders). */
export function pickFolder(files: PickedFile[]): { local: LocalFolder | null; error: string | null } {
  const paths = files.map(pathOf);
  const name = folderName(paths, 'local model');
  try {
    checkLocalFiles(paths, name);
  } catch (e) {
    return { local: null, error: e instanceof Error ? e.message : String(e) };
  }
  const kept = files.filter((f) => isModelFile(pathOf(f)));
  return { local: { name, files: kept, size: kept.reduce((n, f) => n + f.size, 0) }, error: null };
}

/** Why the current source cannot be loaded, or null. */
export function sourceProblem(m: ModelSourceState): string | null {
  if (m.kind === 'hub') return checkModelId(m.hub.id) ?? checkBaseUrl(m.hub.baseUrl);
  if (m.kind === 'files') return m.localError ?? (m.local ? null : 'Choose a model folder or drop its files.');
  return null;
}

/** Identifies the model the source names, so the store knows whether the worker already holds it. */
export function sourceKey(m: ModelSourceState, bundledName: string): string {
  if (m.kind === 'hub') return `hub:${m.hub.baseUrl.trim().replace(/\/+$/, '')}|${m.hub.id.trim()}|${m.hub.revision.trim() || DEFAULT_REVISION}`;
  if (m.kind === 'files') return m.local ? `files:${m.local.name}|${m.local.files.length}|${m.local.size}` : 'files:';
  return bundledName;
}

/** The load request's model for a Hub source. */
export function hubSource(h: HubForm): ModelSource {
  const revision = h.revision.trim();
  return { kind: 'hub', id: h.id.trim(), baseUrl: h.baseUrl.trim().replace(/\/+$/, ''), ...(revision && revision !== DEFAULT_REVISION ? { revision } : {}) };
}

/** Reads the picked files for transfer to the worker (keyed by path; the worker keys by name). */
export async function readFolder(local: LocalFolder): Promise<{ source: ModelSource; transfer: ArrayBuffer[] }> {
  const files: Record<string, ArrayBuffer> = {};
  for (const f of local.files) files[pathOf(f)] = await f.arrayBuffer();
  return { source: { kind: 'files', name: local.name, files }, transfer: Object.values(files) };
}
