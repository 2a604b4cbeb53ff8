// The memory plan as the Method step shows it: the planner's numbers with their text, for the current model,
// method, batch, sequence length, device limits and the user's budget.
import { autoCheckpointing, DEFAULT_BUDGET_GIB, formatBytes, planMemory, planModelFor, type DeviceLimits, type MemoryPlan, type PlanSuggestion } from '../engine/memory-plan';
import { planRequestFor } from '../engine/run-plan';
import { handoffMemory } from '../export/handoff/plan';
import { loraSpec } from '../engine/peft/lora/config';
import { METHOD_SPECS, methodSpec } from '../engine/peft/registry';
import type { ModelConfig, TrainConfig } from '../engine/types';
import { formatCount } from '../format';
import type { GpuLimits, ModelInfo } from '../train-worker/protocol';
import type { ConfigForm } from './config-form';
import { methodFields, moduleChoices } from './method-form';

export { DEFAULT_BUDGET_GIB };

export interface MemoryPlanView extends Omit<MemoryPlan, 'largestTensor' | 'suggestions'> {
  budget: number;
  /** True when checkpointing was decided by the plan (the person chose auto), not set by hand. */
  checkpointingAuto?: boolean;
  /** The chosen method's trainable parameters for the loaded model, and as text ("7.2 K trainable parameters"). */
  trainableParams?: number;
  trainableText?: string;
  totalText: string;
  /** What the same job needs on a hand-off trainer's GPU (lib/export/handoff/plan.ts), as the bundle's README says. */
  handoffText?: string;
  budgetText: string;
  text: Record<'weights' | 'gradients' | 'optimizer' | 'activations', string>;
  largestTensor: MemoryPlan['largestTensor'] & { text: string };
  bindingText: string | null;
  suggestions: (PlanSuggestion & { totalText: string })[];
}

export function memoryPlanView(plan: MemoryPlan, limits: DeviceLimits): MemoryPlanView {
  const binding = Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity);
  return {
    ...plan,
    budget: limits.budgetBytes,
    totalText: formatBytes(plan.total),
    budgetText: formatBytes(limits.budgetBytes),
    text: {
      weights: formatBytes(plan.weights),
      gradients: formatBytes(plan.gradients),
      optimizer: formatBytes(plan.optimizer),
      activations: formatBytes(plan.activations),
    },
    largestTensor: { ...plan.largestTensor, text: formatBytes(plan.largestTensor.bytes) },
    bindingText: Number.isFinite(binding) ? formatBytes(binding) : null,
    suggestions: plan.suggestions.map((s) => ({ ...s, totalText: formatBytes(s.total) })),
  };
}

/** The budget field's text as bytes; null when it is not a positive number. */
export function parseBudgetGiB(text: string): number | null {
  const v = Number(text.trim());
  return Number.isFinite(v) && v > 0 ? Math.round(v * 1024 ** 3) : null;
}

interface PlanInputs {
  info: ModelInfo | null;
  config: TrainConfig | null;
  budgetText: string;
  limits: GpuLimits | null;
  /** Parameters of the picked RL reward model (its weights load as f32 beside the policy's). */
  rewardParams?: number | null;
  /** The backend the worker trains on (fused attention on webgpu keeps no attention scores). */
  backend?: string | null;
}

/** The plan for the loaded model and the current settings; null until both exist. */
export function computeMemoryPlan({ info, config, budgetText, limits, rewardParams, backend }: PlanInputs): MemoryPlanView | null {
  if (!info || !config || !isPlannable(info.config)) return null;
  const model = info.config as unknown as ModelConfig; // the worker posts the parsed ModelConfig
  const spec = methodSpec(config.method);
  const trainableParams = spec.trainableParams(model, config);
  // The adapter size at the current LoRA settings, for the planner's "LoRA instead" suggestion.
  const lora = loraSpec.trainableParams(model, config);
  const device: DeviceLimits = {
    budgetBytes: parseBudgetGiB(budgetText) ?? DEFAULT_BUDGET_GIB * 1024 ** 3,
    ...(limits ?? {}),
  };
  const plannable = planModelFor(model);
  const req = planRequestFor(model, config, info.baseWeights ?? 'f32', backend);
  if (config.objective?.kind === 'rl' && rewardParams) req.extraWeightBytes = rewardParams * 4;
  // Unset means auto: checkpoint only when the plan does not fit without it (it costs time on every step).
  const auto = config.checkpointing === undefined;
  req.checkpointing = config.checkpointing ?? autoCheckpointing(plannable, req, device);
  return {
    ...memoryPlanView(planMemory(plannable, req, device, lora), device), checkpointingAuto: auto,
    handoffText: handoffMemory(model, { ...config, checkpointing: req.checkpointing }).text, // as the bundle resolves it
    trainableParams, trainableText: `${formatCount(trainableParams)} trainable parameters (${spec.label})`,
  };
}

/** A parsed config of a family the planner knows (the worker posts parsed configs; anything else gets no plan). */
function isPlannable(c: Record<string, unknown>): boolean {
  const num = (k: string) => typeof c[k] === 'number';
  if (c.model_type === 'gpt2') return ['vocab_size', 'n_embd', 'n_layer', 'n_head', 'n_positions'].every(num);
  return ['llama', 'qwen2', 'mistral'].includes(String(c.model_type)) &&
    ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim'].every(num);
}

let last: { inputs: PlanInputs; view: MemoryPlanView | null } | null = null;

/** computeMemoryPlan, memoised on its inputs' identity so React selectors get a stable object. */
export function memoryPlanFor(inputs: PlanInputs): MemoryPlanView | null {
  const same = last && last.inputs.info === inputs.info && last.inputs.config === inputs.config &&
    last.inputs.budgetText === inputs.budgetText && last.inputs.limits === inputs.limits && last.inputs.rewardParams === inputs.rewardParams &&
    last.inputs.backend === inputs.backend;
  if (!same) last = { inputs, view: computeMemoryPlan(inputs) };
  return last!.view;
}

const BUDGET_KEY = 'webtune.memoryBudgetGiB';

export function loadBudget(): string {
  try {
    return globalThis.localStorage?.getItem(BUDGET_KEY) || String(DEFAULT_BUDGET_GIB);
  } catch {
    return String(DEFAULT_BUDGET_GIB); // storage blocked: the default still works
  }
}

export function saveBudget(text: string): void {
  try {
    if (parseBudgetGiB(text) !== null) globalThis.localStorage?.setItem(BUDGET_KEY, text);
  } catch {
    // storage blocked or full: the budget still applies to this page
  }
}

/** Every method's module lists (LoRA's targets, IA3's, ...) cut to the names the loaded model offers for that
 * field; a list that keeps none (a GPT-2 default on a Llama model, say) becomes the field's first preset. */
export function fitTargetsToModel(form: ConfigForm, info: ModelInfo | null): ConfigForm {
  let lists = form.lists;
  for (const spec of METHOD_SPECS) {
    for (const [key, , f] of methodFields(spec.id)) {
      const list = form.lists[key];
      const choices = moduleChoices(f, info);
      if (!list || !choices) continue;
      const kept = list.filter((t) => choices.all.includes(t));
      if (kept.length === list.length && kept.length > 0) continue;
      lists = { ...lists, [key]: kept.length > 0 ? kept : [...choices.presets[0].modules] };
    }
  }
  return lists === form.lists ? form : { ...form, lists };
}
