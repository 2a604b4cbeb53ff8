'use client';
// The memory plan beside the method choice: what training will hold (weights, gradients, optimizer state,
// activations) against the budget and the GPU's binding limit, why it will not fit, settings that would, and the
// gradient checkpointing choice (auto, on, off) with what it costs.
import type { CheckpointingChoice } from '@/lib/stores/config-form';
import type { MemoryPlanView } from '@/lib/stores/memory';
import { Button, Field, inputClass } from './ui';

const PARTS = [
  { key: 'weights', label: 'Weights', color: 'bg-sky-500' },
  { key: 'gradients', label: 'Gradients', color: 'bg-violet-500' },
  { key: 'optimizer', label: 'Optimizer (AdamW)', color: 'bg-amber-500' },
  { key: 'activations', label: 'Activations', color: 'bg-emerald-500' },
] as const;

const CHECKPOINTING_CHOICES: { value: CheckpointingChoice; label: string }[] = [
  { value: 'auto', label: 'Auto: only when needed to fit' },
  { value: 'on', label: 'On' },
  { value: 'off', label: 'Off' },
];

/** What the plan assumed about checkpointing, in words. */
function checkpointingText(plan: MemoryPlanView): string {
  if (!plan.checkpointing) return plan.checkpointingAuto ? 'Off: the plan fits without it.' : 'Off.';
  return `${plan.checkpointingAuto ? 'On, because the plan does not fit without it' : 'On'}: each block is run again in the backward pass, so steps take about a third longer.`;
}

export function MemoryPlanCard({ plan, budgetGiB, checkpointing, onBudget, onApply, onCheckpointing }: {
  plan: MemoryPlanView;
  budgetGiB: string;
  checkpointing: CheckpointingChoice;
  onBudget: (value: string) => void;
  onApply: (index: number) => void;
  onCheckpointing: (choice: CheckpointingChoice) => void;
}) {
  const scale = Math.max(plan.total, plan.budget);
  return (
    <section aria-labelledby="memory-plan-title" data-testid="memory-plan" data-fits={plan.fits}
      className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id="memory-plan-title" className="text-sm font-semibold">Memory plan</h3>
        <p className="text-sm tabular-nums" data-testid="memory-total">
          <span className={plan.fits ? '' : 'font-semibold text-red-700 dark:text-red-400'}>{plan.totalText}</span>
          <span className="text-zinc-500"> of {plan.budgetText} budget</span>
        </p>
      </div>
      {plan.trainableText && <p className="mt-1 text-xs text-zinc-500 tabular-nums" data-testid="trainable-params" data-count={plan.trainableParams}>{plan.trainableText}</p>}
      <div className="mt-3 flex h-3 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800" role="img"
        aria-label={`Planned memory: ${plan.totalText} of ${plan.budgetText}`}>
        {PARTS.map((p) => (
          <div key={p.key} className={p.color} style={{ width: `${(100 * plan[p.key]) / scale}%` }} />
        ))}
      </div>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-xs sm:grid-cols-4">
        {PARTS.map((p) => (
          <div key={p.key} className="flex items-center gap-1.5">
            <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${p.color}`} />
            <dt className="text-zinc-500">{p.label}</dt>
            <dd className="ml-auto tabular-nums" data-testid={`memory-${p.key}`}>{plan.text[p.key]}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-2 text-xs text-zinc-500">
        Largest tensor: {plan.largestTensor.name} ({plan.largestTensor.text}){plan.bindingText ? `; this GPU binds up to ${plan.bindingText} at once` : ''}.
      </p>
      {!plan.fits && (
        <div role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-testid="memory-problems">
          <p className="font-medium">This setup will not fit, so training will not start.</p>
          <ul className="mt-1 list-disc pl-5">{plan.problems.map((p) => <li key={p}>{p}</li>)}</ul>
          {plan.suggestions.length > 0 ? (
            <div className="mt-2 flex flex-wrap items-center gap-2">
              <span>What would fit:</span>
              {plan.suggestions.map((s, i) => (
                <Button key={s.label} className="py-1 text-xs" onClick={() => onApply(i)} data-testid={`memory-suggestion-${i}`}>
                  Use {s.label} ({s.totalText})
                </Button>
              ))}
            </div>
          ) : (
            <p className="mt-1">No smaller batch or sequence fits: choose a smaller model or raise the budget.</p>
          )}
          <p className="mt-2" data-testid="memory-handoff">
            Or train it on GPUs: the Export step&apos;s hand-off bundle (TRL, Axolotl, LLaMA-Factory) carries this job as it is; it needs about {plan.handoffText ?? plan.totalText} of GPU memory per GPU.
          </p>
        </div>
      )}
      <div className="mt-3 grid gap-3 sm:grid-cols-[12rem_1fr]">
        <Field id="memory-budget" label="Memory budget (GiB)" help="Browsers do not report GPU memory: set what you can spare.">
          <input id="memory-budget" className={inputClass} inputMode="decimal" value={budgetGiB}
            onChange={(e) => onBudget(e.target.value)} data-testid="memory-budget" />
        </Field>
        <Field id="checkpointing" label="Gradient checkpointing" help={checkpointingText(plan)}>
          <select id="checkpointing" className={inputClass} value={checkpointing} data-testid="checkpointing"
            onChange={(e) => onCheckpointing(e.target.value as CheckpointingChoice)}>
            {CHECKPOINTING_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </Field>
      </div>
    </section>
  );
}
