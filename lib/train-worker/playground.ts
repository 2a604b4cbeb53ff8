// The worker side of the playground: the adapters kept by id over the loaded base model (trained runs' and ones
// loaded from files), streamed generation for the base and any of them with one set of sampling settings, an
// adapter's validation loss, and the exact-match comparison of base, few-shot base and tuned on the test split.
import { chooseTemplate } from '../data/chat-template';
import { evaluateExamples, exactMatch, type EvalModel, type ExactMatchResult } from '../engine/evaluate';
import { fewShotContext, pickShots, queryRoom } from '../engine/few-shot';
import { generateWithReason, type GenerateOptions } from '../engine/generate';
import { Turns } from './turns';
import { tokenizerConfigOf, type LoadedModel } from '../engine/loader';
import { methodForPeftType } from '../engine/peft/methods';
import type { PeftFiles, TrainableState } from '../engine/peft/types';
import { adapterPositions } from '../engine/sequence';
import type { Trainer } from '../engine/trainer';
import { maxPositions, type Example } from '../engine/types';
import { AdapterMismatchError, importAdapter, readAdapterFolder, readAdapterZip } from '../export/import-adapter';
import type { AdapterInfo, ExactMatchSummary, PlayEvent, Sampling } from './play-protocol';
import type { WorkerEvent, WorkerRequest } from './protocol';

type Post = (event: WorkerEvent) => void;

/** What generation and scoring read through a loaded adapter: its weight map and forward change, and the base
 * model's packed linears when it was loaded with them. */
function adapterView(model: LoadedModel, state: TrainableState): EvalModel {
  return { config: model.config, weights: state.weights, adapter: state.adapter, packed: model.packed };
}
export type PlayRequest = Extract<WorkerRequest, { type: 'generate' | 'cancel-play' | 'load-adapter' | 'evaluate-adapter' | 'compare' }>;

interface Kept {
  info: AdapterInfo;
  /** What generation and evaluation read now (a trainer's: its current, or best, weights). */
  model(): EvalModel;
  /** The PEFT files it was loaded from: a fresh copy of the state for continued training. */
  files?: PeftFiles;
  /** A finished run's trainer, until the next run (then slimmed to its adapter). */
  trainer?: Trainer;
  dispose(): void;
}

class Cancelled extends Error {}

const SHOWN_ANSWERS = 5;

/** The engine's generation options for the protocol's sampling settings. */
export function generateOptions(s: Sampling, eosId: number | undefined, decode: (ids: number[]) => string): GenerateOptions {
  return {
    maxNewTokens: s.maxNewTokens,
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    repetitionPenalty: s.repetitionPenalty,
    seed: s.seed,
    eosId,
    stop: s.stop.length ? { sequences: s.stop, decode } : undefined,
  };
}

/** A folder's file by name: the shallowest path that ends with it (a picked folder's paths start with its name). */
function folderSource(files: Record<string, ArrayBuffer>) {
  return async (name: string) => {
    const key = Object.keys(files).filter((k) => k === name || k.endsWith(`/${name}`)).sort((a, b) => a.length - b.length)[0];
    return key ? new Uint8Array(files[key]) : null;
  };
}

export class Playground {
  private readonly kept = new Map<string, Kept>();
  private cancelRequested = false;

  constructor(private readonly post: Post, private readonly model: () => LoadedModel | null, private readonly training: () => boolean) {}

  async handle(req: PlayRequest): Promise<void> {
    if (req.type === 'cancel-play') {
      this.cancelRequested = true;
      return;
    }
    this.cancelRequested = false;
    let cancelled = false;
    try {
      if (req.type === 'generate') await this.generate(req);
      else if (req.type === 'load-adapter') await this.loadAdapter(req);
      else if (req.type === 'evaluate-adapter') await this.evaluate(req);
      else await this.compare(req);
    } catch (e) {
      if (!(e instanceof Cancelled)) {
        this.post({ type: 'error', during: 'play', message: e instanceof Error ? e.message : String(e) });
        return;
      }
      cancelled = true;
    }
    this.post({ type: 'play-done', request: req.type, cancelled });
  }

