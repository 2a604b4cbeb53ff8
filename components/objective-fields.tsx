'use client';
// The chosen objective's own settings (DPO's beta and loss, KTO's weights, RL's reward rules, k, PPO's epochs...):
// rendered from their declarations, each a labelled control with its help or its error inline.
import { objectiveFormKey, shownObjectiveFields, type ObjectiveField } from '@/lib/stores/objective-form';
import { OBJECTIVE_OPTIONS } from '@/lib/stores/objective-choice';
import { FieldGroup } from './method-fields';
import { useActions, useStudio } from './studio-provider';
import { Checkbox, Field, inputClass } from './ui';

export function ObjectiveFields() {
  const choice = useStudio((s) => s.form.objective);
  const values = useStudio((s) => s.form.objectiveValues);
  const fields = shownObjectiveFields(choice, values);
  if (fields.length === 0) return null;
  const title = OBJECTIVE_OPTIONS.find((o) => o.id === choice)?.label ?? choice;
  return (
    <FieldGroup title={`${title} settings`}>
      {fields.map((f) => (
        <OneField key={`${f.key}-${f.label}`} field={f} formKey={objectiveFormKey(choice, f.key)} />
      ))}
    </FieldGroup>
  );
}

function OneField({ field, formKey }: { field: ObjectiveField; formKey: string }) {
  const value = useStudio((s) => s.form.objectiveValues[formKey]);
  const error = useStudio((s) => s.configErrors[`objective.${field.key}`]);
  const actions = useActions();
  const id = `field-objective-${field.key}`;
  const testId = `objective-field-${field.key}`;
  const described = { 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `${id}-error` : `${id}-help` } as const;
  if (field.kind === 'boolean') {
    return <Checkbox checked={value === true} onChange={(v) => actions.setObjectiveField(formKey, v)} testId={testId} label={<span className="font-medium">{field.label}</span>} help={field.help} />;
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <Field id={id} label={field.label} help={field.help} error={error}>
      {field.kind === 'choice' ? (
        <select id={id} value={text} onChange={(e) => actions.setObjectiveField(formKey, e.target.value)} data-testid={testId} className={inputClass} {...described}>
          {field.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : field.kind === 'rewards' ? (
        <textarea id={id} rows={3} spellCheck={false} value={text} onChange={(e) => actions.setObjectiveField(formKey, e.target.value)} data-testid={testId} className={`${inputClass} font-mono`} {...described} />
      ) : (
        <input
          id={id} type="text" inputMode={field.integer ? 'numeric' : 'decimal'} autoComplete="off" spellCheck={false} value={text}
          onChange={(e) => actions.setObjectiveField(formKey, e.target.value)} data-testid={testId} className={inputClass} {...described}
        />
      )}
    </Field>
  );
}
