'use client';
// Inputs for the method section: one typed number field per setting, with its help or its error inline.
import type { ReactNode } from 'react';
import { FIELD_SPECS, METHOD_SPECS, type BaseField, type NumericField } from '@/lib/ui-copy';
import { fieldTestId, methodFields } from '@/lib/stores/method-form';
import { useActions, useStudio } from './studio-provider';
import { Field, inputClass } from './ui';

const BASE_TEST_IDS: Record<BaseField, string> = {
  steps: 'steps',
  batchSize: 'batch-size',
  seqLen: 'seq-len',
  lr: 'lr',
  warmupSteps: 'warmup-steps',
  minLrRatio: 'min-lr-ratio',
  weightDecay: 'weight-decay',
  clipNorm: 'grad-clip',
  gradAccum: 'grad-accum',
  seed: 'seed',
  evalEvery: 'eval-every',
  replayShare: 'replay-share',
  beta1: 'beta1',
  beta2: 'beta2',
  epsilon: 'epsilon',
};

/** data-testid per field: the shared ones above, each method's from its spec ('lora-r', 'lora-alpha', ...). */
export const FIELD_TEST_IDS = Object.fromEntries([
  ...Object.entries(BASE_TEST_IDS),
  ...METHOD_SPECS.flatMap((s) => methodFields(s.id).map(([fk, key, f]) => [fk, fieldTestId(s.id, key, f)])),
]) as Record<NumericField, string>;

export function NumberField({ field }: { field: NumericField }) {
  const value = useStudio((s) => s.form.drafts[field]);
  const error = useStudio((s) => s.configErrors[field]);
  const actions = useActions();
  const spec = FIELD_SPECS[field];
  const id = `field-${field}`;
  return (
    <Field id={id} label={spec.label} help={spec.help} error={error}>
      <input
        id={id}
        type="text"
        inputMode={spec.integer ? 'numeric' : 'decimal'}
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => actions.setField(field, e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-help`}
        data-testid={FIELD_TEST_IDS[field]}
        className={inputClass}
      />
    </Field>
  );
}

export function FieldGroup({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="flex flex-col gap-3">
      <legend className="mb-3 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">{title}</legend>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">{children}</div>
    </fieldset>
  );
}
