// The studio's state and actions: a zustand vanilla store (one per page, made by the provider) that owns
// the WorkerClient, feeds worker events through the pure reducer, and batches step events per frame.
import { RunRecorder, type StoredResume } from './run-recorder';
import { createStore } from 'zustand/vanilla';
import { modelOptions, DEFAULT_VALIDATION_PERCENT, type StudioSettings } from './studio-settings';
import { PRESETS } from '../ui-copy';
import type { Method } from '../engine/types';
import { DataClient } from '../data-worker/client';
import type { StepEvent, WorkerEvent, WorkerRequest } from '../train-worker/protocol';
import { WorkerClient, type Job, type WorkerLike } from '../train-worker/client';
import { isPlayEvent } from '../train-worker/play-protocol';
import { createPlaygroundActions } from './playground-actions';
import { initialPlayground, playModelGone, reducePlay } from './playground-reducer';
import { applyValues, initialForm, setDraft, switchMethod, type ConfigForm } from './config-form';
import { saveBytes } from './download';
import { rowsFor } from './objective-choice';
import { NO_REWARD_MODEL, pickRewardModel } from './reward-model-pick';
import { fitTargetsToModel, loadBudget, saveBudget } from './memory';
import { frameScheduler } from './frame-scheduler';
import { createModelSourceActions } from './model-source-actions';
import { hubSource, initialModelSource, readFolder, sourceProblem } from './model-source';
import { createDataActions, type DataClientLike } from './data-actions';
import { createHandoffAction, initialHandoff } from './handoff-actions';
import { initialData, prepareSettings } from './data-state';
import { parseSampleIndex, SAMPLE_INDEX_URL } from './samples';
import { checkpointZip } from '../runs/checkpoint-zip';
import { recoveryMessage, resumedRun } from './recovery';
import { appendSteps, initialExport, initialModel, initialRun, isRunActive, reduceCrash, reduceEvent } from './studio-reducer';
import {
  formLimits,
  formState,
  modelKey,
  selectCanExport,
  selectModelOption,
  dataTokenizer,
  selectMemoryPlan,
  selectStartBlocker,
  slices,
  splitSeed,
  type StudioActions,
  type StudioState,
  type StudioStore,
} from './studio-state';

export * from './studio-state';
export { frameScheduler } from './frame-scheduler';

/** Steps between autosaved checkpoints of a stored run. */
export const AUTOSAVE_EVERY = 20;

export interface StudioStoreOptions {
  settings: StudioSettings;
  createWorker?: () => WorkerLike;
  fetch?: (url: string) => Promise<Response>;
  saveFile?: (fileName: string, bytes: ArrayBuffer) => void;
  /** Runs `flush` soon (default: next animation frame); returns a cancel function. */
  schedule?: (flush: () => void) => () => void;
  /** The data worker's client (tests pass a fake). */
  dataClient?: DataClientLike;
  /** Delay before the Data step asks the worker for a new report after a change (ms). */
  dataDebounceMs?: number;
  /** Stores every run in IndexedDB (default where the browser has it; none in Node tests). */
  recorder?: RunRecorder | null;
}

/** The reward model's buffers move to the worker instead of being copied. */
function rewardTransfer(req: Extract<WorkerRequest, { type: 'start-examples' }>): ArrayBuffer[] | undefined {
  return req.rewardModel ? Object.values(req.rewardModel.files) : undefined;
}

