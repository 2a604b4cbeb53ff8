// Test helper: the start-examples request the studio sends, built from plain records by encoding them with the
// demo model's tokenizer (the tokenizer of test mode's tiny models) as the Data step's worker does; and the
// session set-up the objective tests share: the tiny random Llama's load with the demo tokenizer served to it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import { chooseTemplate } from '../data/chat-template';
import { encodeConversations } from '../data/encode-chat';
import { encodePreferenceSet } from '../data/encode-preference';
import { conversationPrompts, encodePrompts } from '../data/prompts';
import { fromTrainRecord } from '../data/normalize';
import type { Conversation, TrainRecord } from '../data/types';
import { loadTokenizer } from '../engine/loader';
import { isUnpaired } from '../engine/objectives/config';
import { defaultTrainConfig } from '../engine/defaults';
import type { TrainConfig } from '../engine/types';
import type { WorkerRequest } from './protocol';

const DEMO = join(import.meta.dirname, '../../public/models/webtune-demo');

type StartExamples = Extract<WorkerRequest, { type: 'start-examples' }>;
type Rec = TrainRecord | Conversation;

export async function demoTokenizer() {
  return loadTokenizer(async (name) => {
    try {
      return new Uint8Array(readFileSync(join(DEMO, name)));
    } catch {
      return null;
    }
  });
}

/** The studio's load of test mode's tiny random Llama, its tokenizer fetched from /m/ (see stubDemoTokenizerFetch). */
export const TINY_LLAMA_LOAD = { type: 'load', model: { kind: 'tiny-random', name: 't', tokenizerUrl: '/m/', seed: 0, family: 'llama' }, backend: 'cpu', allowFallbackAdapter: true } as const;

/** Serves the demo tokenizer's files at /m/ to the session's fetch (undo with vi.unstubAllGlobals). */
export function stubDemoTokenizerFetch(): void {
  const files = new Map(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(DEMO, f)))]));
  vi.stubGlobal('fetch', async (url: string) => {
    const bytes = files.get(url.replace(/^\/m\//, ''));
    return bytes ? new Response(new Uint8Array(bytes)) : new Response(null, { status: 404 });
  });
}

/** A 2-step LoRA run on the attention's q and v, batch 2 x 32 tokens, with the given objective. */
export function tinyLoraRun(objective: TrainConfig['objective'], evalEvery: number): TrainConfig {
  const base = defaultTrainConfig('lora');
  return { ...base, steps: 2, batchSize: 2, seqLen: 32, evalEvery, lora: { ...base.lora, targetModules: ['q_proj', 'v_proj'] }, objective };
}

/** Records (prompt/completion or Conversations) encoded for `config` (pairs for preference objectives, prompts for RL). */
export async function startExamples(train: Rec[], validation: Rec[], config: TrainConfig, extra: Partial<StartExamples> = {}): Promise<StartExamples> {
  const { tokenizer, files } = await demoTokenizer();
  const tokConfig = JSON.parse(new TextDecoder().decode(files['tokenizer_config.json']));
  const convs = (rs: Rec[]) => rs.map((r, i) => ('turns' in r ? r : fromTrainRecord(r, i + 1)));
  const opts = { template: chooseTemplate('auto', tokConfig), seqLen: config.seqLen };
  if (config.objective?.kind === 'rl') {
    // RL reads prompts (the completion, if any, is the reference answer), as the Data step's 'prompts' rows.
    const enc = (rs: Rec[]) => encodePrompts(tokenizer, conversationPrompts(convs(rs)), opts.template);
    return { type: 'start-examples', train: enc(train), validation: enc(validation), config, truncated: 0, droppedNoLoss: 0, ...extra };
  }
  if (config.objective) {
    const enc = (rs: Rec[]) => encodePreferenceSet(tokenizer, convs(rs), { ...opts, unpaired: isUnpaired(config.objective!) });
    const t = enc(train);
    return { type: 'start-examples', train: t.examples, validation: enc(validation).examples, config, truncated: t.truncated, droppedNoLoss: 0, ...extra };
  }
  const t = encodeConversations(tokenizer, convs(train), opts);
  const v = encodeConversations(tokenizer, convs(validation), opts);
  return { type: 'start-examples', train: t.examples, validation: v.examples, config, truncated: t.truncated, droppedNoLoss: t.droppedNoLoss, ...extra };
}