  /** Keeps a finished run's trainer under the store's run id (the playground's "tuned" model). */
  keepRun(id: string, name: string, trainer: Trainer, method: string): void {
    this.drop(id);
    const info: AdapterInfo = { id, name, method, trainableParams: trainer.trainableParamCount() };
    this.kept.set(id, { info, trainer, model: () => trainer.evalModel(), dispose: () => trainer.dispose() });
    this.post({ type: 'adapter-loaded', adapter: info });
  }

  /** True when `id` is a run's trainer this playground owns (the session must not dispose it). */
  keeps(id: string | undefined): boolean {
    return id !== undefined && this.kept.has(id);
  }

  /** Before the next run: a kept run's trainer (with its optimizer moments) becomes its adapter alone, loaded
   * from the files it saves, so it can also be continued. Methods without adapter files keep the trainer. */
  async slim(id: string | undefined, model: LoadedModel): Promise<void> {
    const kept = id === undefined ? undefined : this.kept.get(id);
    if (!kept?.trainer?.trainable.save) return;
    const files = await kept.trainer.exportAdapter(model.name);
    const state = methodForPeftType(files.config.peft_type, files.config).load!(files, model.config, model.weights);
    kept.trainer.dispose();
    this.kept.set(kept.info.id, { info: kept.info, files, model: () => adapterView(model, state), dispose: () => state.dispose() });
  }

  /** A fresh trainable state of a kept adapter, from its files (a run's: saved now), for continued training (the
   * caller owns it). */
  async stateFor(id: string, method: string, model: LoadedModel) {
    const kept = this.kept.get(id);
    if (!kept) throw new Error(`The adapter "${id}" is no longer loaded: load it again in the playground`);
    if (kept.info.method !== method) throw new Error(`${kept.info.name} is a ${kept.info.method} adapter: choose ${kept.info.method} as the method to continue it`);
    const files = kept.files ?? (kept.trainer?.trainable.save ? await kept.trainer.exportAdapter(model.name) : null);
    if (!files) throw new Error(`${kept.info.name} has no adapter files to continue from (its method trains the model itself)`);
    return methodForPeftType(files.config.peft_type, files.config).load!(files, model.config, model.weights);
  }

  /** Frees every kept adapter (the base model changes or goes). */
  clear(): void {
    for (const k of this.kept.values()) k.dispose();
    this.kept.clear();
  }

  private drop(id: string): void {
    this.kept.get(id)?.dispose();
    this.kept.delete(id);
  }

  private need(): LoadedModel {
    const model = this.model();
    if (!model) throw new Error('Load a model first: the playground runs on the loaded base model');
    if (this.training()) throw new Error('A run is training: the playground works once it has finished or been stopped');
    return model;
  }

  private target(model: LoadedModel, adapter: string | null): EvalModel {
    if (adapter === null) return { config: model.config, weights: model.weights, packed: model.packed };
    const kept = this.kept.get(adapter);
    if (!kept) throw new Error(`The adapter "${adapter}" is not loaded (the model was reloaded since): load it again`);
    return kept.model();
  }

  private checkCancel(): void {
    if (this.cancelRequested) throw new Cancelled('cancelled');
  }

  private promptIds(model: LoadedModel, prompt: string, chat: boolean): number[] {
    if (!chat) return model.tokenizer.encode(prompt);
    const template = chooseTemplate('auto', tokenizerConfigOf(model));
    return model.tokenizer.encode(template.render([{ role: 'user', content: prompt }], { addGenerationPrompt: true }));
  }

