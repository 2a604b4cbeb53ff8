// The Data step's actions: read a file or sample in the data worker (with progress), re-read it when the shape
// or plain-text mode changes, apply dataset_info.json entries, and ask the worker for a fresh report and token
// preview (debounced) whenever a cleaning, template, split or model setting changes.
import { datasetInfoOptions, readDatasetInfo } from '../data/dataset-info';
import type { DataClient } from '../data-worker/client';
import type { ParseOptions, PrepareSettings, ShapeChoice, TemplateChoice } from '../data-worker/protocol';
import { hasAcceptedExtension, sampleUrl } from './samples';
import { emptySlot, parseMappingText, type CleanChoices, type DataChoices, type DataState, type FileSlot } from './data-state';

export type DataClientLike = Pick<DataClient, 'parse' | 'prepare' | 'preview' | 'encode' | 'handoff' | 'terminate'>;

export interface DataActions {
  loadSample(file: string): Promise<void>;
  loadFile(file: File): Promise<void>;
  loadValidationFile(file: File): Promise<void>;
  setShape(shape: ShapeChoice): void;
  setTxtMode(mode: 'blocks' | 'lines'): void;
  loadDatasetInfo(file: File): Promise<void>;
  chooseInfoEntry(name: string | null): void;
  /** Column names typed by hand ("instruction=question, output=answer"); re-reads the file. */
  setMappingText(text: string): void;
  setExcluded(on: boolean): void;
  setClean(patch: Partial<CleanChoices>): void;
  setTemplate(template: TemplateChoice): void;
  setTrainOnAll(on: boolean): void;
  setPacking(on: boolean): void;
  setValidationPercent(percent: number): void;
  setTestPercent(percent: number): void;
  setUseValidationFile(on: boolean): void;
  setPreviewIndex(index: number): void;
}

