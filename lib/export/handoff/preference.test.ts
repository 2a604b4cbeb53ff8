// Preference hand-off bundles (DPO / cDPO / hinge / IPO / SimPO / ORPO, KTO, reward model) for TRL, Axolotl and
// LLaMA-Factory: the data files parse back with our inspector as the target's format with the same record count (KTO:
// each pair a desirable and an undesirable answer), every config key is one the target's documentation names, and
// the objective's settings (beta, loss type, smoothing, gamma, KTO weights) carry over.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../../cli/data-args';
import { parseDataset, parseDatasetText } from '../../data/dataset';
import { splitDataset } from '../../data/split3';
import type { Conversation } from '../../data/types';
import { defaultPreferenceConfig, type ObjectiveConfig, type PreferenceLossType } from '../../engine/objectives/config';
import { parseModelConfig } from '../../engine/model-config';
import { tinyRawConfig } from '../../engine/test-checkpoints';
import { tinyTrainConfig } from '../../engine/test-utils';
import { computeMemoryPlan } from '../../stores/memory';
import { zipBundle } from '../bundle';
import type { RunSummary } from '../model-card';
import { handoffBundle, type HandoffTarget } from '.';
import { handoffMemory } from './plan';

const DATA = join(import.meta.dirname, '../../../../shared/data');
const dir = mkdtempSync(join(tmpdir(), 'webtune-pref-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Keys as each target's documentation names them (read 2026-12).
// TRL: transformers TrainingArguments, then DPOConfig / CPOConfig / ORPOConfig / KTOConfig / RewardConfig (trl docs,
// trl/trainer/*_config.py), peft.LoraConfig.
const TRAINING_ARGUMENTS = ['output_dir', 'max_steps', 'per_device_train_batch_size', 'gradient_accumulation_steps', 'learning_rate', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'warmup_steps', 'lr_scheduler_type', 'lr_scheduler_kwargs', 'max_grad_norm', 'seed', 'gradient_checkpointing', 'eval_strategy', 'eval_steps', 'logging_steps', 'save_strategy', 'save_steps', 'bf16', 'report_to'];
const TRL_CONFIG: Record<string, string[]> = {
  DPOConfig: ['beta', 'loss_type', 'label_smoothing', 'max_length', 'precompute_ref_log_probs'],
  CPOConfig: ['beta', 'loss_type', 'simpo_gamma', 'cpo_alpha', 'max_length'],
  ORPOConfig: ['beta', 'max_length'],
  KTOConfig: ['beta', 'desirable_weight', 'undesirable_weight', 'max_length', 'precompute_ref_log_probs'],
  RewardConfig: ['max_length'],
};
const PEFT_LORA = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_rslora', 'layers_to_transform', 'bias', 'task_type'];
// Axolotl: docs/rlhf.qmd, reward_modelling.qmd, utils/schemas/config.py (rl, rl_beta, orpo_alpha, simpo_gamma, cpo_alpha,
// kto_*_weight, remove_unused_columns, reward_model, num_labels, dpo_label_smoothing) and its SFT keys.
const AXOLOTL = ['base_model', 'datasets', 'test_datasets', 'val_set_size', 'chat_template', 'dataset_prepared_path', 'output_dir', 'sequence_len', 'sample_packing', 'adapter', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'peft_use_rslora', 'peft_layers_to_transform', 'micro_batch_size', 'gradient_accumulation_steps', 'max_steps', 'optimizer', 'lr_scheduler', 'learning_rate', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'warmup_steps', 'gradient_checkpointing', 'train_on_inputs', 'bf16', 'seed', 'logging_steps', 'eval_steps',
  'rl', 'rl_beta', 'orpo_alpha', 'simpo_gamma', 'cpo_alpha', 'dpo_label_smoothing', 'kto_desirable_weight', 'kto_undesirable_weight', 'remove_unused_columns', 'reward_model', 'model_type', 'num_labels'];
const AXOLOTL_DATASET = ['path', 'ds_type', 'type', 'split', 'field_messages', 'field_chosen', 'field_rejected', 'message_property_mappings', 'role', 'content',
  'field_prompt', 'field_completion', 'field_label', 'prompt_format', 'chosen_format', 'rejected_format', 'completion_format'];
// LLaMA-Factory: FinetuningArguments (pref_beta, pref_loss, dpo_label_smoothing, simpo_gamma, kto_*_weight), data/README.md.
const LLAMAFACTORY = [...TRAINING_ARGUMENTS, 'per_device_eval_batch_size', 'ddp_timeout', 'model_name_or_path', 'stage', 'do_train', 'finetuning_type', 'lora_rank', 'lora_alpha', 'lora_dropout', 'lora_target', 'use_rslora', 'dataset', 'eval_dataset', 'dataset_dir', 'template', 'cutoff_len', 'packing', 'plot_loss', 'disable_gradient_checkpointing',
  'pref_beta', 'pref_loss', 'dpo_label_smoothing', 'simpo_gamma', 'kto_chosen_weight', 'kto_rejected_weight'];
const LF_DATASET_INFO = ['file_name', 'formatting', 'ranking', 'columns', 'tags'];

function yamlKeys(text: string): { top: string[]; nested: string[] } {
  const top: string[] = [];
  const nested: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)(?:- )?([A-Za-z_][\w]*):/.exec(line);
    if (!m || line.startsWith('#')) continue;
    (m[1].length === 0 && !line.startsWith('-') ? top : nested).push(m[2]);
  }
  return { top, nested };
}
const yamlValue = (text: string, key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(text)?.[1];

function unpack(zip: Uint8Array, name: string): string {
  const out = join(dir, name);
  for (const [path, bytes] of Object.entries(unzipSync(zip))) {
    const p = join(out, path.slice(path.indexOf('/') + 1));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  }
  return out;
}

const summary: RunSummary = { baseModel: 'HuggingFaceTB/SmolLM2-135M', method: 'lora', hyperparameters: { lr: 5e-6 }, date: '2026-12-01', dataFingerprint: 'feed' };
const model = parseModelConfig(tinyRawConfig('llama', { hidden_size: 64, vocab_size: 4096 }));
const pairsText = Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `Q${i}:`, chosen: ` good ${i}`, rejected: ` bad ${i}` })).join('\n');

