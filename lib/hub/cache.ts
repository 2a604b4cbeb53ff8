// The browser's copy of downloaded Hub files, in IndexedDB (via idb), keyed by base URL + model id +
// revision + file, so loading a model a second time makes no requests. Listing and clearing for the UI.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface ModelRef {
  baseUrl: string;
  id: string;
  revision: string;
}

interface FileRecord {
  key: string;
  model: string;
  file: string;
  bytes: Uint8Array;
}

/** What a complete download held: written last, so a half-finished download is never taken as cached. */
interface ManifestRecord {
  model: string;
  ref: ModelRef;
  files: string[];
  size: number;
  storedAt: number;
}

interface HubDb extends DBSchema {
  files: { key: string; value: FileRecord; indexes: { model: string } };
  manifests: { key: string; value: ManifestRecord };
}

export interface CachedModel extends ModelRef {
  files: string[];
  size: number;
  storedAt: number;
}

export const DEFAULT_CACHE_DB = 'webtune-hub-cache';

export function modelCacheKey(ref: ModelRef): string {
  return `${ref.baseUrl.replace(/\/+$/, '')}|${ref.id}|${ref.revision}`;
}

export class HubCache {
  private constructor(private readonly db: IDBPDatabase<HubDb>) {}

  /** Opens the cache; null where IndexedDB is unavailable (old browser, some private modes). */
  static async open(name = DEFAULT_CACHE_DB): Promise<HubCache | null> {
    if (typeof indexedDB === 'undefined') return null;
    try {
      const db = await openDB<HubDb>(name, 1, {
        upgrade(d) {
          d.createObjectStore('files', { keyPath: 'key' }).createIndex('model', 'model');
          d.createObjectStore('manifests', { keyPath: 'model' });
        },
      });
      return new HubCache(db);
    } catch {
      return null;
    }
  }

  /** Every file of a completely cached model, or null when any is missing. */
  async getModel(ref: ModelRef): Promise<Map<string, Uint8Array> | null> {
    const model = modelCacheKey(ref);
    const manifest = await this.db.get('manifests', model);
    if (!manifest) return null;
    const out = new Map<string, Uint8Array>();
    for (const file of manifest.files) {
      const rec = await this.db.get('files', `${model}|${file}`);
      if (!rec) return null;
      out.set(file, rec.bytes);
    }
    return out;
  }

  /** Stores a complete download. Throws on a full disk (QuotaExceededError); the caller carries on. */
  async putModel(ref: ModelRef, files: Map<string, Uint8Array>): Promise<void> {
    const model = modelCacheKey(ref);
    let size = 0;
    for (const [file, bytes] of files) {
      await this.db.put('files', { key: `${model}|${file}`, model, file, bytes });
      size += bytes.byteLength;
    }
    await this.db.put('manifests', { model, ref, files: [...files.keys()], size, storedAt: Date.now() });
  }

  async list(): Promise<CachedModel[]> {
    const all = await this.db.getAll('manifests');
    return all.map((m) => ({ ...m.ref, files: m.files, size: m.size, storedAt: m.storedAt }));
  }

  /** Removes one model's files and manifest. */
  async clear(ref: ModelRef): Promise<void> {
    const model = modelCacheKey(ref);
    const tx = this.db.transaction(['files', 'manifests'], 'readwrite');
    const keys = await tx.objectStore('files').index('model').getAllKeys(model);
    await Promise.all([...keys.map((k) => tx.objectStore('files').delete(k)), tx.objectStore('manifests').delete(model), tx.done]);
  }

  async clearAll(): Promise<void> {
    const tx = this.db.transaction(['files', 'manifests'], 'readwrite');
    await Promise.all([tx.objectStore('files').clear(), tx.objectStore('manifests').clear(), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
