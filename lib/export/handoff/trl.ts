// Hugging Face TRL: data as SFTTrainer's documented JSONL formats, trl_config.json holding SFTConfig's and
// peft.LoraConfig's arguments, train.py that runs them, and an accelerate config for several GPUs and nodes.
import type { TargetFiles, TargetInput } from './index';
import { hfScheduler } from './plan';
import { jsonl, trlRow } from './records';
import { toYaml } from './yaml';

/** SFTConfig keyword arguments (TrainingArguments plus SFT's max_length, packing, completion_only_loss). */
export function sftConfig(t: TargetInput): Record<string, unknown> {
  const c = t.config;
  const sched = hfScheduler(c);
  const evals = t.validation.length > 0 && c.evalEvery > 0;
  return {
    output_dir: 'output', max_steps: c.steps, per_device_train_batch_size: c.batchSize, gradient_accumulation_steps: c.gradAccum,
    learning_rate: c.lr, weight_decay: c.weightDecay, adam_beta1: c.beta1, adam_beta2: c.beta2, adam_epsilon: c.epsilon,
    warmup_steps: c.warmupSteps, lr_scheduler_type: sched.name, ...(sched.kwargs ? { lr_scheduler_kwargs: sched.kwargs } : {}),
    max_grad_norm: c.clipNorm, seed: c.seed, max_length: c.seqLen, packing: c.packing ?? false,
    gradient_checkpointing: c.checkpointing ?? false, completion_only_loss: t.kind === 'completion' ? true : null,
    assistant_only_loss: false, eval_strategy: evals ? 'steps' : 'no', ...(evals ? { eval_steps: c.evalEvery } : {}),
    logging_steps: 1, save_strategy: 'steps', save_steps: Math.max(1, c.checkpointEvery || c.steps), bf16: true, report_to: 'none',
  };
}

/** peft.LoraConfig keyword arguments. */
export function loraConfigArgs(t: TargetInput): Record<string, unknown> | null {
  if (!t.lora) return null;
  return {
    r: t.lora.r, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, target_modules: t.lora.targetModules, use_rslora: t.lora.useRslora,
    layers_to_transform: t.lora.layersToTransform, bias: 'none', task_type: 'CAUSAL_LM',
  };
}

const SCRIPT = `# Written by WebTune Studio: fine-tunes the same base model, with the same method, data and settings, on GPUs.
# One GPU: python train.py    Several: accelerate launch --config_file accelerate_config.yaml train.py
import json

from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

with open("trl_config.json") as f:
    cfg = json.load(f)

files = {"train": "data/train.jsonl"}
if cfg["has_validation"]:
    files["validation"] = "data/validation.jsonl"
data = load_dataset("json", data_files=files)

trainer = SFTTrainer(
    model=cfg["model"],
    args=SFTConfig(**cfg["sft"]),
    train_dataset=data["train"],
    eval_dataset=data["validation"] if cfg["has_validation"] else None,
    peft_config=LoraConfig(**cfg["lora"]) if cfg["lora"] else None,
)
trainer.train()
trainer.save_model(cfg["sft"]["output_dir"])
`;

/** accelerate's config file for several GPUs on one or more machines (edit num_machines and the main address). */
export function accelerateConfig(): Record<string, string | number | boolean> {
  return {
    compute_environment: 'LOCAL_MACHINE', distributed_type: 'MULTI_GPU', num_machines: 1, num_processes: 8, machine_rank: 0,
    main_process_ip: '127.0.0.1', main_process_port: 29500, rdzv_backend: 'static', same_network: true, mixed_precision: 'bf16',
    gpu_ids: 'all', main_training_function: 'main', use_cpu: false, downcast_bf16: 'no', debug: false,
  };
}

export function trlFiles(t: TargetInput): TargetFiles {
  const cfg = { model: t.baseModel, has_validation: t.validation.length > 0, sft: sftConfig(t), lora: loraConfigArgs(t) };
  const files: Record<string, string> = {
    'data/train.jsonl': jsonl(t.train.map(trlRow)),
    'trl_config.json': JSON.stringify(cfg, null, 2) + '\n',
    'train.py': SCRIPT,
    'accelerate_config.yaml': toYaml(accelerateConfig(), 'accelerate launch --config_file accelerate_config.yaml train.py\nSet num_processes to the total GPU count; for several nodes set num_machines, and on each node machine_rank and main_process_ip.'),
  };
  if (t.validation.length) files['data/validation.jsonl'] = jsonl(t.validation.map(trlRow));
  return {
    files,
    install: 'pip install "trl>=0.20" peft accelerate datasets',
    oneGpu: 'python train.py',
    severalGpus: [
      '# one node, 8 GPUs (num_processes in accelerate_config.yaml):',
      'accelerate launch --config_file accelerate_config.yaml train.py',
      '# two nodes of 8 GPUs: on each node, with its own rank (0 on the main node):',
      'accelerate launch --config_file accelerate_config.yaml --num_machines 2 --num_processes 16 --machine_rank 0 --main_process_ip <main-node-ip> train.py',
    ].join('\n'),
  };
}