async function pairs(kind: 'chat' | 'completion'): Promise<{ train: Conversation[]; validation: Conversation[] }> {
  const all = kind === 'chat' ? (await readDataFile(join(DATA, 'dpo_en_demo.json'), 'auto')).records : parseDatasetText('pairs.jsonl', pairsText).records;
  expect(all.every((r) => r.rejected && r.kind === kind)).toBe(true);
  return splitDataset(all, { validation: 0.1 }, 3);
}

function objective(loss: PreferenceLossType | 'reward'): ObjectiveConfig {
  if (loss === 'reward') return { kind: 'reward' };
  return { ...defaultPreferenceConfig(loss), beta: 0.25, labelSmoothing: loss === 'sigmoid' ? 0.1 : 0, simpoGamma: 0.7, desirableWeight: 1.5, undesirableWeight: 0.5 };
}

function bundle(target: HandoffTarget, loss: PreferenceLossType | 'reward', data: { train: Conversation[]; validation: Conversation[] }, template = 'chatml') {
  const config = tinyTrainConfig({ steps: 100, batchSize: 2, gradAccum: 4, seqLen: 256, lr: 5e-6, evalEvery: 20, objective: objective(loss), lora: { r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false } });
  const input = { baseModel: summary.baseModel, modelConfig: model, ...data, config, template };
  return { config, make: () => unpack(zipBundle(handoffBundle(target, 'job', input, summary)), `${target}-${loss}-${data.train[0].kind}-${template}`) };
}

/** Records each file must parse back to: the pairs, or for KTO twice as many answers, half of them desirable. */
const expected = (loss: string, n: number) => (loss === 'kto' ? 2 * n : n);
function checkBack(records: Conversation[], loss: string, n: number, kind: string) {
  expect(records.length).toBe(expected(loss, n));
  if (loss === 'kto') {
    expect(records.filter((r) => r.label === true).length).toBe(n);
    expect(records.every((r) => !r.rejected)).toBe(true);
  } else expect(records.every((r) => r.rejected)).toBe(true);
  expect(records.every((r) => r.kind === kind || (loss === 'kto' && kind === 'completion'))).toBe(true);
}

const LOSSES = ['sigmoid', 'hinge', 'ipo', 'simpo', 'orpo', 'kto', 'reward'] as const;

