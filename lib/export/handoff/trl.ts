// Hugging Face TRL: data as the trainer's documented JSONL formats, trl_config.json holding its config's and
// peft.LoraConfig's arguments, train.py that runs them (SFTTrainer, or DPOTrainer / CPOTrainer for SimPO /
// ORPOTrainer / KTOTrainer / RewardTrainer for preference runs), and an accelerate config for several GPUs and nodes.
import type { TargetFiles, TargetInput } from './index';
import { hfScheduler } from './plan';
import type { HandoffObjective } from './preference';
import { jsonl, trlPreferenceRow, trlRow } from './records';
import { toYaml } from './yaml';

/** transformers TrainingArguments every TRL config extends. */
function trainingArguments(t: TargetInput): Record<string, unknown> {
  const c = t.config;
  const sched = hfScheduler(c);
  const evals = t.validation.length > 0 && c.evalEvery > 0;
  return {
    output_dir: 'output', max_steps: c.steps, per_device_train_batch_size: c.batchSize, gradient_accumulation_steps: c.gradAccum,
    learning_rate: c.lr, weight_decay: c.weightDecay, adam_beta1: c.beta1, adam_beta2: c.beta2, adam_epsilon: c.epsilon,
    warmup_steps: c.warmupSteps, lr_scheduler_type: sched.name, ...(sched.kwargs ? { lr_scheduler_kwargs: sched.kwargs } : {}),
    max_grad_norm: c.clipNorm, seed: c.seed, gradient_checkpointing: c.checkpointing ?? false,
    eval_strategy: evals ? 'steps' : 'no', ...(evals ? { eval_steps: c.evalEvery } : {}),
    logging_steps: 1, save_strategy: 'steps', save_steps: Math.max(1, c.checkpointEvery || c.steps), bf16: true, report_to: 'none',
  };
}

/** SFTConfig keyword arguments (TrainingArguments plus SFT's max_length, packing, completion_only_loss). */
export function sftConfig(t: TargetInput): Record<string, unknown> {
  return {
    ...trainingArguments(t), max_length: t.config.seqLen, packing: t.config.packing ?? false,
    completion_only_loss: t.kind === 'completion' ? true : null, assistant_only_loss: false,
  };
}

/** The TRL trainer and config class for a preference objective, the modules to look in besides `trl` (CPO and ORPO
 * live in trl.experimental in TRL 1.x, KTO did before 1.9), and the config's own arguments with our settings. */
export function preferenceTrainer(t: TargetInput, o: Exclude<HandoffObjective, { kind: 'sft' }>) {
  const args = { ...trainingArguments(t), max_length: t.config.seqLen };
  if (o.kind === 'reward') return { trainer: 'RewardTrainer', config: 'RewardConfig', modules: [], args };
  if (o.kind === 'kto') {
    return {
      trainer: 'KTOTrainer', config: 'KTOConfig', modules: ['trl.experimental.kto'],
      args: { ...args, beta: o.beta, desirable_weight: o.desirableWeight, undesirable_weight: o.undesirableWeight, precompute_ref_log_probs: o.precomputeReference },
    };
  }
  // SimPO is CPOTrainer's simpo loss with the behaviour-cloning term off (cpo_alpha 0); ORPO's beta is its lambda.
  if (o.loss === 'simpo') return { trainer: 'CPOTrainer', config: 'CPOConfig', modules: ['trl.experimental.cpo'], args: { ...args, loss_type: 'simpo', beta: o.beta, simpo_gamma: o.simpoGamma, cpo_alpha: 0 } };
  if (o.loss === 'orpo') return { trainer: 'ORPOTrainer', config: 'ORPOConfig', modules: ['trl.experimental.orpo'], args: { ...args, beta: o.beta } };
  return {
    trainer: 'DPOTrainer', config: 'DPOConfig', modules: [],
    args: { ...args, loss_type: o.loss, beta: o.beta, ...(o.loss === 'sigmoid' ? { label_smoothing: o.labelSmoothing } : {}), precompute_ref_log_probs: o.precomputeReference },
  };
}

/** peft.LoraConfig keyword arguments (a reward model's head is a sequence classifier: SEQ_CLS). */
export function loraConfigArgs(t: TargetInput): Record<string, unknown> | null {
  if (!t.lora) return null;
  return {
    r: t.lora.r, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, target_modules: t.lora.targetModules, use_rslora: t.lora.useRslora,
    layers_to_transform: t.lora.layersToTransform, bias: 'none', task_type: t.objective.kind === 'reward' ? 'SEQ_CLS' : 'CAUSAL_LM',
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

const PREFERENCE_SCRIPT = `# Written by WebTune Studio: trains the same base model, with the same method, objective, data and settings, on GPUs.
# One GPU: python train.py    Several: accelerate launch --config_file accelerate_config.yaml train.py
import importlib
import json

from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

with open("trl_config.json") as f:
    cfg = json.load(f)


def trl_class(name):
    for module in ["trl", *cfg["modules"]]:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            pass
    raise ImportError(f"{name} is not in this TRL version (looked in trl and {cfg['modules']}): pip install -U trl")


files = {"train": "data/train.jsonl"}
if cfg["has_validation"]:
    files["validation"] = "data/validation.jsonl"
data = load_dataset("json", data_files=files)

tokenizer = AutoTokenizer.from_pretrained(cfg["model"])
if tokenizer.pad_token is None:
    tokenizer.pad_token = tokenizer.eos_token
if cfg["trainer"] == "RewardTrainer":
    model = AutoModelForSequenceClassification.from_pretrained(cfg["model"], num_labels=1)
    model.config.pad_token_id = tokenizer.pad_token_id
else:
    model = AutoModelForCausalLM.from_pretrained(cfg["model"])

Trainer, Config = trl_class(cfg["trainer"]), trl_class(cfg["config"])
trainer = Trainer(
    model=model,
    args=Config(**cfg["args"]),
    train_dataset=data["train"],
    eval_dataset=data["validation"] if cfg["has_validation"] else None,
    processing_class=tokenizer,
    peft_config=LoraConfig(**cfg["lora"]) if cfg["lora"] else None,
)
trainer.train()
trainer.save_model(cfg["args"]["output_dir"])
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
  const o = t.objective;
  const base = { model: t.baseModel, has_validation: t.validation.length > 0 };
  const cfg = o.kind === 'sft' ? { ...base, sft: sftConfig(t), lora: loraConfigArgs(t) } : { ...base, ...preferenceTrainer(t, o), lora: loraConfigArgs(t) };
  const row = o.kind === 'sft' ? trlRow : (r: TargetInput['train'][number]) => trlPreferenceRow(r, o);
  const files: Record<string, string> = {
    'data/train.jsonl': jsonl(t.train.map(row)),
    'trl_config.json': JSON.stringify(cfg, null, 2) + '\n',
    'train.py': o.kind === 'sft' ? SCRIPT : PREFERENCE_SCRIPT,
    'accelerate_config.yaml': toYaml(accelerateConfig(), 'accelerate launch --config_file accelerate_config.yaml train.py\nSet num_processes to the total GPU count; for several nodes set num_machines, and on each node machine_rank and main_process_ip.'),
  };
  if (t.validation.length) files['data/validation.jsonl'] = jsonl(t.validation.map(row));
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
