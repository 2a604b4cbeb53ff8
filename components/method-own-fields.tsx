'use client';
// The chosen method's own settings, rendered from its spec in the registry: numbers, on/off flags, module
// checklists (with the loaded model's presets), layer lists and per-module patterns, each with its label, default and
// one line of help.
import { GPT2_TARGET_MODULES, methodSpec, type Method, type MethodField } from '@/lib/ui-copy';
import { fieldTestId, methodFields, moduleChoices, type MethodFieldKey } from '@/lib/stores/method-form';
import { FieldGroup, NumberField } from './method-fields';
import { useActions, useStudio } from './studio-provider';
import { Button, Checkbox, Field, focusRing, inputClass } from './ui';

export function MethodOwnFields({ method }: { method: Method }) {
  const fields = methodFields(method);
  if (fields.length === 0) return null;
  return (
    <FieldGroup title={methodSpec(method).label}>
      {fields.map(([fk, key, f]) => (
        <OwnField key={fk} formKey={fk} field={f} testId={fieldTestId(method, key, f)} />
      ))}
    </FieldGroup>
  );
}

function OwnField({ formKey, field, testId }: { formKey: MethodFieldKey; field: MethodField; testId: string }) {
  switch (field.kind) {
    case 'number':
      return <NumberField field={formKey} />;
    case 'boolean':
      return <FlagField formKey={formKey} field={field} testId={testId} />;
    case 'modules':
      return <ModulesField formKey={formKey} field={field} testId={testId} />;
    case 'layers':
      return <DraftField formKey={formKey} field={field} testId={testId} placeholder="every block" />;
    case 'text':
      return <DraftField formKey={formKey} field={field} testId={testId} placeholder="(none)" />;
    case 'pattern':
      return <DraftField formKey={formKey} field={field} testId={testId} placeholder="none: every module uses the value above" />;
  }
}

function FlagField({ formKey, field, testId }: { formKey: MethodFieldKey; field: MethodField; testId: string }) {
  const on = useStudio((s) => s.form.flags[formKey] ?? false);
  const actions = useActions();
  return <Checkbox checked={on} onChange={(v) => actions.setFlag(formKey, v)} testId={testId} label={<span className="font-medium">{field.label}</span>} help={field.help} />;
}

/** A text input over the field's draft: layer lists ('0, 2'), patterns ('v_proj=16') and free text. */
function DraftField({ formKey, field, testId, placeholder }: { formKey: MethodFieldKey; field: MethodField; testId: string; placeholder: string }) {
  const value = useStudio((s) => s.form.drafts[formKey] ?? '');
  const error = useStudio((s) => s.configErrors[formKey]);
  const actions = useActions();
  const id = `field-${formKey}`;
  return (
    <Field id={id} label={field.label} help={field.help} error={error}>
      <input
        id={id} type="text" autoComplete="off" spellCheck={false} value={value} placeholder={placeholder}
        onChange={(e) => actions.setField(formKey, e.target.value)}
        aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : `${id}-help`}
        data-testid={testId} className={inputClass}
      />
    </Field>
  );
}

function ModulesField({ formKey, field, testId }: { formKey: MethodFieldKey; field: MethodField; testId: string }) {
  const chosen = useStudio((s) => s.form.lists[formKey] ?? []);
  const info = useStudio((s) => s.model.info);
  const error = useStudio((s) => s.configErrors[formKey]);
  const actions = useActions();
  const choices = moduleChoices(field, info);
  const modules = choices?.all ?? GPT2_TARGET_MODULES;
  const noteId = `${formKey}-note`;
  return (
    <fieldset className="flex flex-col gap-1 sm:col-span-2" aria-describedby={noteId}>
      <legend className="text-sm font-medium">{field.label}</legend>
      <div className="mt-1 flex flex-wrap gap-4">
        {modules.map((m) => (
          <label key={m} className="flex items-center gap-2 font-mono text-sm">
            <input type="checkbox" checked={chosen.includes(m)} onChange={() => actions.toggleListItem(formKey, m)} data-testid={`${testId}-${m}`} className={`accent-indigo-600 ${focusRing}`} />
            {m}
          </label>
        ))}
      </div>
      {choices && (
        <div className="mt-1 flex flex-wrap gap-2">
          {choices.presets.map((p) => (
            <Button key={p.id} className="py-0.5 text-xs" onClick={() => actions.setList(formKey, p.modules)} data-testid={`${testId}s-${p.id}`}>
              {p.label}
            </Button>
          ))}
        </div>
      )}
      <p id={noteId} role={error ? 'alert' : undefined} className={`text-xs ${error ? 'text-red-700 dark:text-red-400' : 'text-zinc-500 dark:text-zinc-400'}`}>
        {error ?? field.help}
      </p>
    </fieldset>
  );
}