describe.each(['chat', 'completion'] as const)('%s preference pairs', (kind) => {
  it.each(LOSSES)('TRL %s: JSONL in the trainer\'s documented format, its config keys, the objective carried over', async (loss) => {
    const data = await pairs(kind);
    const out = bundle('trl', loss, data).make();
    for (const [file, n] of [['train.jsonl', data.train.length], ['validation.jsonl', data.validation.length]] as const) {
      const back = await readDataFile(join(out, 'data', file), 'auto');
      expect(back.issues).toEqual([]);
      expect(back.shape).toBe(loss === 'kto' ? 'prompt-completion' : 'preference');
      checkBack(back.records, loss, n, kind);
    }
    const cfg = JSON.parse(readFileSync(join(out, 'trl_config.json'), 'utf8'));
    expect(Object.keys(cfg.args).filter((k) => !TRAINING_ARGUMENTS.includes(k) && !TRL_CONFIG[cfg.config].includes(k))).toEqual([]);
    expect(Object.keys(cfg.lora).filter((k) => !PEFT_LORA.includes(k))).toEqual([]);
    const want: Record<string, object> = {
      sigmoid: { config: 'DPOConfig', trainer: 'DPOTrainer', args: { beta: 0.25, loss_type: 'sigmoid', label_smoothing: 0.1 } },
      hinge: { config: 'DPOConfig', args: { beta: 0.25, loss_type: 'hinge' } },
      ipo: { config: 'DPOConfig', args: { beta: 0.25, loss_type: 'ipo' } },
      simpo: { config: 'CPOConfig', trainer: 'CPOTrainer', args: { beta: 0.25, loss_type: 'simpo', simpo_gamma: 0.7, cpo_alpha: 0 } },
      orpo: { config: 'ORPOConfig', trainer: 'ORPOTrainer', args: { beta: 0.25 } },
      kto: { config: 'KTOConfig', trainer: 'KTOTrainer', args: { beta: 0.25, desirable_weight: 1.5, undesirable_weight: 0.5 } },
      reward: { config: 'RewardConfig', trainer: 'RewardTrainer', lora: { task_type: 'SEQ_CLS' } },
    };
    expect(cfg).toMatchObject({ model: summary.baseModel, args: { max_steps: 100, learning_rate: 5e-6, max_length: 256, per_device_train_batch_size: 2 }, ...want[loss] });
    const script = readFileSync(join(out, 'train.py'), 'utf8');
    expect(script).toContain('args=Config(**cfg["args"])');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('two rows per example');
  });

  it.each(LOSSES)('Axolotl %s: rl keys and dataset types as documented, or a clear refusal', async (loss) => {
    const all = await pairs(kind);
    // Its KTO and Bradley-Terry formats hold one user prompt: the demo's multi-turn records are refused (tested below).
    const one = (rs: Conversation[]) => (loss === 'kto' || loss === 'reward' ? rs.filter((r) => r.turns.length === 2) : rs);
    const data = { train: one(all.train), validation: one(all.validation) };
    expect(data.validation.length).toBeGreaterThan(0);
    const { make } = bundle('axolotl', loss, data);
    if (loss === 'hinge') return expect(make).toThrow(/Axolotl has no hinge loss/);
    if (kind === 'completion' && (loss === 'orpo' || loss === 'reward')) return expect(make).toThrow(/apply a chat template; these records are plain prompt\/completion pairs/);
    const out = make();
    // Bradley-Terry rows name the prompt "input", as Axolotl's format does.
    const read = (f: string) => (loss === 'reward' ? parseDataset(f, readFileSync(join(out, 'data', f)), { mapping: { prompt: 'input' } }) : readDataFile(join(out, 'data', f), 'auto'));
    for (const [file, n] of [['train.jsonl', data.train.length], ['validation.jsonl', data.validation.length]] as const) {
      const back = await read(file);
      expect(back.issues).toEqual([]);
      checkBack(back.records, loss, n, loss === 'kto' || loss === 'reward' ? 'completion' : kind);
    }
    const yaml = readFileSync(join(out, 'config.yml'), 'utf8');
    const { top, nested } = yamlKeys(yaml);
    expect(top.filter((k) => !AXOLOTL.includes(k))).toEqual([]);
    expect(nested.filter((k) => !AXOLOTL_DATASET.includes(k))).toEqual([]);
    expect(yamlValue(yaml, 'sample_packing')).toBe('false');
    const want: Record<string, Record<string, string>> = {
      sigmoid: { rl: 'dpo', rl_beta: '0.25', dpo_label_smoothing: '0.1' }, ipo: { rl: 'ipo', rl_beta: '0.25' },
      simpo: { rl: 'simpo', rl_beta: '0.25', simpo_gamma: '0.7', cpo_alpha: '0' }, orpo: { rl: 'orpo', orpo_alpha: '0.25' },
      kto: { rl: 'kto', rl_beta: '0.25', kto_desirable_weight: '1.5', kto_undesirable_weight: '0.5' }, reward: { reward_model: 'true', num_labels: '1' },
    };
    for (const [k, v] of Object.entries(want[loss])) expect(yamlValue(yaml, k), k).toBe(v);
    const type = { sigmoid: 'chat_template.default', ipo: 'chat_template.default', simpo: 'chat_template.default', orpo: 'chat_template.argilla', kto: 'chatml.ultra', reward: 'bradley_terry.chat_template' }[loss];
    if (kind === 'chat') expect(yaml).toContain(`type: ${type}`);
    else expect(yaml).toContain('field_prompt: prompt');
  });

  it.each(LOSSES)('LLaMA-Factory %s: ranking / kto_tag entries parse back; stage and pref_* keys as documented', async (loss) => {
    const data = await pairs(kind);
    const out = bundle('llamafactory', loss, data).make();
    const info = join(out, 'data/dataset_info.json');
    for (const [entry, n] of [['webtune_train', data.train.length], ['webtune_validation', data.validation.length]] as const) {
      const back = await readDataFile(info, 'auto', entry);
      expect(back.issues).toEqual([]);
      // LLaMA-Factory keeps prompt/completion pairs as alpaca instruction/output and KTO answers as sharegpt, which our
      // inspector reads as chat records (train.yaml's template "empty" renders them as plain text).
      checkBack(back.records, loss, n, 'chat');
    }
    const entries = Object.values(JSON.parse(readFileSync(info, 'utf8'))) as Record<string, unknown>[];
    for (const e of entries) {
      expect(Object.keys(e).filter((k) => !LF_DATASET_INFO.includes(k))).toEqual([]);
      expect(e.ranking === true).toBe(loss !== 'kto');
    }
    const yaml = readFileSync(join(out, 'train.yaml'), 'utf8');
    expect(yamlKeys(yaml).top.filter((k) => !LLAMAFACTORY.includes(k))).toEqual([]);
    const want: Record<string, Record<string, string>> = {
      sigmoid: { stage: 'dpo', pref_loss: 'sigmoid', pref_beta: '0.25', dpo_label_smoothing: '0.1' }, hinge: { stage: 'dpo', pref_loss: 'hinge' }, ipo: { stage: 'dpo', pref_loss: 'ipo' },
      simpo: { stage: 'dpo', pref_loss: 'simpo', simpo_gamma: '0.7' }, orpo: { stage: 'dpo', pref_loss: 'orpo', pref_beta: '0.25' },
      kto: { stage: 'kto', pref_beta: '0.25', kto_chosen_weight: '1.5', kto_rejected_weight: '0.5' }, reward: { stage: 'rm' },
    };
    for (const [k, v] of Object.entries(want[loss])) expect(yamlValue(yaml, k), k).toBe(v);
    expect(yamlValue(yaml, 'template')).toBe(kind === 'completion' ? 'empty' : 'qwen');
  });
});

