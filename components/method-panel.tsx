'use client';
// Section 3, Method: LoRA or full fine-tuning, presets, and every hyperparameter with one line of help.
import { GPT2_TARGET_MODULES, METHOD_HELP, PRESETS, RSLORA_HELP, SCHEDULE_HELP, TARGET_HELP, type Method, type ScheduleKind } from '@/lib/ui-copy';
import { isRunActive } from '@/lib/stores/studio-reducer';
import { MemoryPlanSection } from './memory-plan-section';
import { FieldGroup, NumberField } from './method-fields';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, Checkbox, Field, focusRing, inputClass, RadioCard } from './ui';

const METHODS: { value: Method; label: string }[] = [
  { value: 'lora', label: 'LoRA' },
  { value: 'full', label: 'Full fine-tuning' },
];
const SCHEDULES: ScheduleKind[] = ['cosine', 'linear', 'constant'];

export function MethodPanel() {
  const method = useStudio((s) => s.form.method);
  const schedule = useStudio((s) => s.form.schedule);
  const formError = useStudio((s) => s.configErrors.form);
  const running = useStudio((s) => isRunActive(s.run.status));
  const actions = useActions();

  return (
    <Card
      step={3}
      title="Method"
      description="How to train, and for how long. Defaults suit the demo model."
      aside={
        <Button onClick={actions.resetSettings} disabled={running} data-testid="reset-settings">
          Reset to defaults
        </Button>
      }
    >
      {/* A run uses the settings it started with; editing waits until it ends. */}
      <fieldset disabled={running} className="flex flex-col gap-6">
        <legend className="sr-only">Training method and hyperparameters</legend>
        <div role="radiogroup" aria-label="Method" className="grid gap-3 sm:grid-cols-2">
          {METHODS.map((m) => (
            <RadioCard
              key={m.value}
              name="method"
              value={m.value}
              checked={method === m.value}
              onSelect={() => actions.setMethod(m.value)}
              label={m.label}
              help={METHOD_HELP[m.value]}
              testId={`method-${m.value}`}
            />
          ))}
        </div>

        <MemoryPlanSection />

        <div className="flex flex-wrap items-center gap-2">
          <span className="text-sm font-medium">Presets:</span>
          {PRESETS.map((p) => (
            <Button key={p.id} onClick={() => actions.applyPreset(p.id)} title={p.description} data-testid={`preset-${p.id}`} className="py-1 text-xs">
              {p.label}
            </Button>
          ))}
        </div>

        <FieldGroup title="Run">
          <NumberField field="steps" />
          <NumberField field="batchSize" />
          <NumberField field="seqLen" />
          <NumberField field="gradAccum" />
          <NumberField field="evalEvery" />
          <NumberField field="seed" />
        </FieldGroup>

        <FieldGroup title="Optimizer">
          <NumberField field="lr" />
          <Field id="field-schedule" label="Schedule" help={SCHEDULE_HELP}>
            <select
              id="field-schedule"
              value={schedule}
              onChange={(e) => actions.setSchedule(e.target.value as ScheduleKind)}
              data-testid="schedule"
              aria-describedby="field-schedule-help"
              className={inputClass}
            >
              {SCHEDULES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          <NumberField field="warmupSteps" />
          <NumberField field="minLrRatio" />
          <NumberField field="weightDecay" />
          <NumberField field="clipNorm" />
        </FieldGroup>

        <details className="group">
          <summary className={`cursor-pointer rounded text-sm font-medium text-zinc-700 dark:text-zinc-300 ${focusRing}`}>Adam settings</summary>
          <div className="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-3">
            <NumberField field="beta1" />
            <NumberField field="beta2" />
            <NumberField field="epsilon" />
          </div>
        </details>

        {method === 'lora' && <LoraFields />}
        {formError && <Alert>{formError}</Alert>}
      </fieldset>
    </Card>
  );
}

function LoraFields() {
  const targets = useStudio((s) => s.form.targetModules);
  const modelTargets = useStudio((s) => s.model.info?.loraTargets);
  const modules = modelTargets?.all ?? GPT2_TARGET_MODULES;
  const rslora = useStudio((s) => s.form.useRslora);
  const targetError = useStudio((s) => s.configErrors.targetModules);
  const actions = useActions();
  return (
    <FieldGroup title="LoRA">
      <NumberField field="loraR" />
      <NumberField field="loraAlpha" />
      <NumberField field="loraDropout" />
      <fieldset className="flex flex-col gap-1 sm:col-span-2" aria-describedby="targets-note">
        <legend className="text-sm font-medium">Target modules</legend>
        <div className="mt-1 flex flex-wrap gap-4">
          {modules.map((m) => (
            <label key={m} className="flex items-center gap-2 font-mono text-sm">
              <input
                type="checkbox"
                checked={targets.includes(m)}
                onChange={() => actions.toggleTargetModule(m)}
                data-testid={`target-${m}`}
                className={`accent-indigo-600 ${focusRing}`}
              />
              {m}
            </label>
          ))}
        </div>
        {modelTargets && (
          <div className="mt-1 flex flex-wrap gap-2">
            {Object.entries(modelTargets.presets).map(([name, list]) => (
              <Button key={name} className="py-0.5 text-xs" onClick={() => actions.setTargetModules(list)} data-testid={`targets-${name}`}>
                {name === 'attention' ? 'Attention only' : name === 'all-linear' ? 'All linear layers' : name}
              </Button>
            ))}
          </div>
        )}
        {targetError ? (
          <p id="targets-note" role="alert" className="text-xs text-red-700 dark:text-red-400">
            {targetError}
          </p>
        ) : (
          <p id="targets-note" className="text-xs text-zinc-500 dark:text-zinc-400">
            {TARGET_HELP}
          </p>
        )}
      </fieldset>
      <Checkbox checked={rslora} onChange={actions.setRslora} testId="rslora" label={<span className="font-medium">rsLoRA</span>} help={RSLORA_HELP} />
    </FieldGroup>
  );
}
