'use client';
// Train / validation / test split by percentages with the run's seed, or a separate validation file.
import { useRef } from 'react';
import { plural } from '@/lib/format';
import { ACCEPTED_EXTENSIONS } from '@/lib/stores/samples';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Checkbox, HiddenFileInput, inputClass, Note, SubSection } from './ui';

function Percent({ id, label, value, max, onChange }: { id: string; label: string; value: number; max: number; onChange: (n: number) => void }) {
  return (
    <label htmlFor={id} className="flex items-center gap-2 text-sm font-medium">
      {label}
      <input id={id} type="number" min={0} max={max} value={value} data-testid={id} onChange={(e) => onChange(e.target.valueAsNumber)} className={`${inputClass} w-20`} />
      <span className="font-normal">%</span>
    </label>
  );
}

export function DataSplit() {
  const choices = useStudio((s) => s.data.choices);
  const split = useStudio((s) => s.data.report?.split);
  const seed = useStudio((s) => s.form.drafts.seed);
  const vfile = useStudio((s) => s.data.validationFile);
  const actions = useActions();
  const fileRef = useRef<HTMLInputElement>(null);
  const fromFile = choices.useValidationFile && vfile.status === 'ready';
  return (
    <SubSection title="Split" testId="data-split">
      <div className="flex flex-wrap items-center gap-4">
        <Percent id="validation-percent" label="Validation" value={choices.validationPercent} max={50} onChange={actions.setValidationPercent} />
        <Percent id="test-percent" label="Test" value={choices.testPercent} max={40} onChange={actions.setTestPercent} />
        {split && (
          <span className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="split-counts">
            {split.train.toLocaleString('en-US')} train · {split.validation.toLocaleString('en-US')} validation · {split.test.toLocaleString('en-US')} test
            {split.fromFile ? ' (validation from its own file)' : ` (shuffled with seed ${seed})`}
          </span>
        )}
      </div>
      {fromFile && <Note>The percentages are not used while the validation file is on.</Note>}
      <Note>Held-out records measure loss on text the model did not train on; 0% turns validation off. The test part is kept out of training and validation. The seed is set in step 3.</Note>
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={() => fileRef.current?.click()} data-testid="validation-file-button">
          Use a separate validation file
        </Button>
        <HiddenFileInput inputRef={fileRef} accept={ACCEPTED_EXTENSIONS.join(',')} testId="validation-file-input" onFile={(f) => void actions.loadValidationFile(f)} />
        {vfile.status === 'reading' && <Note>Reading {vfile.source}…</Note>}
        {vfile.status === 'ready' && vfile.summary && (
          <Checkbox
            checked={choices.useValidationFile}
            onChange={actions.setUseValidationFile}
            label={`Validate on ${vfile.summary.fileName} (${plural(vfile.summary.valid, 'valid record')})`}
            help={vfile.summary.issues.length > 0 ? `${plural(vfile.summary.issues.length, 'record')} in it could not be read and are left out.` : undefined}
            testId="use-validation-file"
          />
        )}
      </div>
      {vfile.error && <Alert>{vfile.error}</Alert>}
    </SubSection>
  );
}
