// Test helper: the start-examples request the studio sends, built from plain records by encoding them with the
// demo model's tokenizer (the tokenizer of test mode's tiny models) as the Data step's worker does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseTemplate } from '../data/chat-template';
import { encodeConversations } from '../data/encode-chat';
import { encodePreferenceSet } from '../data/encode-preference';
import { conversationPrompts, encodePrompts } from '../data/prompts';
import { fromTrainRecord } from '../data/normalize';
import type { Conversation, TrainRecord } from '../data/types';
import { loadTokenizer } from '../engine/loader';
import { isUnpaired } from '../engine/objectives/config';
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
