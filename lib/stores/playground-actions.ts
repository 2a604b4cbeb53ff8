// The playground's actions: prompt and sampling settings, streamed generation for the base model and the chosen
// adapters, adapters loaded from files, an adapter's validation loss and the few-shot comparison (both on the
// Data step's split, encoded by the data worker), and the adapter the next run continues.
import type { PrepareSettings } from '../data-worker/protocol';
import type { TrainingRow } from '../data/types';
import type { WorkerRequest } from '../train-worker/protocol';
import type { DataClientLike } from './data-actions';
import type { PickedFile } from './model-source';
import { readSampling, type SamplingField } from './playground-form';
import { BASE_KEY, FEW_SHOT_KEY, type PlaygroundState, type PlayStatus } from './playground-reducer';

export interface PlaygroundActions {
  setPrompt(text: string): void;
  setChat(on: boolean): void;
  setSamplingField(field: SamplingField, text: string): void;
  setGreedy(on: boolean): void;
  setStopText(text: string): void;
  /** Shows or hides an adapter's output beside the base model's. */
  toggleAdapter(id: string): void;
  generate(): Promise<void>;
  /** Also show the base model with `shots` training examples in its prompt. */
  setFewShotOutput(on: boolean): void;
  /** Stops the generation or comparison in progress. */
  cancelPlay(): void;
  /** An adapter folder's files (a picked or dropped folder) or one .zip. */
  loadAdapterFiles(files: PickedFile[]): Promise<void>;
  /** Validation loss of an adapter (null: the base model) on the Data step's validation split. */
  evaluateAdapter(id: string | null): Promise<void>;
  setShots(text: string): void;
  /** Exact-match of base, few-shot base and the first chosen adapter on the Data step's test split. */
  compare(): Promise<void>;
  /** The next Start continues this loaded adapter (and switches the method to its own), or a fresh one (null). */
  continueFrom(id: string | null): void;
}

interface Deps {
  get: () => { playground: PlaygroundState; model: { status: string }; workerAlive: boolean; data: { summary: unknown } };
  setPlay: (p: PlaygroundState) => void;
  send: (req: WorkerRequest, transfer?: Transferable[]) => boolean;
  dataClient: Pick<DataClientLike, 'encode'>;
  dataSettings: () => PrepareSettings | null;
  /** The method form follows the adapter a run continues. */
  setMethod: (method: string) => void;
}

/** The files of a folder the worker reads (the rest of a picked folder stays on the page). */
const ADAPTER_FILES = /(^|\/)(adapter_config\.json|adapter_model\.safetensors|adapter_model\.bin)$/;
/** At most this many training examples go to the worker as few-shot candidates. */
const SHOT_CANDIDATES = 64;

/** The adapter's name and the paths of the files the worker needs (a zip: the zip itself). */
export function adapterFileMap(files: Pick<PickedFile, 'name' | 'webkitRelativePath'>[]): { name: string; paths: string[] } {
  if (files.length === 1 && /\.zip$/i.test(files[0].name)) return { name: files[0].name.replace(/\.zip$/i, ''), paths: [files[0].name] };
  const paths = files.map((f) => f.webkitRelativePath || f.name).filter((p) => ADAPTER_FILES.test(p));
  const first = files[0]?.webkitRelativePath?.split('/')[0];
  return { name: first || 'adapter folder', paths };
}