describe('preference hand-off refusals and memory', () => {
  it.each(['kto', 'reward'] as const)('Axolotl %s refuses a multi-turn prompt its one-prompt format cannot hold, and a template it has no KTO format for', async (loss) => {
    const { train } = await pairs('chat');
    const multi = { ...train[0], turns: [{ role: 'user' as const, content: 'a' }, { role: 'assistant' as const, content: 'b' }, ...train[0].turns] };
    expect(() => bundle('axolotl', loss, { train: [multi], validation: [] }).make()).toThrow(/has 3 turns before its answer, but Axolotl's .* format holds one user prompt/);
    if (loss === 'kto') expect(() => bundle('axolotl', loss, { train, validation: [] }, 'alpaca').make()).toThrow(/KTO chat formats are ChatML's and Llama-3's; this run uses the "alpaca" template/);
  });

  it('refuses pairs for a supervised run and single answers for DPO, naming the line', async () => {
    const { train } = await pairs('chat');
    const sft = { baseModel: 'm', modelConfig: model, train, validation: [], config: tinyTrainConfig(), template: 'model' };
    expect(() => handoffBundle('trl', 'x', sft, summary)).toThrow(/Line \d+ is a preference pair .* pick DPO, KTO or a reward model/);
    const plain = parseDatasetText('pc.jsonl', JSON.stringify({ prompt: 'Q', completion: 'A' })).records;
    const dpo = { ...sft, train: plain, config: tinyTrainConfig({ objective: objective('sigmoid') }) };
    expect(() => handoffBundle('llamafactory', 'x', dpo, summary)).toThrow(/Line 1 has no rejected answer: cDPO needs preference pairs/);
    expect(() => handoffBundle('axolotl', 'x', { ...dpo, config: tinyTrainConfig({ objective: objective('kto') }) }, summary)).toThrow(/Line 1 is neither a preference pair nor marked good or bad/);
  });

  it('the GPU memory the README names is the studio\'s WebGPU memory plan for the same settings (two rows per pair)', () => {
    const config = tinyTrainConfig({ batchSize: 4, seqLen: 128, checkpointing: false, objective: objective('sigmoid') });
    const plan = computeMemoryPlan({ info: { config: model } as never, config, budgetText: '1', limits: null, backend: 'webgpu' });
    expect(handoffMemory(model, config).bytes).toBe(plan!.total);
    expect(plan!.handoffText).toBe(handoffMemory(model, config).text);
    // On WebAssembly the studio keeps the attention scores the GPU trainer does not.
    const wasm = computeMemoryPlan({ info: { config: model } as never, config, budgetText: '1', limits: null, backend: 'wasm' });
    expect(wasm!.total).toBeGreaterThan(plan!.total);
    expect(handoffMemory(model, config).bytes).toBeGreaterThan(handoffMemory(model, { ...config, objective: undefined }).bytes);
  });
});
