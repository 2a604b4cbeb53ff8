// The playground's state and its pure transitions on the worker's playground events (streamed tokens, adapters
// kept or refused, evaluation and comparison results), and on errors and crashes of the play job.
import type { AdapterInfo, PlayEvent } from '../train-worker/play-protocol';
import { initialSamplingForm, type SamplingForm } from './playground-form';

/** The base model's key among the outputs and evaluations. */
export const BASE_KEY = 'base';
/** The few-shot base model's key among the outputs. */
export const FEW_SHOT_KEY = 'few-shot';

export type PlayStatus = 'idle' | 'generating' | 'loading-adapter' | 'evaluating' | 'comparing';

export interface PlayOutput {
  text: string;
  tokens: number;
  /** Why it stopped (null while streaming or when cancelled). */
  reason: 'length' | 'eos' | 'stop' | null;
  streaming: boolean;
}

export interface CompareResult {
  shots: number;
  base: { rate: number; matched: number; total: number };
  fewShot: { rate: number; matched: number; total: number };
  tuned: { rate: number; matched: number; total: number } | null;
  tunedName: string | null;
  answers: { prompt: string; expected: string; base: string; fewShot: string; tuned: string | null }[];
}

export interface PlaygroundState {
  prompt: string;
  /** Render the prompt with the model's chat template (on by default for chat models). */
  chat: boolean;
  sampling: SamplingForm;
  /** Adapters kept by the worker (trained runs and files), in the order they came. */
  adapters: AdapterInfo[];
  /** Adapter ids shown beside the base model, in order. */
  selected: string[];
  outputs: Record<string, PlayOutput>;
  status: PlayStatus;
  /** Cancel pressed; the worker has not answered yet. */
  cancelling: boolean;
  error: string | null;
  /** The last adapter the worker refused, with what does not match. */
  refusal: { name: string; message: string; problems: string[] } | null;
  /** Validation loss by adapter id (BASE_KEY: the base model). */
  evaluations: Record<string, { loss: number; perplexity: number; tokens: number }>;
  /** Examples from the training split written before the prompt, for the few-shot baseline (as typed). */
  shots: string;
  /** Also answer with the few-shot base model beside the others. */
  fewShotOutput: boolean;
  progress: { stage: string; done: number; total: number } | null;
  compare: CompareResult | null;
  /** Which adapter the next training run continues (the Train step shows it), or null for a fresh one. */
  continueFrom: string | null;
}

export function initialPlayground(): PlaygroundState {
  return {
    prompt: '',
    chat: false,
    sampling: initialSamplingForm(),
    adapters: [],
    selected: [],
    outputs: {},
    status: 'idle',
    cancelling: false,
    error: null,
    refusal: null,
    evaluations: {},
    shots: '3',
    fewShotOutput: false,
    progress: null,
    compare: null,
    continueFrom: null,
  };
}

function withOutput(p: PlaygroundState, key: string, patch: Partial<PlayOutput>): PlaygroundState {
  const prev = p.outputs[key] ?? { text: '', tokens: 0, reason: null, streaming: true };
  return { ...p, outputs: { ...p.outputs, [key]: { ...prev, ...patch } } };
}

export function reducePlay(p: PlaygroundState, e: PlayEvent | { type: 'error'; message: string }): PlaygroundState {
  switch (e.type) {
    case 'token':
      return withOutput(p, e.key, { text: e.text, tokens: (p.outputs[e.key]?.tokens ?? 0) + 1, streaming: true, reason: null });
    case 'generated':
      return withOutput(p, e.key, { text: e.text, tokens: e.ids.length, streaming: false, reason: e.reason });
    case 'adapter-loaded': {
      const adapters = [...p.adapters.filter((a) => a.id !== e.adapter.id), e.adapter];
      // A newly kept adapter is shown beside the base at once.
      const selected = p.selected.includes(e.adapter.id) ? p.selected : [...p.selected, e.adapter.id];
      return { ...p, adapters, selected, refusal: null };
    }
    case 'adapter-refused':
      return { ...p, refusal: { name: e.name, message: e.message, problems: e.problems } };
    case 'evaluated':
      return { ...p, evaluations: { ...p.evaluations, [e.adapter ?? BASE_KEY]: { loss: e.loss, perplexity: e.perplexity, tokens: e.tokens } } };
    case 'compare-progress':
      return { ...p, progress: { stage: e.stage, done: e.done, total: e.total } };
    case 'compared': {
      const tunedName = p.adapters.find((a) => a.id === p.selected[0])?.name ?? null;
      const answers = e.base.answers.map((a, i) => ({ prompt: a.prompt, expected: a.expected, base: a.got, fewShot: e.fewShot.answers[i]?.got ?? '', tuned: e.tuned?.answers[i]?.got ?? null }));
      const rate = (r: { rate: number; matched: number; total: number }) => ({ rate: r.rate, matched: r.matched, total: r.total });
      return { ...p, compare: { shots: e.shots, base: rate(e.base), fewShot: rate(e.fewShot), tuned: e.tuned && rate(e.tuned), tunedName, answers } };
    }
    case 'play-done': {
      // Outputs cut short by a cancel stop streaming where they are.
      const outputs = Object.fromEntries(Object.entries(p.outputs).map(([k, o]) => [k, o.streaming ? { ...o, streaming: false } : o]));
      return { ...p, outputs, status: 'idle', cancelling: false, progress: e.cancelled ? null : p.progress };
    }
    case 'error':
      return { ...p, status: 'idle', cancelling: false, progress: null, error: e.message };
  }
}

/** The model went away (reload or crash): the worker's adapters with it. */
export function playModelGone(p: PlaygroundState, message: string | null = null): PlaygroundState {
  return { ...p, adapters: [], selected: [], status: 'idle', cancelling: false, progress: null, evaluations: {}, continueFrom: null, error: message ?? p.error };
}
