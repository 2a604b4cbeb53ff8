// Axolotl: data as JSONL in the dataset type that fits it (chat_template for conversations, completion for plain
// text, a custom instruction format without a template for prompt/completion), and config.yml with the run's
// settings under Axolotl's documented keys. Preference runs (rl: dpo / ipo / simpo / orpo / kto, or reward_model)
// take their dataset types from axolotl-preference.ts.
import { axolotlPreference } from './axolotl-preference';
import type { TargetFiles, TargetInput } from './index';
import { axolotlRow, jsonl } from './records';
import { toYaml, type YamlValue } from './yaml';

const CHAT_TEMPLATE: Record<string, string> = { model: 'tokenizer_default', chatml: 'chatml', llama3: 'llama3', alpaca: 'alpaca' };
const SCHEDULER: Record<string, string> = { cosine: 'cosine', linear: 'linear', constant: 'constant' };

function datasetType(t: TargetInput, path: string): { [k: string]: YamlValue } {
  if (t.kind === 'text') return { path, ds_type: 'json', type: 'completion', field: 'text' };
  if (t.kind === 'completion') {
    return { path, ds_type: 'json', type: { field_instruction: 'instruction', field_output: 'output', format: '{instruction}', no_input_format: '{instruction}' } };
  }
  return { path, ds_type: 'json', type: 'chat_template', field_messages: 'messages', message_field_role: 'role', message_field_content: 'content', roles_to_train: ['assistant'] };
}

export const axolotlChatTemplate = (t: TargetInput) => CHAT_TEMPLATE[t.template] ?? 'tokenizer_default';

export function axolotlConfig(t: TargetInput): { [k: string]: YamlValue } {
  const c = t.config;
  const evals = t.validation.length > 0;
  const pref = t.objective.kind === 'sft' ? null : axolotlPreference(t, t.objective);
  const dataset = (path: string) => (pref ? { path, ds_type: 'json', ...pref.dataset } : datasetType(t, path));
  return {
    base_model: t.baseModel,
    ...(pref?.config ?? {}),
    datasets: [dataset('data/train.jsonl')],
    ...(evals ? { test_datasets: [{ ...dataset('data/validation.jsonl'), split: 'train' }] } : { val_set_size: 0 }),
    ...(t.kind === 'chat' ? { chat_template: axolotlChatTemplate(t) } : {}),
    dataset_prepared_path: 'last_run_prepared',
    output_dir: './outputs',
    sequence_len: c.seqLen,
    sample_packing: pref ? false : c.packing ?? false, // RL and reward runs refuse packing
    ...(t.lora ? { adapter: 'lora', lora_r: t.lora.r, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, lora_target_modules: t.lora.targetModules, peft_use_rslora: t.lora.useRslora } : {}),
    ...(t.lora?.layersToTransform ? { peft_layers_to_transform: t.lora.layersToTransform } : {}),
    micro_batch_size: c.batchSize,
    gradient_accumulation_steps: c.gradAccum,
    max_steps: c.steps,
    optimizer: 'adamw_torch',
    lr_scheduler: SCHEDULER[c.schedule],
    learning_rate: c.lr,
    weight_decay: c.weightDecay,
    adam_beta1: c.beta1,
    adam_beta2: c.beta2,
    adam_epsilon: c.epsilon,
    max_grad_norm: c.clipNorm,
    warmup_steps: c.warmupSteps,
    gradient_checkpointing: c.checkpointing ?? false,
    train_on_inputs: false,
    bf16: 'auto',
    seed: c.seed,
    logging_steps: 1,
    ...(evals && c.evalEvery > 0 ? { eval_steps: c.evalEvery } : {}),
  };
}

export function axolotlFiles(t: TargetInput): TargetFiles {
  const row = t.objective.kind === 'sft' ? axolotlRow : axolotlPreference(t, t.objective).row;
  const files: Record<string, string> = {
    'data/train.jsonl': jsonl(t.train.map(row)),
    'config.yml': toYaml(axolotlConfig(t), `Axolotl config written by WebTune Studio for ${t.baseModel}.\naxolotl train config.yml`),
  };
  if (t.validation.length) files['data/validation.jsonl'] = jsonl(t.validation.map(row));
  return {
    files,
    install: 'pip install axolotl[flash-attn,deepspeed]',
    oneGpu: 'CUDA_VISIBLE_DEVICES=0 axolotl train config.yml',
    severalGpus: [
      '# every visible GPU of this node:',
      'axolotl train config.yml',
      '# or explicitly, 8 GPUs on one node:',
      'accelerate launch --num_processes 8 -m axolotl.cli.train config.yml',
      '# two nodes: run on each node with its rank (0 on the main node):',
      'accelerate launch --num_machines 2 --num_processes 16 --machine_rank 0 --main_process_ip <main-node-ip> --main_process_port 29500 -m axolotl.cli.train config.yml',
    ].join('\n'),
  };
}
