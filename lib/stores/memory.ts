// The memory plan as the Method step shows it: the planner's numbers with their text, for the current model,
// method, batch, sequence length, device limits and the user's budget.
import { formatBytes, type DeviceLimits, type MemoryPlan, type PlanSuggestion } from '../engine/memory-plan';

export const DEFAULT_BUDGET_GIB = 4;

export interface MemoryPlanView extends Omit<MemoryPlan, 'largestTensor' | 'suggestions'> {
  budget: number;
  totalText: string;
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
