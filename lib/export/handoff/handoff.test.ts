// Hand-off bundles: the data files parse back with our own inspector (lib/data, cli inspect's reader) as the
// target's format with the same record counts; every config key is one the target's documentation names; the
// settings carry over; the README gives launch commands for one GPU and several and the GPU memory the run needs.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../../cli/data-args';
import { splitDataset } from '../../data/split3';
import { parseDatasetText } from '../../data/dataset';
import type { Conversation } from '../../data/types';
import { parseModelConfig } from '../../engine/model-config';
import { tinyRawConfig } from '../../engine/test-checkpoints';
import { tinyTrainConfig } from '../../engine/test-utils';
import { zipBundle } from '../bundle';
import type { RunSummary } from '../model-card';
import { handoffBundle, type HandoffTarget } from '.';
import { handoffMemory } from './plan';

const DATA = join(import.meta.dirname, '../../../../shared/data');
const dir = mkdtempSync(join(tmpdir(), 'webtune-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Keys as the targets' documentation names them (read 2026-12):
// TRL: SFTConfig (huggingface.co/docs/trl/sft_trainer, sft_config.py) = transformers TrainingArguments + SFT's own.
const TRAINING_ARGUMENTS = ['output_dir', 'max_steps', 'per_device_train_batch_size', 'gradient_accumulation_steps', 'learning_rate', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'warmup_steps', 'lr_scheduler_type', 'lr_scheduler_kwargs', 'max_grad_norm', 'seed', 'gradient_checkpointing', 'eval_strategy', 'eval_steps', 'logging_steps', 'save_strategy', 'save_steps', 'bf16', 'report_to', 'per_device_eval_batch_size', 'ddp_timeout'];
const SFT = [...TRAINING_ARGUMENTS, 'max_length', 'packing', 'completion_only_loss', 'assistant_only_loss'];
const PEFT_LORA = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_rslora', 'layers_to_transform', 'bias', 'task_type'];
// accelerate config file (huggingface.co/docs/accelerate, `accelerate config` output).
const ACCELERATE = ['compute_environment', 'distributed_type', 'num_machines', 'num_processes', 'machine_rank', 'main_process_ip', 'main_process_port', 'rdzv_backend', 'same_network', 'mixed_precision', 'gpu_ids', 'main_training_function', 'use_cpu', 'downcast_bf16', 'debug'];
// Axolotl config reference (docs.axolotl.ai/docs/config-reference.html) and its example configs.
const AXOLOTL = ['base_model', 'datasets', 'test_datasets', 'val_set_size', 'chat_template', 'dataset_prepared_path', 'output_dir', 'sequence_len', 'sample_packing', 'adapter', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'peft_use_rslora', 'peft_layers_to_transform', 'micro_batch_size', 'gradient_accumulation_steps', 'max_steps', 'optimizer', 'lr_scheduler', 'learning_rate', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'warmup_steps', 'gradient_checkpointing', 'train_on_inputs', 'bf16', 'seed', 'logging_steps', 'eval_steps'];
const AXOLOTL_DATASET = ['path', 'ds_type', 'type', 'field', 'field_messages', 'message_field_role', 'message_field_content', 'roles_to_train', 'split'];
// LLaMA-Factory examples/train_lora/*.yaml, its argument dataclasses (ModelArguments, DataArguments, FinetuningArguments) and TrainingArguments.
const LLAMAFACTORY = [...TRAINING_ARGUMENTS, 'model_name_or_path', 'stage', 'do_train', 'finetuning_type', 'lora_rank', 'lora_alpha', 'lora_dropout', 'lora_target', 'use_rslora', 'dataset', 'eval_dataset', 'dataset_dir', 'template', 'cutoff_len', 'packing', 'plot_loss', 'disable_gradient_checkpointing'];
const LF_DATASET_INFO = ['file_name', 'formatting', 'columns', 'tags'];

/** A YAML file's top-level keys and the keys of list items (enough for configs this writer makes). */
function yamlKeys(text: string): { top: string[]; nested: string[] } {
  const top: string[] = [];
  const nested: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^( *)(?:- )?([A-Za-z_][\w]*):/.exec(line);
    if (!m) continue;
    (m[1].length === 0 && !line.startsWith('-') ? top : nested).push(m[2]);
  }
  return { top, nested };
}

const summary: RunSummary = { baseModel: 'HuggingFaceTB/SmolLM2-135M', method: 'lora', hyperparameters: { lr: 2e-4 }, date: '2026-12-01', dataFingerprint: 'feed' };

async function records(file: string): Promise<Conversation[]> {
  return (await readDataFile(join(DATA, file), 'auto')).records;
}

const completions = parseDatasetText('pc.jsonl', Array.from({ length: 9 }, (_, i) => JSON.stringify({ prompt: `Q${i}:`, completion: ` answer ${i}` })).join('\n')).records;

function unpack(zip: Uint8Array, name: string): string {
  const out = join(dir, name);
  for (const [path, bytes] of Object.entries(unzipSync(zip))) {
    const p = join(out, path.slice(path.indexOf('/') + 1));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  }
  return out;
}

const cases: { data: string; kind: string; shape: string }[] = [
  { data: 'alpaca_en_demo.json', kind: 'chat', shape: 'chat' },
  { data: 'c4_demo.jsonl', kind: 'text', shape: 'text' },
  { data: 'prompt-completion', kind: 'completion', shape: 'prompt-completion' },
];

describe.each(cases)('hand-off bundles of $data', ({ data, shape }) => {
  const model = parseModelConfig(tinyRawConfig('llama', { hidden_size: 64, vocab_size: 4096 }));
  const config = tinyTrainConfig({ steps: 300, batchSize: 4, gradAccum: 2, seqLen: 512, lr: 2e-4, evalEvery: 50, warmupSteps: 10, schedule: 'cosine', minLrRatio: 0.1, lora: { r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], useRslora: false } });
  const load = async () => {
    const all = data === 'prompt-completion' ? completions : await records(data);
    const { train, validation } = splitDataset(all, { validation: 0.1 }, 7);
    return { train, validation, input: { baseModel: summary.baseModel, modelConfig: model, train, validation, config, template: 'chatml' } };
  };

  it('TRL: JSONL in SFTTrainer formats, SFTConfig / LoraConfig / accelerate keys as documented', async () => {
    const { train, validation, input } = await load();
    const out = unpack(zipBundle(handoffBundle('trl', 'job', input, summary)), `trl-${data}`);
    for (const [file, n] of [['train.jsonl', train.length], ['validation.jsonl', validation.length]] as const) {
      const back = await readDataFile(join(out, 'data', file), 'auto');
      expect(back.shape).toBe(shape);
      expect(back.records.length).toBe(n);
      expect(back.issues).toEqual([]);
    }
    const cfg = JSON.parse(readFileSync(join(out, 'trl_config.json'), 'utf8'));
    expect(Object.keys(cfg.sft).filter((k) => !SFT.includes(k))).toEqual([]);
    expect(Object.keys(cfg.lora).filter((k) => !PEFT_LORA.includes(k))).toEqual([]);
    expect(cfg).toMatchObject({ model: summary.baseModel, sft: { max_steps: 300, per_device_train_batch_size: 4, gradient_accumulation_steps: 2, learning_rate: 2e-4, max_length: 512, lr_scheduler_type: 'cosine_with_min_lr', lr_scheduler_kwargs: { min_lr_rate: 0.1 }, eval_steps: 50 }, lora: { r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'] } });
    expect(yamlKeys(readFileSync(join(out, 'accelerate_config.yaml'), 'utf8')).top.filter((k) => !ACCELERATE.includes(k))).toEqual([]);
    expect(readFileSync(join(out, 'train.py'), 'utf8')).toContain('SFTConfig(**cfg["sft"])');
  });

  it('Axolotl: JSONL parses back; every config.yml key is documented', async () => {
    const { train, validation, input } = await load();
    const out = unpack(zipBundle(handoffBundle('axolotl', 'job', input, summary)), `axolotl-${data}`);
    const back = await readDataFile(join(out, 'data/train.jsonl'), 'auto');
    expect(back.records.length).toBe(train.length);
    expect((await readDataFile(join(out, 'data/validation.jsonl'), 'auto')).records.length).toBe(validation.length);
    const { top, nested } = yamlKeys(readFileSync(join(out, 'config.yml'), 'utf8'));
    expect(top.filter((k) => !AXOLOTL.includes(k))).toEqual([]);
    const customFormat = ['field_instruction', 'field_output', 'format', 'no_input_format'];
    expect(nested.filter((k) => !AXOLOTL_DATASET.includes(k) && !customFormat.includes(k))).toEqual([]);
    expect(top).toEqual(expect.arrayContaining(['base_model', 'adapter', 'lora_r', 'micro_batch_size', 'sequence_len', 'learning_rate']));
  });

  it('LLaMA-Factory: dataset_info.json entries parse back with our reader as LLaMA-Factory formats; train.yaml keys documented', async () => {
    const { train, validation, input } = await load();
    const out = unpack(zipBundle(handoffBundle('llamafactory', 'job', input, summary)), `lf-${data}`);
    const info = join(out, 'data/dataset_info.json');
    for (const [entry, n] of [['webtune_train', train.length], ['webtune_validation', validation.length]] as const) {
      const back = await readDataFile(info, 'auto', entry);
      expect(back.records.length).toBe(n);
      expect(back.issues).toEqual([]);
    }
    for (const e of Object.values(JSON.parse(readFileSync(info, 'utf8'))) as Record<string, unknown>[]) expect(Object.keys(e).filter((k) => !LF_DATASET_INFO.includes(k))).toEqual([]);
    const yaml = readFileSync(join(out, 'train.yaml'), 'utf8');
    expect(yamlKeys(yaml).top.filter((k) => !LLAMAFACTORY.includes(k))).toEqual([]);
    expect(yaml).toContain('lora_target: q_proj,v_proj');
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('CUDA_VISIBLE_DEVICES=0 llamafactory-cli train train.yaml');
    expect(readme).toContain('NNODES=2');
    expect(readme).toContain(`about ${handoffMemory(model, config).text} per GPU`);
  });
});

describe('hand-off refusals', () => {
  it.each(['trl', 'axolotl', 'llamafactory'] as HandoffTarget[])('%s refuses preference pairs for a supervised fine-tuning run', async (target) => {
    const dpo = await records('dpo_en_demo.json');
    const model = parseModelConfig(tinyRawConfig('llama'));
    const input = { baseModel: 'm', modelConfig: model, train: dpo, validation: [], config: tinyTrainConfig(), template: 'model' };
    expect(() => handoffBundle(target, 'x', input, summary)).toThrow(/preference/);
  });

  it('the GPU memory a job needs grows with the model and batch', () => {
    const small = handoffMemory(parseModelConfig(tinyRawConfig('llama')), tinyTrainConfig({ batchSize: 1, seqLen: 64 }));
    const big = handoffMemory(parseModelConfig(tinyRawConfig('llama', { hidden_size: 256, intermediate_size: 512 })), tinyTrainConfig({ batchSize: 8, seqLen: 512 }));
    expect(big.bytes).toBeGreaterThan(small.bytes * 10);
    expect(strFromU8(new TextEncoder().encode(big.text))).toMatch(/[KMG]iB/);
  });
});