export function createStudioStore(options: StudioStoreOptions): StudioStore {
  const { settings } = options;
  const doFetch = options.fetch ?? ((url: string) => fetch(url));
  const saveFile = options.saveFile ?? ((name: string, bytes: ArrayBuffer) => saveBytes(name, bytes));
  const schedule = options.schedule ?? frameScheduler;

  let pendingSteps: StepEvent[] = [];
  let cancelFlush: (() => void) | null = null;
  let pendingStart: Extract<WorkerRequest, { type: 'start-examples' }> | null = null;
  /** Counts Start presses; an encode that finishes after a newer Start or a Stop is dropped. */
  let startToken = 0;
  let encoding = false;
  const dataClient = options.dataClient ?? new DataClient();
  let onSaveError = (message: string) => void message; // set once the store exists
  const recorder = options.recorder !== undefined ? options.recorder : typeof indexedDB !== 'undefined' ? new RunRecorder(undefined, (m) => onSaveError(m)) : null;
  let lastExport: { fileName: string; bytes: ArrayBuffer } | null = null;
  let runCount = 0;

  const options0 = modelOptions(settings.testMode);
  const form0 = initialForm(settings.overrides);
  const read0 = formState(form0, {});

  const store = createStore<StudioState>()((rawSet, get) => {
    /** Every update of the active run also lands in `runs` under its id (one update, one render). */
    const set = (partial: Partial<StudioState>) => {
      const id = partial.activeRunId !== undefined ? partial.activeRunId : get().activeRunId;
      rawSet(partial.run && id ? { ...partial, runs: { ...get().runs, [id]: partial.run } } : partial);
    };
    const flushSteps = () => {
      cancelFlush?.();
      cancelFlush = null;
      if (pendingSteps.length === 0) return;
      const batch = pendingSteps;
      pendingSteps = [];
      set({ run: appendSteps(get().run, batch) });
    };

    /** The settings a start sends: the form's (with what Start decided), or a resumed run's own, unchanged. */
    const configFor = (req: Extract<WorkerRequest, { type: 'start-examples' }>) => {
      const c = get().config;
      if (req.resumeFiles || !c) return req.config;
      return { ...c, packing: req.config.packing, checkpointing: req.config.checkpointing, checkpointEvery: req.config.checkpointEvery };
    };

    /** The worker died or lost its GPU under a run: once the recorder has the stored run, offer to resume it
     * from its last checkpoint (without one, the plain message stays and Start begins again). */
    const offerRecovery = async (message: string, cause: 'crash' | 'device-lost') => {
      const activeId = get().activeRunId;
      const reached = get().run.last?.step ?? 0;
      const stored = await recorder?.interrupted(message).catch(() => null);
      if (!stored || stored.step === null || get().activeRunId !== activeId || get().run.status !== 'error') return;
      const recovery = { storedId: stored.id, step: stored.step, reached, cause };
      set({ run: { ...get().run, error: recoveryMessage(message, recovery), recovery } });
    };

    const onEvent = (e: WorkerEvent, job: Job | null) => {
      if (isPlayEvent(e) || (e.type === 'error' && job === 'play')) {
        // A trained run's adapter is named after the run (its place in this session and its method).
        const order = Object.keys(get().runs);
        const named = e.type === 'adapter-loaded' && order.includes(e.adapter.id)
          ? { ...e, adapter: { ...e.adapter, name: `Run ${order.indexOf(e.adapter.id) + 1} (${e.adapter.method})` } }
          : e;
        set({ playground: reducePlay(get().playground, named), workerAlive: client.alive });
        return;
      }
      const written = recorder?.onEvent(e);
      if (e.type === 'step') {
        pendingSteps.push(e.metrics);
        cancelFlush ??= schedule(flushSteps);
        return;
      }
      flushSteps(); // keep order: steps before the eval/done that follow them
      if (e.type === 'error' && e.cause === 'device-lost') {
        // The worker's GPU backend is gone with its device: end the worker; a resume loads the model afresh.
        const wasTraining = job === 'train';
        client.terminate();
        pendingStart = null;
        set({ ...reduceCrash(slices(get()), e.message, wasTraining ? ['train'] : ['load']), playground: playModelGone(get().playground, null), workerAlive: false });
        if (wasTraining) void offerRecovery(e.message, 'device-lost');
        return;
      }
      set(reduceEvent(slices(get()), e, job === 'play' ? null : job));
      if (e.type === 'ready') {
        // The worker's adapters went with the old model; chat models get their template by default.
        set({ playground: { ...playModelGone(get().playground), chat: e.model.chatTemplate === true } });
        let s = get();
        const form = fitTargetsToModel(s.form, s.model.info);
        set({ form, ...formState(form, formLimits(s)) });
        s = get();
        if (pendingStart) {
          const req = pendingStart;
          pendingStart = null;
          if (s.config || req.resumeFiles) send({ ...req, config: configFor(req) }, rewardTransfer(req));
          else set({ run: { ...s.run, status: 'error', error: 'This model does not fit the settings: fix the highlighted settings.' } });
        }
        if (s.modelSource.kind === 'hub') void actions.refreshCache();
        dataActions.refresh(); // the loaded model's tokenizer and template shape the data report
      } else if (e.type === 'load-cancelled' || (e.type === 'error' && job === 'load')) {
        pendingStart = null;
      } else if (e.type === 'started' && get().run.pending === 'stop') {
        send({ type: 'stop' });
      } else if (e.type === 'done') {
        if (written) {
          // Leaving the page before the final write lands would leave the run 'running' in the store: say when it has.
          const runId = get().activeRunId;
          set({ run: { ...get().run, stored: 'saving' } });
          void written.then(() => {
            const s = get();
            if (s.activeRunId === runId) set({ run: { ...s.run, stored: s.run.saveError ? null : 'saved' } });
          });
        }
        const tps = get().run.last?.tokensPerSec ?? 0;
        if (tps > 0) set({ data: { ...get().data, measuredTokensPerSec: tps } });
        dataActions.refresh();
      } else if (e.type === 'exported') {
        lastExport = { fileName: e.fileName, bytes: e.bytes };
        saveFile(e.fileName, e.bytes);
      }
      set({ workerAlive: client.alive });
    };

    const client = new WorkerClient({
      createWorker: options.createWorker,
      onEvent,
      onCrash: (message, jobs) => {
        flushSteps();
        pendingStart = null;
        const playground = playModelGone(get().playground, jobs.includes('play') ? message : null);
        set({ ...reduceCrash(slices(get()), message, jobs.filter((j) => j !== 'play')), playground, workerAlive: false });
        if (jobs.includes('train')) void offerRecovery(message, 'crash');
      },
    });

    /** Posts a request; a refusal (busy worker) becomes an error where the job is shown. */
    const send = (req: WorkerRequest, transfer?: Transferable[]): boolean => {
      try {
        client.send(req, transfer);
        set({ workerAlive: client.alive });
        return true;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (req.type === 'load') set({ model: { ...get().model, status: 'error', error: message } });
        else if (req.type === 'export') set({ exporting: { ...get().exporting, status: 'error', error: message } });
        else set({ run: { ...get().run, status: 'error', error: message } });
        return false;
      }
    };

    /** A load that fails before reaching the worker: shown as the worker's load errors are. */
    const loadFailed = (message: string) => {
      pendingStart = null;
      set(reduceEvent(slices(get()), { type: 'error', during: 'load', message }));
    };

    const sendLoad = () => {
      const s = get();
      const key = modelKey(s);
      const problem = sourceProblem(s.modelSource);
      if (problem) return loadFailed(problem);
      set({
        model: { ...initialModel, status: 'loading', requestedKey: key, progress: { stage: 'starting', loaded: 0, total: 0 } },
        // The finished run's weights go away with the old model.
        run: s.run.status === 'idle' || s.run.status === 'loading' ? s.run : { ...s.run, stale: true },
      });
      const load = { type: 'load' as const, backend: s.backendChoice, allowFallbackAdapter: s.allowFallbackAdapter, ...(s.baseWeights === 'f32' ? {} : { baseWeights: s.baseWeights }) };
      const { kind, hub, local } = s.modelSource;
      if (kind === 'files' && local) {
        // Read on the page, then transfer (not copy) the buffers; a cancel meanwhile drops the request.
        readFolder(local).then(
          ({ source, transfer }) => get().model.requestedKey === key && send({ ...load, model: source }, transfer),
          (e: unknown) => loadFailed(`Could not read the chosen files: ${e instanceof Error ? e.message : String(e)}`),
        );
        return;
      }
      send({ ...load, model: kind === 'hub' ? hubSource(hub) : selectModelOption(s).source });
    };

    const withForm = (form: ConfigForm) => {
      set({ form, ...formState(form, formLimits(get())) });
      dataActions.refresh(); // the sequence length and the seed shape the data report
    };

    /** The Data step's worker settings for the selected model, sequence length and seed. */
    const dataSettings = () => {
      const s = get();
      const seqLen = s.config?.seqLen ?? (Number(s.form.drafts.seqLen) || 128);
      const tok = dataTokenizer(s);
      return prepareSettings(s.data, tok?.url ?? null, seqLen, splitSeed(s.form), tok?.files);
    };

    const dataActions = createDataActions({
      getData: () => get().data,
      setData: (data) => set({ data }),
      client: dataClient,
      fetch: doFetch,
      settings: dataSettings,
      debounceMs: options.dataDebounceMs ?? 150,
    });

    /** Sends the encoded examples once both they and the model are ready. */
    const startWhenReady = (req: Extract<WorkerRequest, { type: 'start-examples' }>) => {
      const s = get();
      if (s.model.status === 'ready' && s.model.loadedKey === modelKey(s) && client.alive && !client.isBusy('load')) send({ ...req, config: configFor(req) }, rewardTransfer(req));
      else pendingStart = req;
    };

    /** Start (or, with a stored run's checkpoint, resume): encode the Data step's examples, load the model if
     * needed, and send them with the settings (a resumed run keeps its own). */
    const startRun = (resume: StoredResume | null) => {
      const s = get();
      const prepare = dataSettings();
      if (selectStartBlocker(s) !== null || !s.config || !prepare || !s.data.summary) return;
      // Preference objectives train on pairs (or KTO's marked answers), which the Data step encodes as TRL does.
      const settings = { ...prepare, rows: rowsFor((resume?.config ?? s.config).objective) };
      // Checkpointing left on auto is what the memory plan decided for these settings.
      const checkpointing = s.config.checkpointing ?? selectMemoryPlan(s)?.checkpointing ?? false;
      // Runs stored in the browser autosave a checkpoint every AUTOSAVE_EVERY steps unless the config says otherwise.
      const checkpointEvery = s.config.checkpointEvery ?? (recorder ? options.settings.autosaveEvery ?? AUTOSAVE_EVERY : 0);
      const config = resume?.config ?? { ...s.config, packing: s.data.choices.packing, checkpointing, checkpointEvery };
      const dataFile = s.data.summary.fileName;
      const token = ++startToken;
      cancelFlush?.();
      cancelFlush = null;
      pendingSteps = [];
      pendingStart = null;
      lastExport = null;
      const runId = `run-${Date.now().toString(36)}-${++runCount}`;
      // A run continues the playground's chosen adapter when it is of this method.
      const from = s.playground.adapters.find((a) => a.id === s.playground.continueFrom && a.method === config.method);
      // Resuming the run a crash interrupted keeps its curve up to the checkpoint.
      const fresh = initialRun('loading', config.steps, config.method, config.objective?.kind === 'reward');
      const again = resume && s.run.recovery?.storedId === resume.id;
      set({ run: again ? resumedRun(s.run, fresh, resume.step) : fresh, activeRunId: runId, exporting: initialExport });
      void recorder?.start({ name: `${s.modelName} on ${dataFile}`, model: s.modelName, dataName: dataFile, config }, resume ?? undefined);
      if (!client.alive || s.model.status !== 'ready' || s.model.loadedKey !== modelKey(s)) sendLoad();
      // The data worker encodes what the Data step shows while the model loads.
      encoding = true;
      dataClient.encode(settings).then(
        (enc) => {
          if (token !== startToken) return;
          encoding = false;
          if (get().run.status !== 'loading') return; // stopped, or the load failed
          // Training gets train and validation; the test split (token examples) is scored when the run ends.
          const test = enc.test.filter((r): r is { ids: number[]; mask: number[] } => 'ids' in r);
          const scored = options.settings.scoreAtEnd ? { report: true, test, instruction: get().data.summary?.shape !== 'text' } : {};
          const rows = { train: enc.train, validation: enc.validation, truncated: enc.truncated, droppedNoLoss: enc.droppedNoLoss, ...scored };
          const extra = { runId, ...(resume ? { resumeFiles: resume.files } : {}), ...(from && !resume ? { fromAdapter: from.id } : {}) };
          // An RL run scoring with a picked reward model sends its files (read now, transferred).
          const rm = config.objective?.kind === 'rl' && !config.objective.reward ? get().rewardModel.local : null;
          if (!rm) return startWhenReady({ type: 'start-examples', ...rows, config, dataFile, ...extra });
          readFolder(rm).then(
            ({ source }) => token === startToken && source.kind === 'files' && startWhenReady({ type: 'start-examples', ...rows, config, dataFile, ...extra, rewardModel: { name: source.name, files: source.files } }),
            (e: unknown) => set({ run: { ...get().run, status: 'error', error: `Could not read the reward model folder: ${e instanceof Error ? e.message : String(e)}` } }),
          );
        },
        (err: unknown) => {
          if (token !== startToken) return;
          encoding = false;
          const message = err instanceof Error ? err.message : String(err);
          if (get().run.status === 'loading') set({ run: { ...get().run, status: 'error', error: `The Data step could not encode the data: ${message}` } });
        },
      );
    };

    const playActions = createPlaygroundActions({
      get,
      setPlay: (playground) => set({ playground }),
      send,
      dataClient,
      dataSettings,
      setMethod: (method) => {
        if (get().form.method !== method) actions.setMethod(method as Method);
      },
    });

    const actions: StudioActions = {
      ...playActions,
      ...createModelSourceActions({ get, set, send, workerLoading: () => client.isBusy('load'), sourceChanged: () => dataActions.refresh() }),
      async loadSampleIndex() {
        if (get().samples.status === 'loading' || get().samples.status === 'ready') return;
        set({ samples: { status: 'loading', entries: [], error: null } });
        try {
          const res = await doFetch(SAMPLE_INDEX_URL);
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          set({ samples: { status: 'ready', entries: parseSampleIndex(await res.json()), error: null } });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          set({ samples: { status: 'error', entries: [], error: `Could not load the sample list: ${message}` } });
        }
      },

      ...dataActions,

      selectModel(name) {
        if (!get().modelOptions.some((o) => o.name === name)) return;
        set({ modelName: name, modelSource: { ...get().modelSource, kind: 'bundled' } });
        dataActions.refresh(); // another model may bring another tokenizer and template
      },
      setBackend(choice) {
        set({ backendChoice: choice });
      },
      setAllowFallbackAdapter(allow) {
        set({ allowFallbackAdapter: allow });
      },
      setBaseWeights(format) {
        set({ baseWeights: format });
      },
      loadModel() {
        const s = get();
        if (s.model.status === 'loading' || isRunActive(s.run.status) || s.exporting.status === 'exporting') return;
        sendLoad();
      },

      setMethod(method) {
        withForm(switchMethod(get().form, method));
      },
      setField(field, text) {
        withForm(setDraft(get().form, field, text));
      },
      setSchedule(schedule) {
        withForm({ ...get().form, schedule });
      },
      setObjective(objective) {
        withForm({ ...get().form, objective });
      },
      async pickRewardModel(files) {
        const rewardModel = await pickRewardModel(files);
        set({ rewardModel });
        withForm(get().form);
      },
      clearRewardModel() {
        set({ rewardModel: NO_REWARD_MODEL });
        withForm(get().form);
      },
      setObjectiveField(key, value) {
        const form = get().form;
        withForm({ ...form, objectiveValues: { ...form.objectiveValues, [key]: value } });
      },
      setCheckpointing(checkpointing) {
        withForm({ ...get().form, checkpointing });
      },
      toggleListItem(key, name) {
        const form = get().form;
        const list = form.lists[key] ?? [];
        const next = list.includes(name) ? list.filter((m) => m !== name) : [...list, name];
        withForm({ ...form, lists: { ...form.lists, [key]: next } });
      },
      setList(key, names) {
        const form = get().form;
        withForm({ ...form, lists: { ...form.lists, [key]: [...names] } });
      },
      setMemoryBudget(text) {
        set({ memoryBudgetGiB: text });
        saveBudget(text);
      },
      applyMemorySuggestion(index) {
        const s = get();
        const plan = selectMemoryPlan(s);
        const change = plan?.suggestions[index]?.change;
        if (!change) return;
        let form = change.method ? switchMethod(s.form, change.method) : s.form;
        if (change.batchSize !== undefined) form = setDraft(form, 'batchSize', String(change.batchSize));
        if (change.seqLen !== undefined) form = setDraft(form, 'seqLen', String(change.seqLen));
        if (change.checkpointing) form = { ...form, checkpointing: 'on' };
        withForm(form);
        if (change.weightFormat) {
          // Packed base weights are a load option: reload the model with them.
          set({ baseWeights: change.weightFormat });
          get().actions.loadModel();
        }
      },
      setFlag(key, on) {
        const form = get().form;
        withForm({ ...form, flags: { ...form.flags, [key]: on } });
      },
      applyPreset(id) {
        const preset = PRESETS.find((p) => p.id === id);
        if (preset) withForm(applyValues(get().form, preset.values));
      },
      resetSettings() {
        withForm(switchMethod(initialForm(settings.overrides), get().form.method));
      },

      start() {
        startRun(null);
      },
      async resumeStored(id: string) {
        const stored = await recorder?.storedResume(id).catch((e: unknown) => {
          set({ run: { ...get().run, status: 'error', error: e instanceof Error ? e.message : String(e) } });
          return undefined;
        });
        if (stored === null) set({ run: { ...get().run, status: 'error', error: 'This run has no stored checkpoint to resume from' } });
        else if (stored) startRun(stored);
      },
      async downloadCheckpoint() {
        const id = recorder?.activeRunId;
        const stored = id ? await recorder!.storedResume(id).catch(() => null) : null;
        if (!stored) return set({ run: { ...get().run, saveError: 'This run has no stored checkpoint yet: it is written every autosave and by Stop and save.' } });
        const files = Object.fromEntries(Object.entries(stored.files).map(([k, b]) => [k, new Uint8Array(b)]));
        const zip = checkpointZip(`${get().modelName}-${stored.config.method}`, { step: stored.step, files });
        saveFile(zip.fileName, zip.bytes);
      },
      pause() {
        if (get().run.status !== 'running') return;
        set({ run: { ...get().run, pending: 'pause' } });
        send({ type: 'pause' });
      },
      resume() {
        if (get().run.status !== 'paused') return;
        set({ run: { ...get().run, pending: 'resume' } });
        send({ type: 'resume' });
      },
      stop() {
        const s = get();
        if (s.run.status === 'loading' && (pendingStart || encoding)) {
          // Still encoding or loading the model: drop the queued start; the load itself finishes in the background.
          pendingStart = null;
          encoding = false;
          startToken++;
          set({ run: { ...s.run, status: 'stopped' } });
          return;
        }
        if (!isRunActive(s.run.status)) return;
        // Before 'started' the worker may not have a trainer to stop yet: stop again once it does.
        set({ run: { ...s.run, pending: 'stop' } });
        send({ type: 'stop' });
      },
      exportModel(choice) {
        if (!selectCanExport(get())) return;
        lastExport = null;
        set({ exporting: { ...initialExport, status: 'exporting' } });
        send(choice ? { type: 'export', kind: choice.kind, dtype: choice.dtype } : { type: 'export' });
      },
      saveExportAgain() {
        if (lastExport) saveFile(lastExport.fileName, lastExport.bytes);
      },
      downloadHandoff: createHandoffAction({ get, set, client: dataClient, settings: dataSettings, saveFile, runConfig: (s) => (s.config ? { ...s.config, packing: s.data.choices.packing, checkpointing: s.config.checkpointing ?? selectMemoryPlan(s)?.checkpointing ?? false } : null) }),
      dispose() {
        cancelFlush?.();
        cancelFlush = null;
        pendingStart = null;
        client.terminate();
        dataClient.terminate();
        set({ workerAlive: false, model: { ...get().model, status: get().model.status === 'ready' ? 'idle' : get().model.status, loadedKey: null } });
      },
    };

    return {
      settings,
      modelOptions: options0,
      modelName: options0[0].name,
      modelSource: initialModelSource(),
      backendChoice: 'auto',
      allowFallbackAdapter: settings.testMode,
      baseWeights: 'f32',
      memoryBudgetGiB: loadBudget(),
      data: initialData(DEFAULT_VALIDATION_PERCENT),
      samples: { status: 'idle', entries: [], error: null },
      form: form0,
      rewardModel: NO_REWARD_MODEL,
      ...read0,
      model: initialModel,
      run: initialRun(),
      activeRunId: null,
      runs: {},
      exporting: initialExport,
      workerAlive: false,
      handoff: initialHandoff,
      playground: initialPlayground(),
      actions,
    };
  });
  onSaveError = (message) => {
    const s = store.getState();
    const run = { ...s.run, saveError: message };
    store.setState({ run, ...(s.activeRunId ? { runs: { ...s.runs, [s.activeRunId]: run } } : {}) });
  };
  return store;
}
