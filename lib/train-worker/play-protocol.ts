// The playground's messages to and from the training worker (zod-checked like the rest of protocol.ts, which
// spreads these into its request union): streamed generation from the base model and adapters kept by id,
// adapter import from files, an adapter's validation loss, and the exact-match comparison with a few-shot baseline.
import { z } from 'zod';

const tokenExampleSchema = z.object({ ids: z.array(z.number().int().min(0)), mask: z.array(z.number().int().min(0).max(1)) });

/** Sampling settings shared by every output of one generate request (same seed for base and tuned). */
export const samplingSchema = z.object({
  maxNewTokens: z.number().int().min(1).max(4096),
  temperature: z.number().min(0).max(10), // 0 = greedy
  topK: z.number().int().min(0), // 0 = whole vocabulary
  topP: z.number().gt(0).max(1),
  repetitionPenalty: z.number().positive().max(10), // 1 = off
  seed: z.number().int(),
  stop: z.array(z.string().min(1)).max(16),
});
export type Sampling = z.infer<typeof samplingSchema>;

export const playRequestSchemas = [
  /** Generates for each target in turn (null adapter = the base model), streaming 'token' events. */
  z.object({
    type: z.literal('generate'),
    id: z.number().int(),
    prompt: z.string(),
    /** Render the prompt as a user turn with the model's chat template (else the text is continued as is). */
    chat: z.boolean(),
    sampling: samplingSchema,
    targets: z.array(z.object({
      key: z.string().min(1),
      adapter: z.string().nullable(),
      /** Few-shot: the first `shots` of these training examples (as many as fit) written before the prompt. */
      fewShot: z.object({ shots: z.number().int().min(1).max(32), train: z.array(tokenExampleSchema) }).optional(),
    })).min(1).max(8),
  }),
  /** Stops the generation or comparison in progress; the worker answers 'play-done' with cancelled: true. */
  z.object({ type: z.literal('cancel-play') }),
  /** An adapter folder (relative path -> bytes) or one .zip, checked against the loaded base and kept as `id`. */
  z.object({ type: z.literal('load-adapter'), id: z.string().min(1), name: z.string(), files: z.record(z.string(), z.instanceof(ArrayBuffer)) }),
  /** Validation loss and perplexity of an adapter (null = the base model) on the Data step's validation split. */
  z.object({ type: z.literal('evaluate-adapter'), id: z.number().int(), adapter: z.string().nullable(), validation: z.array(tokenExampleSchema).min(1) }),
  /** Exact-match rate on the test split of the base model, the base with `shots` training examples in its prompt,
   * and the tuned adapter. */
  z.object({
    type: z.literal('compare'),
    id: z.number().int(),
    adapter: z.string().nullable(),
    shots: z.number().int().min(0).max(32),
    train: z.array(tokenExampleSchema),
    test: z.array(tokenExampleSchema).min(1),
  }),
] as const;

/** What the page knows of an adapter the worker keeps (a trained run's, or one loaded from files). */
export interface AdapterInfo {
  id: string;
  name: string;
  method: string; // registry id (lora, dora, ...)
  /** The base model the adapter's config names, when it names one. */
  base?: string;
  trainableParams: number;
}

export interface ExactMatchSummary {
  rate: number;
  matched: number;
  total: number;
  /** The first few answers, to look at by eye. */
  answers: { prompt: string; expected: string; got: string; match: boolean }[];
}

export type PlayEvent =
  | { type: 'token'; id: number; key: string; token: number; text: string }
  | { type: 'generated'; id: number; key: string; text: string; ids: number[]; reason: 'length' | 'eos' | 'stop'; promptTokens: number }
  | { type: 'adapter-loaded'; adapter: AdapterInfo }
  /** The adapter does not fit the loaded base, or is of a type the studio does not run: `problems` in plain words. */
  | { type: 'adapter-refused'; id: string; name: string; message: string; problems: string[] }
  | { type: 'evaluated'; id: number; adapter: string | null; loss: number; perplexity: number; tokens: number }
  | { type: 'compare-progress'; id: number; stage: string; done: number; total: number }
  | { type: 'compared'; id: number; shots: number; base: ExactMatchSummary; fewShot: ExactMatchSummary; tuned: ExactMatchSummary | null }
  /** Closes every playground request (the play job), after its results. */
  | { type: 'play-done'; request: 'generate' | 'load-adapter' | 'evaluate-adapter' | 'compare'; cancelled: boolean };

export const PLAY_EVENT_TYPES: ReadonlySet<string> = new Set(['token', 'generated', 'adapter-loaded', 'adapter-refused', 'evaluated', 'compare-progress', 'compared', 'play-done']);

export function isPlayEvent(e: { type: string }): e is PlayEvent {
  return PLAY_EVENT_TYPES.has(e.type);
}