export function createPlaygroundActions(d: Deps): PlaygroundActions {
  let requestId = 0;
  let fileCount = 0;
  const play = () => d.get().playground;
  const patch = (p: Partial<PlaygroundState>) => d.setPlay({ ...play(), ...p });

  /** Why a play request cannot go now, or null. */
  const blocker = (): string | null => {
    const s = d.get();
    if (play().status !== 'idle') return 'The playground is busy: wait for it or press Cancel.';
    if (s.model.status !== 'ready' || !s.workerAlive) return 'Load a model first (Model step, or the button above).';
    return null;
  };

  const begin = (status: PlayStatus, req: WorkerRequest, extra: Partial<PlaygroundState> = {}, transfer?: Transferable[]) => {
    patch({ status, error: null, ...extra });
    if (!d.send(req, transfer)) patch({ status: 'idle', error: 'The worker is busy with another job: try again when it has finished.' });
  };

  /** The Data step's split, encoded with the loaded model's tokenizer. */
  const encoded = async (): Promise<{ train: TrainingRow[]; validation: TrainingRow[]; test: TrainingRow[] } | null> => {
    const settings = d.dataSettings();
    if (!d.get().data.summary || !settings) {
      patch({ error: 'Load a data set in the Data step first: evaluation reads its validation and test splits.' });
      return null;
    }
    try {
      return await d.dataClient.encode({ ...settings, rows: 'examples' });
    } catch (e) {
      patch({ error: `The Data step could not encode the data: ${e instanceof Error ? e.message : String(e)}` });
      return null;
    }
  };
  const tokenRows = (rows: TrainingRow[]) => rows.filter((r): r is { ids: number[]; mask: number[] } => 'ids' in r);

  return {
    setPrompt: (prompt) => patch({ prompt }),
    setChat: (chat) => patch({ chat }),
    setSamplingField: (field, text) => patch({ sampling: { ...play().sampling, drafts: { ...play().sampling.drafts, [field]: text } } }),
    setGreedy: (greedy) => patch({ sampling: { ...play().sampling, greedy } }),
    setStopText: (stopText) => patch({ sampling: { ...play().sampling, stopText } }),
    toggleAdapter(id) {
      const { selected } = play();
      patch({ selected: selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id] });
    },
    async generate() {
      const p = play();
      const why = blocker();
      if (why) return patch({ error: why });
      const { sampling } = readSampling(p.sampling);
      if (!sampling) return patch({ error: 'Fix the highlighted sampling settings.' });
      const shots = Number(p.shots);
      if (p.fewShotOutput && !(Number.isInteger(shots) && shots >= 1 && shots <= 32)) return patch({ error: 'Examples in the prompt must be a whole number from 1 to 32.' });
      const keys = [BASE_KEY, ...p.selected.filter((id) => p.adapters.some((a) => a.id === id))];
      const targets: Extract<WorkerRequest, { type: 'generate' }>['targets'] = keys.map((key) => ({ key, adapter: key === BASE_KEY ? null : key }));
      if (p.fewShotOutput) {
        patch({ status: 'generating', error: null });
        const data = await encoded();
        patch({ status: 'idle' });
        if (!data) return;
        targets.splice(1, 0, { key: FEW_SHOT_KEY, adapter: null, fewShot: { shots, train: tokenRows(data.train).slice(0, SHOT_CANDIDATES) } });
      }
      const outputs = Object.fromEntries(targets.map((t) => [t.key, { text: '', tokens: 0, reason: null, streaming: true }]));
      begin('generating', { type: 'generate', id: ++requestId, prompt: p.prompt, chat: p.chat, sampling, targets }, { outputs });
    },
    setFewShotOutput: (fewShotOutput) => patch({ fewShotOutput }),
    cancelPlay() {
      if (play().status === 'idle') return;
      patch({ cancelling: true });
      d.send({ type: 'cancel-play' });
    },
    async loadAdapterFiles(files) {
      const why = blocker();
      if (why) return patch({ error: why });
      const { name, paths } = adapterFileMap(files);
      if (paths.length === 0) return patch({ refusal: { name, message: 'This folder has no adapter_config.json or adapter_model.safetensors: pick a PEFT adapter folder or its zip.', problems: [] } });
      patch({ status: 'loading-adapter', error: null, refusal: null });
      const map: Record<string, ArrayBuffer> = {};
      for (const f of files) {
        const path = f.webkitRelativePath || f.name;
        if (paths.includes(path)) map[path] = await f.arrayBuffer();
      }
      patch({ status: 'idle' });
      begin('loading-adapter', { type: 'load-adapter', id: `file-${++fileCount}`, name, files: map }, {}, Object.values(map));
    },
    async evaluateAdapter(id) {
      if (blocker()) return patch({ error: blocker() });
      const data = await encoded();
      if (!data) return;
      const validation = tokenRows(data.validation);
      if (validation.length === 0) return patch({ error: 'The validation split is empty: give it a share in the Data step.' });
      begin('evaluating', { type: 'evaluate-adapter', id: ++requestId, adapter: id, validation });
    },
    setShots: (shots) => patch({ shots }),
    async compare() {
      if (blocker()) return patch({ error: blocker() });
      const shots = Number(play().shots);
      if (!Number.isInteger(shots) || shots < 0 || shots > 32) return patch({ error: 'Examples in the prompt must be a whole number from 0 to 32.' });
      const data = await encoded();
      if (!data) return;
      const test = tokenRows(data.test);
      if (test.length === 0) return patch({ error: 'The test split is empty: give it a share in the Data step (Split).' });
      const adapter = play().selected.find((id) => play().adapters.some((a) => a.id === id)) ?? null;
      const train = tokenRows(data.train).slice(0, SHOT_CANDIDATES);
      begin('comparing', { type: 'compare', id: ++requestId, adapter, shots, train, test }, { compare: null, progress: { stage: 'starting', done: 0, total: test.length } });
    },
    continueFrom(id) {
      const adapter = play().adapters.find((a) => a.id === id);
      patch({ continueFrom: adapter ? adapter.id : null });
      if (adapter) d.setMethod(adapter.method);
    },
  };
}
