// Axolotl's preference runs (docs/rlhf.qmd, reward_modelling.qmd): `rl: dpo | ipo | simpo | orpo | kto` with
// rl_beta (ORPO: orpo_alpha, its lambda), simpo_gamma with cpo_alpha 0, dpo_label_smoothing, the KTO weights, or
// `reward_model: true`; and for each the dataset type that carries our records and the row it reads.
import type { Conversation, Turn } from '../../data/types';
import type { TargetInput } from './index';
import type { HandoffObjective } from './preference';
import { ROLE, text } from './records';
import type { YamlValue } from './yaml';

type Row = Record<string, unknown>;
type Map = { [k: string]: YamlValue };

const message = (t: Turn) => ({ role: ROLE[t.role], content: text(t) });
const answer = (r: Conversation) => r.turns[r.turns.length - 1];

/** A prompt that is one user turn (after an optional system turn), as Axolotl's string formats hold it. */
function singleTurn(r: Conversation, format: string): { system?: string; prompt: string } {
  const before = r.turns.slice(0, -1);
  const system = before[0]?.role === 'system' ? before[0].content : undefined;
  const rest = system === undefined ? before : before.slice(1);
  if (rest.length !== 1 || rest[0].role !== 'user') {
    throw new Error(`Line ${r.line} has ${before.length} turns before its answer, but Axolotl's ${format} format holds one user prompt: hand multi-turn data off to TRL or LLaMA-Factory`);
  }
  return { ...(system !== undefined ? { system } : {}), prompt: text(rest[0]) };
}

export interface AxolotlPreference {
  config: Map;
  dataset: Map;
  row: (r: Conversation) => Row;
}

export function axolotlPreference(t: TargetInput, o: Exclude<HandoffObjective, { kind: 'sft' }>): AxolotlPreference {
  const chat = t.kind === 'chat';
  if (o.kind === 'reward') {
    if (!chat) throw new Error("Axolotl's reward-model datasets (bradley_terry.chat_template) apply a chat template; these records are plain prompt/completion pairs: hand them off to TRL or LLaMA-Factory");
    return {
      config: { reward_model: true, model_type: 'AutoModelForSequenceClassification', num_labels: 1 },
      dataset: { type: 'bradley_terry.chat_template' },
      row: (r) => {
        const { system, prompt } = singleTurn(r, 'bradley_terry.chat_template');
        return { ...(system !== undefined ? { system } : {}), input: prompt, chosen: text(answer(r)), rejected: text(r.rejected!) };
      },
    };
  }
  if (o.kind === 'kto') {
    const config = { rl: 'kto', rl_beta: o.beta, kto_desirable_weight: o.desirableWeight, kto_undesirable_weight: o.undesirableWeight, remove_unused_columns: false };
    if (!chat) {
      return {
        config,
        dataset: { type: { field_prompt: 'prompt', field_completion: 'completion', field_label: 'label', prompt_format: '{prompt}', completion_format: '{completion}' } },
        row: (r) => ({ prompt: text(r.turns[0]), completion: text(answer(r)), label: r.label }),
      };
    }
    const type = { chatml: 'chatml.ultra', llama3: 'llama3.ultra' }[t.template];
    if (!type) throw new Error(`Axolotl's KTO chat formats are ChatML's and Llama-3's; this run uses the "${t.template}" template: pick one of those, or hand off to TRL or LLaMA-Factory`);
    return { config, dataset: { type }, row: (r) => ({ ...singleTurn(r, type), completion: text(answer(r)), label: r.label }) };
  }
  if (o.loss === 'hinge') throw new Error("Axolotl has no hinge loss (its rl types are dpo, ipo, simpo, orpo and kto): hand this run off to TRL or LLaMA-Factory");
  const rl = { sigmoid: 'dpo', ipo: 'ipo', simpo: 'simpo', orpo: 'orpo' }[o.loss];
  const config: Map = o.loss === 'orpo'
    ? { rl, orpo_alpha: o.beta, remove_unused_columns: false }
    : { rl, rl_beta: o.beta, ...(o.loss === 'simpo' ? { simpo_gamma: o.simpoGamma, cpo_alpha: 0 } : {}), ...(o.loss === 'sigmoid' && o.labelSmoothing > 0 ? { dpo_label_smoothing: o.labelSmoothing } : {}) };
  if (o.loss === 'orpo') {
    if (!chat) throw new Error("Axolotl's ORPO datasets (chat_template.argilla) apply a chat template; these records are plain prompt/completion pairs: hand them off to TRL or LLaMA-Factory");
    const whole = (r: Conversation, last: Turn) => [...r.turns.slice(0, -1), last].map(message);
    return { config, dataset: { type: 'chat_template.argilla' }, row: (r) => ({ chosen: whole(r, answer(r)), rejected: whole(r, r.rejected!) }) };
  }
  if (chat) {
    return {
      config,
      dataset: { type: 'chat_template.default', field_messages: 'messages', field_chosen: 'chosen', field_rejected: 'rejected', message_property_mappings: { role: 'role', content: 'content' } },
      row: (r) => ({ messages: r.turns.slice(0, -1).map(message), chosen: message(answer(r)), rejected: message(r.rejected!) }),
    };
  }
  return {
    config,
    dataset: { type: { field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', prompt_format: '{prompt}', chosen_format: '{chosen}', rejected_format: '{rejected}' } },
    row: (r) => ({ prompt: text(r.turns[0]), chosen: text(answer(r)), rejected: text(r.rejected!) }),
  };
}
