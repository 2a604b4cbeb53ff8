'use client';
// Section 3, Method: every method of the registry with its one-line trade-off, presets, and every hyperparameter
// with one line of help (the method's own fields come from its spec).
import { METHOD_SPECS, PRESETS, SCHEDULE_HELP, type ScheduleKind } from '@/lib/ui-copy';
import { OBJECTIVE_OPTIONS } from '@/lib/stores/objective-choice';
import { isRunActive } from '@/lib/stores/studio-reducer';
import { MemoryPlanSection } from './memory-plan-section';
import { FieldGroup, NumberField } from './method-fields';
import { MethodOwnFields } from './method-own-fields';
import { ObjectiveFields } from './objective-fields';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, Field, focusRing, inputClass, RadioCard } from './ui';

const SCHEDULES: ScheduleKind[] = ['cosine', 'linear', 'constant'];

export function MethodPanel() {
  const method = useStudio((s) => s.form.method);
  const objective = useStudio((s) => s.form.objective);
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
          {METHOD_SPECS.map((m) => (
            <RadioCard
              key={m.id}
              name="method"
              value={m.id}
              checked={method === m.id}
              onSelect={() => actions.setMethod(m.id)}
              label={m.label}
              help={m.help}
              testId={`method-${m.id}`}
            />
          ))}
        </div>

        <div role="radiogroup" aria-label="Objective" className="flex flex-col gap-2">
          <span className="text-sm font-medium">Objective (what the run optimises; the method above is what it trains)</span>
          <div className="grid gap-3 sm:grid-cols-2">
            {OBJECTIVE_OPTIONS.map((o) => (
              <RadioCard
                key={o.id}
                name="objective"
                value={o.id}
                checked={objective === o.id}
                onSelect={() => actions.setObjective(o.id)}
                label={o.label}
                help={o.help}
                testId={`objective-${o.id}`}
              />
            ))}
          </div>
        </div>

        <ObjectiveFields />

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
          <NumberField field="replayShare" />
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

        <MethodOwnFields method={method} />
        {formError && <Alert>{formError}</Alert>}
      </fieldset>
    </Card>
  );
}