interface Deps {
  getData: () => DataState;
  setData: (data: DataState) => void;
  client: DataClientLike;
  fetch: (url: string) => Promise<Response>;
  /** Settings for the worker from the current state (model, sequence length, seed included). */
  settings: () => PrepareSettings | null;
  debounceMs: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const clampPercent = (p: number, max: number) => Math.min(max, Math.max(0, Math.round(p)));

export function createDataActions(d: Deps): DataActions & { refresh(): void } {
  let mainFile: File | null = null;
  const readTokens = { main: 0, validation: 0 };
  let prepToken = 0;
  let lastKey = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  const patch = (p: Partial<DataState>) => d.setData({ ...d.getData(), ...p });
  const choose = (p: Partial<DataChoices>) => patch({ choices: { ...d.getData().choices, ...p } });

  const parseOptions = (): ParseOptions => {
    const c = d.getData().choices;
    return { shape: c.shape, txtMode: c.txtMode, mapping: c.mapping, tags: c.tags };
  };

  /** Reads a file into one slot; a newer file for the same slot wins. */
  const read = async (slot: 'main' | 'validation', file: File) => {
    const token = ++readTokens[slot];
    const current = (): FileSlot => (slot === 'main' ? d.getData() : d.getData().validationFile);
    const put = (s: Partial<FileSlot>) => {
      if (token !== readTokens[slot]) return;
      if (slot === 'main') patch(s);
      else patch({ validationFile: { ...current(), ...s } });
    };
    if (!hasAcceptedExtension(file.name)) {
      put({ ...emptySlot, status: 'error', source: file.name, error: `${file.name} is not a data file the studio reads: use .jsonl, .json, .csv, .tsv, .parquet or .txt` });
      return;
    }
    put({ status: 'reading', source: file.name, error: null, progress: { loaded: 0, total: file.size } });
    if (slot === 'main') patch({ report: null, preview: null, reportError: null, previewError: null, excluded: false, previewIndex: 0 });
    try {
      const summary = await d.client.parse(slot, file, file.name, parseOptions(), (loaded, total) => put({ progress: { loaded, total } }));
      put({ status: 'ready', summary, progress: null });
      lastKey = '';
      refresh();
    } catch (e) {
      put({ status: 'error', summary: null, progress: null, error: `Could not read ${file.name}: ${message(e)}` });
    }
  };

  const reparse = () => {
    if (mainFile) void read('main', mainFile);
  };

  const prepare = async (force: boolean) => {
    const settings = d.settings();
    if (!settings) return;
    const key = JSON.stringify(settings);
    if (key === lastKey && !force) return;
    lastKey = key;
    const token = ++prepToken;
    patch({ preparing: true });
    try {
      const report = await d.client.prepare(settings);
      if (token !== prepToken) return;
      patch({ report, reportError: null, preparing: false });
      await previewNow(settings, token);
    } catch (e) {
      if (token === prepToken) patch({ preparing: false, reportError: message(e) });
    }
  };

  const previewNow = async (settings: PrepareSettings, token = prepToken) => {
    try {
      const preview = await d.client.preview(d.getData().previewIndex, settings);
      if (token === prepToken) patch({ preview, previewError: null });
    } catch (e) {
      if (token === prepToken) patch({ previewError: message(e) });
    }
  };

  function refresh() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void prepare(false);
    }, d.debounceMs);
  }

  return {
    refresh,
    async loadSample(file) {
      try {
        const res = await d.fetch(sampleUrl(file));
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        mainFile = new File([await res.blob()], file);
      } catch (e) {
        ++readTokens.main;
        patch({ ...emptySlot, status: 'error', source: file, error: `Could not fetch the sample ${file}: ${message(e)}` });
        return;
      }
      await read('main', mainFile);
    },
    async loadFile(file) {
      mainFile = file;
      await read('main', file);
    },
    async loadValidationFile(file) {
      choose({ useValidationFile: true });
      await read('validation', file);
    },
    setShape(shape) {
      choose({ shape });
      reparse();
    },
    setTxtMode(txtMode) {
      choose({ txtMode });
      reparse();
    },
    async loadDatasetInfo(file) {
      try {
        const entries = readDatasetInfo(await file.text()).filter((e) => e.fileName);
        if (entries.length === 0) throw new Error('it lists no entry with a local file_name');
        patch({ datasetInfo: { entries, fileName: file.name, error: null } });
      } catch (e) {
        patch({ datasetInfo: { entries: [], fileName: file.name, error: `Could not use ${file.name}: ${message(e)}` } });
      }
    },
    chooseInfoEntry(name) {
      const entry = d.getData().datasetInfo.entries.find((e) => e.name === name);
      if (!entry) {
        choose({ infoEntry: null, mapping: undefined, tags: undefined, shape: 'auto' });
        reparse();
        return;
      }
      const o = datasetInfoOptions(entry);
      const mapping = Object.fromEntries(Object.entries(o.mapping ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      choose({ infoEntry: entry.name, mapping, tags: o.tags, shape: o.shape ?? 'auto', txtMode: o.txtMode ?? d.getData().choices.txtMode });
      reparse();
    },
    setMappingText(text) {
      const r = parseMappingText(text);
      if ('error' in r) {
        patch({ mappingError: r.error });
        return;
      }
      patch({ mappingError: null });
      choose({ mapping: r.mapping, infoEntry: null });
      reparse();
    },
    setExcluded(excluded) {
      patch({ excluded });
    },
    setClean(p) {
      choose({ clean: { ...d.getData().choices.clean, ...p } });
      refresh();
    },
    setTemplate(template) {
      choose({ template });
      refresh();
    },
    setTrainOnAll(trainOnAll) {
      choose({ trainOnAll });
      refresh();
    },
    setPacking(packing) {
      choose({ packing }); // the trainer packs: the report already shows what it saves
    },
    setValidationPercent(percent) {
      if (!Number.isFinite(percent)) return;
      choose({ validationPercent: clampPercent(percent, 50) });
      refresh();
    },
    setTestPercent(percent) {
      if (!Number.isFinite(percent)) return;
      choose({ testPercent: clampPercent(percent, 40) });
      refresh();
    },
    setUseValidationFile(useValidationFile) {
      choose({ useValidationFile });
      refresh();
    },
    setPreviewIndex(index) {
      if (!Number.isInteger(index) || index < 0) return;
      patch({ previewIndex: index });
      const settings = d.settings();
      if (settings) void previewNow(settings);
    },
  };
}
