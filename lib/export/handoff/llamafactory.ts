// LLaMA-Factory: data as JSON in its sharegpt (conversations), alpaca (prompt/completion) or pre-training (text)
// format, registered in data/dataset_info.json, and train.yaml with the run's settings under its documented keys.
// Preference runs: `stage: dpo` (pref_loss sigmoid / hinge / ipo / simpo / orpo, pref_beta), `kto` or `rm`, with
// pairs as `ranking: true` entries (chosen / rejected columns) and KTO's answers with a `kto_tag` column.
import type { Conversation } from '../../data/types';
import type { TargetFiles, TargetInput } from './index';
import { hfScheduler } from './plan';
import type { HandoffObjective } from './preference';
import { llamaFactoryRow, SHAREGPT, text } from './records';
import { toYaml, type YamlValue } from './yaml';

const TEMPLATE: Record<string, string> = { chatml: 'qwen', llama3: 'llama3', alpaca: 'alpaca', model: 'default' };

const SHAREGPT_TAGS = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', observation_tag: 'observation', function_tag: 'function_call', system_tag: 'system' };

function entry(t: TargetInput, file: string): Record<string, unknown> {
  const o = t.objective;
  if (o.kind === 'kto') return { file_name: file, formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system', kto_tag: 'kto_tag' }, tags: SHAREGPT_TAGS };
  if (o.kind !== 'sft') {
    if (t.kind === 'completion') return { file_name: file, ranking: true, columns: { prompt: 'instruction', query: 'input', chosen: 'chosen', rejected: 'rejected' } };
    return { file_name: file, formatting: 'sharegpt', ranking: true, columns: { messages: 'conversations', system: 'system', chosen: 'chosen', rejected: 'rejected' }, tags: SHAREGPT_TAGS };
  }
  if (t.kind === 'text') return { file_name: file, columns: { prompt: 'text' } };
  if (t.kind === 'completion') return { file_name: file, columns: { prompt: 'instruction', query: 'input', response: 'output' } };
  return { file_name: file, formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system' }, tags: SHAREGPT_TAGS };
}

/** A sharegpt row of these turns (system in its own column). */
function sharegpt(r: Conversation, turns: Conversation['turns']): Record<string, unknown> {
  const system = turns.find((t) => t.role === 'system');
  const row: Record<string, unknown> = { conversations: turns.filter((t) => t.role !== 'system').map((t) => ({ from: SHAREGPT[t.role], value: text(t) })) };
  if (system) row.system = system.content;
  return row;
}

/** A preference row: ranking pairs (sharegpt with chosen / rejected messages, or alpaca with strings) or KTO's
 * whole conversation with its kto_tag. */
function preferenceRow(t: TargetInput, r: Conversation): Record<string, unknown> {
  const last = r.turns[r.turns.length - 1];
  if (t.objective.kind === 'kto') return { ...sharegpt(r, r.turns), kto_tag: r.label };
  if (t.kind === 'completion') return { instruction: text(r.turns[0]), input: '', chosen: text(last), rejected: text(r.rejected!) };
  const answer = (a: typeof last) => ({ from: SHAREGPT[a.role], value: text(a) });
  return { ...sharegpt(r, r.turns.slice(0, -1)), chosen: answer(last), rejected: answer(r.rejected!) };
}

/** stage and the preference keys of FinetuningArguments (pref_beta, pref_loss, dpo_label_smoothing, simpo_gamma,
 * kto_chosen_weight, kto_rejected_weight) for our objective. */
function stageKeys(t: TargetInput, o: HandoffObjective): { [k: string]: YamlValue } {
  if (o.kind === 'sft') return { stage: t.kind === 'text' ? 'pt' : 'sft' };
  if (o.kind === 'reward') return { stage: 'rm' };
  if (o.kind === 'kto') return { stage: 'kto', pref_beta: o.beta, kto_chosen_weight: o.desirableWeight, kto_rejected_weight: o.undesirableWeight };
  return {
    stage: 'dpo', pref_beta: o.beta, pref_loss: o.loss, ...(o.loss === 'sigmoid' ? { dpo_label_smoothing: o.labelSmoothing } : {}),
    ...(o.loss === 'simpo' ? { simpo_gamma: o.simpoGamma } : {}),
  };
}

export function llamaFactoryConfig(t: TargetInput): { [k: string]: YamlValue } {
  const c = t.config;
  const sched = hfScheduler(c);
  const evals = t.validation.length > 0;
  return {
    model_name_or_path: t.baseModel,
    ...stageKeys(t, t.objective),
    do_train: true,
    finetuning_type: t.lora ? 'lora' : 'full',
    ...(t.lora ? { lora_rank: t.lora.r, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, lora_target: t.lora.targetModules.join(','), use_rslora: t.lora.useRslora } : {}),
    dataset: 'webtune_train',
    ...(evals ? { eval_dataset: 'webtune_validation' } : {}),
    dataset_dir: 'data',
    template: t.kind === 'completion' ? 'empty' : TEMPLATE[t.template] ?? 'default',
    cutoff_len: c.seqLen,
    packing: t.objective.kind === 'sft' ? c.packing ?? false : false,
    output_dir: 'saves/webtune',
    logging_steps: 1,
    save_steps: Math.max(1, c.checkpointEvery || c.steps),
    plot_loss: true,
    per_device_train_batch_size: c.batchSize,
    gradient_accumulation_steps: c.gradAccum,
    learning_rate: c.lr,
    max_steps: c.steps,
    lr_scheduler_type: sched.name,
    warmup_steps: c.warmupSteps,
    weight_decay: c.weightDecay,
    adam_beta1: c.beta1,
    adam_beta2: c.beta2,
    adam_epsilon: c.epsilon,
    max_grad_norm: c.clipNorm,
    seed: c.seed,
    ...(c.checkpointing === false ? { disable_gradient_checkpointing: true } : {}),
    bf16: true,
    ...(evals && c.evalEvery > 0 ? { per_device_eval_batch_size: c.batchSize, eval_strategy: 'steps', eval_steps: c.evalEvery } : {}),
    report_to: 'none',
    ddp_timeout: 180000000,
  };
}

export function llamaFactoryFiles(t: TargetInput): TargetFiles {
  const row = t.objective.kind === 'sft' ? llamaFactoryRow : (r: Conversation) => preferenceRow(t, r);
  const info: Record<string, unknown> = { webtune_train: entry(t, 'train.json') };
  const files: Record<string, string> = { 'data/train.json': JSON.stringify(t.train.map(row), null, 1) + '\n' };
  if (t.validation.length) {
    info.webtune_validation = entry(t, 'validation.json');
    files['data/validation.json'] = JSON.stringify(t.validation.map(row), null, 1) + '\n';
  }
  files['data/dataset_info.json'] = JSON.stringify(info, null, 2) + '\n';
  files['train.yaml'] = toYaml(llamaFactoryConfig(t), `LLaMA-Factory config written by WebTune Studio for ${t.baseModel}.\nllamafactory-cli train train.yaml`);
  return {
    files,
    install: 'pip install "llamafactory[torch,metrics]"',
    oneGpu: 'CUDA_VISIBLE_DEVICES=0 llamafactory-cli train train.yaml',
    severalGpus: [
      '# every visible GPU of this node:',
      'FORCE_TORCHRUN=1 llamafactory-cli train train.yaml',
      '# two nodes: run on each node with its rank (0 on the main node):',
      'FORCE_TORCHRUN=1 NNODES=2 NODE_RANK=0 MASTER_ADDR=<main-node-ip> MASTER_PORT=29500 llamafactory-cli train train.yaml',
    ].join('\n'),
  };
}
