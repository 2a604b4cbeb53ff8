'use client';
// Connects the memory plan card to the studio store: shown once a model is loaded and the settings are valid.
import { selectMemoryPlan } from '@/lib/stores/studio-store';
import { MemoryPlanCard } from './memory-plan-card';
import { useActions, useStudio } from './studio-provider';
import { Note } from './ui';

export function MemoryPlanSection() {
  const plan = useStudio(selectMemoryPlan);
  const budget = useStudio((s) => s.memoryBudgetGiB);
  const checkpointing = useStudio((s) => s.form.checkpointing);
  const loaded = useStudio((s) => s.model.info !== null);
  const actions = useActions();
  if (!plan) {
    return <Note>{loaded ? 'Fix the highlighted settings to see the memory plan.' : 'Load a model to see how much memory training will take.'}</Note>;
  }
  return (
    <MemoryPlanCard plan={plan} budgetGiB={budget} checkpointing={checkpointing} onBudget={actions.setMemoryBudget}
      onApply={actions.applyMemorySuggestion} onCheckpointing={actions.setCheckpointing} />
  );
}
