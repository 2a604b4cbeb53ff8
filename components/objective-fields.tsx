'use client';
// The chosen objective's own settings (DPO's beta and loss, KTO's weights, RL's reward rules, k, PPO's epochs...):
// rendered from their declarations, each a labelled control with its help or its error inline.
import { objectiveFormKey, shownObjectiveFields, type ObjectiveField } from '@/lib/stores/objective-form';
import { OBJECTIVE_OPTIONS } from '@/lib/stores/objective-choice';
import { useRef } from 'react';
import { formatBytes, formatCount } from '@/lib/format';
import { FieldGroup } from './method-fields';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Checkbox, Field, inputClass, Note } from './ui';

export function ObjectiveFields() {
  const choice = useStudio((s) => s.form.objective);
  const values = useStudio((s) => s.form.objectiveValues);
  const picked = useStudio((s) => s.rewardModel.local !== null);
  const rl = choice === 'grpo' || choice === 'rloo' || choice === 'ppo';
  // A picked reward model scores the answers instead of the rules.
  const fields = shownObjectiveFields(choice, values).filter((f) => !(f.kind === 'rewards' && picked));
  if (fields.length === 0) return null;
  const title = OBJECTIVE_OPTIONS.find((o) => o.id === choice)?.label ?? choice;
  return (
    <FieldGroup title={`${title} settings`}>
      {rl && <RewardModelField />}
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

/** RL's reward-model folder: the studio's reward-model export (unzipped) or a transformers sequence classifier. */
function RewardModelField() {
  const { local, error, params } = useStudio((s) => s.rewardModel);
  const running = useStudio((s) => s.run.status === 'running' || s.run.status === 'loading');
  const actions = useActions();
  const folderRef = useRef<HTMLInputElement>(null);
  const filesRef = useRef<HTMLInputElement>(null);
  const onPick = (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) void actions.pickRewardModel(files);
  };
  return (
    <div className="flex flex-col gap-2 sm:col-span-2 lg:col-span-3" role="group" aria-labelledby="reward-model-label" data-testid="reward-model-field">
      <span id="reward-model-label" className="text-sm font-medium">Reward model (optional)</span>
      <div className="flex flex-wrap items-center gap-2">
        <Button onClick={() => folderRef.current?.click()} disabled={running} data-testid="reward-model-choose-folder">Choose folder…</Button>
        <Button onClick={() => filesRef.current?.click()} disabled={running} data-testid="reward-model-choose-files">Choose files…</Button>
        {local && <Button onClick={actions.clearRewardModel} disabled={running} data-testid="reward-model-clear">Use the reward rules instead</Button>}
      </div>
      <input ref={folderRef} type="file" hidden tabIndex={-1} multiple {...{ webkitdirectory: '' }} onChange={(e) => onPick(e.target)} data-testid="reward-model-folder-input" />
      <input ref={filesRef} type="file" hidden tabIndex={-1} multiple onChange={(e) => onPick(e.target)} data-testid="reward-model-files-input" />
      {error ? (
        <Alert testId="reward-model-error">{error}</Alert>
      ) : local ? (
        <Note>
          <span data-testid="reward-model-summary">
            {local.name}: scores every sampled answer ({formatCount(params ?? 0)} parameters, {formatBytes(local.size)}); the memory plan counts its weights.
          </span>
        </Note>
      ) : (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          A folder with config.json (a *ForSequenceClassification, num_labels 1), tokenizer.json and model.safetensors: the Reward model objective&apos;s export, unzipped, or one from the Hub. Without one, the rules below score.
        </p>
      )}
    </div>
  );
}
