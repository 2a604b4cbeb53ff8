'use client';
// The chat template (the model's own when it has one, ChatML, Alpaca, Llama-3), "train on everything", and a
// preview of one record as the model reads it: tokens that carry loss highlighted, masked ones greyed.
import { TEMPLATE_CHOICES, type TemplateChoice } from '@/lib/data-worker/protocol';
import { plural } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Checkbox, inputClass, Note, SubSection } from './ui';

const TEMPLATE_LABEL: Record<TemplateChoice, string> = {
  auto: 'automatic',
  model: "the model's own",
  chatml: 'ChatML',
  alpaca: 'Alpaca',
  llama3: 'Llama-3',
};

/** Shows spaces and line ends so token boundaries are visible. */
function visible(text: string): string {
  return text.replace(/\n/g, '⏎\n');
}

export function DataTemplate() {
  const choices = useStudio((s) => s.data.choices);
  const report = useStudio((s) => s.data.report);
  const preview = useStudio((s) => s.data.preview);
  const previewError = useStudio((s) => s.data.previewError);
  const index = useStudio((s) => s.data.previewIndex);
  const actions = useActions();
  const options = TEMPLATE_CHOICES.filter((t) => t !== 'model' || report?.modelHasTemplate || choices.template === 'model');
  const count = preview?.count ?? 0;
  const loss = preview?.tokens.filter((t) => t.carriesLoss).length ?? 0;
  return (
    <SubSection title="Template and loss" testId="data-template">
      <div className="flex flex-wrap items-end gap-4">
        <label className="flex flex-col gap-1 text-sm font-medium">
          Chat template
          <select value={choices.template} onChange={(e) => actions.setTemplate(e.target.value as TemplateChoice)} data-testid="template-select" className={`${inputClass} w-48`}>
            {options.map((t) => (
              <option key={t} value={t}>
                {TEMPLATE_LABEL[t]}
              </option>
            ))}
          </select>
        </label>
        {report && (
          <span className="text-xs text-zinc-600 dark:text-zinc-400" data-testid="template-used">
            Using {report.template === 'model' ? "the model's own template" : report.template} for chat records
            {report.modelHasTemplate ? '' : " (this model has no chat template of its own)"}. Plain text and prompt/completion records are not templated.
          </span>
        )}
      </div>
      <Checkbox
        checked={choices.trainOnAll}
        onChange={actions.setTrainOnAll}
        label="Train on everything"
        help="Loss on every token (prompts and template text too), not only the answers."
        testId="train-on-all"
      />
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <Button onClick={() => actions.setPreviewIndex(Math.max(0, index - 1))} disabled={index === 0} aria-label="Previous record" data-testid="preview-prev">
          ←
        </Button>
        <label className="flex items-center gap-2">
          Record
          <input
            type="number"
            min={1}
            max={Math.max(1, count)}
            value={index + 1}
            onChange={(e) => Number.isInteger(e.target.valueAsNumber) && actions.setPreviewIndex(Math.min(Math.max(1, count), Math.max(1, e.target.valueAsNumber)) - 1)}
            data-testid="preview-index"
            className={`${inputClass} w-20`}
          />
          of {count.toLocaleString('en-US')}
        </label>
        <Button onClick={() => actions.setPreviewIndex(Math.min(count - 1, index + 1))} disabled={index >= count - 1} aria-label="Next record" data-testid="preview-next">
          →
        </Button>
        {preview && (
          <span className="text-xs text-zinc-600 dark:text-zinc-400" data-testid="preview-summary">
            line {preview.line}: {plural(preview.tokens.length, 'token')}, {loss.toLocaleString('en-US')} carry loss
          </span>
        )}
      </div>
      <p className="flex flex-wrap gap-4 text-xs" aria-hidden data-testid="preview-legend">
        <span className="flex items-center gap-1">
          <span className="inline-block size-3 rounded-sm bg-emerald-200 ring-1 ring-emerald-500 dark:bg-emerald-900 dark:ring-emerald-400" /> learned (carries loss)
        </span>
        <span className="flex items-center gap-1">
          <span className="inline-block size-3 rounded-sm bg-zinc-100 ring-1 ring-zinc-300 dark:bg-zinc-800 dark:ring-zinc-600" /> read, not learned (masked)
        </span>
      </p>
      {previewError && <Alert>{previewError}</Alert>}
      {preview ? (
        <div
          className="max-h-72 overflow-y-auto rounded-md border border-zinc-200 p-2 font-mono text-xs leading-6 whitespace-pre-wrap dark:border-zinc-800"
          data-testid="token-preview"
          tabIndex={0}
          aria-label={`Record at line ${preview.line} as tokens: ${loss} of ${preview.tokens.length} carry loss`}
        >
          {preview.tokens.map((t, i) => (
            <span
              key={i}
              title={`id ${t.id}${t.carriesLoss ? ', learned' : ', masked'}`}
              data-testid="token"
              data-loss={t.carriesLoss ? '1' : '0'}
              className={
                t.carriesLoss
                  ? 'rounded-sm bg-emerald-100 text-emerald-950 ring-1 ring-emerald-300 ring-inset dark:bg-emerald-950 dark:text-emerald-100 dark:ring-emerald-800'
                  : 'rounded-sm text-zinc-400 ring-1 ring-zinc-200 ring-inset dark:text-zinc-500 dark:ring-zinc-800'
              }
            >
              {visible(t.text)}
            </span>
          ))}
        </div>
      ) : (
        !previewError && <Note>The preview appears once the data is prepared.</Note>
      )}
    </SubSection>
  );
}