  private async generate(req: Extract<PlayRequest, { type: 'generate' }>): Promise<void> {
    const model = this.need();
    const tok = model.tokenizer;
    const decode = (ids: number[]) => tok.decode(ids);
    const prompt = this.promptIds(model, req.prompt, req.chat);
    // Every output at once, their tokens posted in turn (base, tuned, base, tuned, ...), the same seed for each.
    const turns = new Turns(req.targets.map((t) => t.key));
    const one = async (t: (typeof req.targets)[number]) => {
      const m = this.target(model, t.adapter);
      const room = prompt.length + req.sampling.maxNewTokens;
      const shots = t.fewShot ? pickShots(t.fewShot.train as Example[], t.fewShot.shots, maxPositions(model.config), room, tok.eosId) : [];
      const ids = shots.length ? [...fewShotContext(shots, tok.eosId), ...prompt] : prompt;
      const out: number[] = [];
      const opts: GenerateOptions = {
        ...generateOptions(req.sampling, tok.eosId, decode),
        onToken: async (token) => {
          await turns.take(t.key);
          out.push(token);
          this.post({ type: 'token', id: req.id, key: t.key, token, text: decode(out) });
          this.checkCancel();
          turns.next(t.key);
        },
      };
      try {
        const res = await generateWithReason(m.config, m.weights, m.adapter, ids, { ...opts, packed: m.packed });
        await turns.take(t.key);
        this.post({ type: 'generated', id: req.id, key: t.key, text: decode(res.ids), ids: res.ids, reason: res.reason, promptTokens: ids.length });
        turns.leave(t.key);
      } catch (e) {
        turns.fail(e);
        throw e;
      }
    };
    const results = await Promise.allSettled(req.targets.map(one));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async loadAdapter(req: Extract<PlayRequest, { type: 'load-adapter' }>): Promise<void> {
    const model = this.need();
    const names = Object.keys(req.files);
    const zip = names.length === 1 && /\.zip$/i.test(names[0]);
    const files = zip ? await readAdapterZip(new Uint8Array(req.files[names[0]]), req.name) : await readAdapterFolder(folderSource(req.files), req.name);
    let state;
    try {
      state = importAdapter(files, model);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const problems = e instanceof AdapterMismatchError ? e.problems : [message];
      this.post({ type: 'adapter-refused', id: req.id, name: req.name, message, problems });
      return;
    }
    const method = methodForPeftType(files.config.peft_type, files.config).id;
    const base = typeof files.config.base_model_name_or_path === 'string' ? files.config.base_model_name_or_path : undefined;
    const trainableParams = state.variables.reduce((n, v) => n + v.size, 0);
    const info: AdapterInfo = { id: req.id, name: req.name, method, ...(base ? { base } : {}), trainableParams };
    this.drop(req.id);
    this.kept.set(req.id, { info, files, model: () => adapterView(model, state), dispose: () => state.dispose() });
    this.post({ type: 'adapter-loaded', adapter: info });
  }

  private async evaluate(req: Extract<PlayRequest, { type: 'evaluate-adapter' }>): Promise<void> {
    const model = this.need();
    const m = this.target(model, req.adapter);
    const cut = maxPositions(model.config) - adapterPositions(m.adapter);
    const examples = (req.validation as Example[]).map((e) => (e.ids.length > cut ? { ids: e.ids.slice(0, cut), mask: e.mask.slice(0, cut) } : e));
    const r = await evaluateExamples(m, examples);
    this.post({ type: 'evaluated', id: req.id, adapter: req.adapter, loss: r.loss, perplexity: r.perplexity, tokens: r.tokens });
  }

  private async compare(req: Extract<PlayRequest, { type: 'compare' }>): Promise<void> {
    const model = this.need();
    const tok = model.tokenizer;
    const decode = (ids: number[]) => tok.decode(ids);
    const test = req.test as Example[];
    const base = this.target(model, null);
    const tuned = req.adapter === null ? null : this.target(model, req.adapter);
    const shots = pickShots(req.train as Example[], req.shots, maxPositions(model.config), queryRoom(test, tok.eosId, 8), tok.eosId);
    const stages: [string, EvalModel, number[] | undefined][] = [
      ['base model', base, undefined],
      [`base model with ${shots.length} examples in its prompt`, base, fewShotContext(shots, tok.eosId)],
      ...(tuned ? [['tuned model', tuned, undefined] as [string, EvalModel, undefined]] : []),
    ];
    const results: ExactMatchSummary[] = [];
    for (const [stage, m, context] of stages) {
      const progress = (done: number, total: number) => {
        this.post({ type: 'compare-progress', id: req.id, stage, done, total });
        this.checkCancel();
      };
      progress(0, test.length);
      results.push(summary(await exactMatch(m, test, decode, tok.eosId, { context, onAnswer: progress })));
    }
    this.post({ type: 'compared', id: req.id, shots: shots.length, base: results[0], fewShot: results[1], tuned: results[2] ?? null } satisfies PlayEvent);
  }
}

function summary(r: ExactMatchResult): ExactMatchSummary {
  return { rate: r.rate, matched: r.matched, total: r.total, answers: r.answers.slice(0, SHOWN_ANSWERS) };
}
