'use client';
// The loaded data set: file, layout and record shape (overridable), the record counts, the reading options
// (plain-text mode, a LLaMA-Factory dataset_info.json entry), then the Data step's sub-sections.
import { useRef } from 'react';
import { plural } from '@/lib/format';
import { SHAPE_CHOICES, type ShapeChoice } from '@/lib/data-worker/protocol';
import { mappingText } from '@/lib/stores/data-state';
import { DataCleaning } from './data-cleaning';
import { DataIssues, TooLongRecords } from './data-issues';
import { DataSplit } from './data-split';
import { DataStats } from './data-stats';
import { DataTemplate } from './data-template';
import { useActions, useStudio } from './studio-provider';
import { Alert, Badge, Button, HiddenFileInput, inputClass, Note } from './ui';

const SHAPE_LABEL: Record<ShapeChoice, string> = {
  auto: 'detect',
  text: 'plain text',
  alpaca: 'Alpaca',
  'prompt-completion': 'prompt / completion',
  chat: 'chat messages',
  preference: 'preference pairs',
};

export function DataSummary() {
  const summary = useStudio((s) => s.data.summary);
  const excluded = useStudio((s) => s.data.excluded);
  const reportError = useStudio((s) => s.data.reportError);
  const preparing = useStudio((s) => s.data.preparing);
  if (!summary) return null;
  const bad = summary.issues.length;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="font-mono text-sm font-medium break-all" data-testid="data-file">
          {summary.fileName}
        </span>
        <Badge>{summary.container}</Badge>
        <Badge tone="accent" testId="data-format">
          {summary.shape}
        </Badge>
      </div>
      <p className="text-sm" data-testid="data-counts">
        <span data-testid="record-count">{plural(summary.total, 'record')}</span>:{' '}
        <span data-testid="valid-count">{summary.valid.toLocaleString('en-US')} valid</span>,{' '}
        <span className={bad > 0 ? 'font-medium text-red-700 dark:text-red-400' : 'text-zinc-600 dark:text-zinc-400'} data-testid="invalid-count">
          {bad.toLocaleString('en-US')} {excluded ? 'excluded' : 'with problems'}
        </span>
        {bad > 0 && (
          <>
            {' '}
            —{' '}
            <a href="#data-issues" className="underline underline-offset-2">
              see why
            </a>
          </>
        )}
      </p>
      <ReadOptions />
      {bad > 0 && <DataIssues />}
      {reportError && <Alert testId="data-report-error">{reportError}</Alert>}
      {preparing && <Note>Updating the statistics…</Note>}
      <DataCleaning />
      <DataStats />
      <TooLongRecords />
      <DataSplit />
      <DataTemplate />
    </div>
  );
}

function ReadOptions() {
  const choices = useStudio((s) => s.data.choices);
  const container = useStudio((s) => s.data.summary?.container);
  const info = useStudio((s) => s.data.datasetInfo);
  const mappingError = useStudio((s) => s.data.mappingError);
  const actions = useActions();
  const infoRef = useRef<HTMLInputElement>(null);
  return (
    <div className="flex flex-wrap items-end gap-4">
      <label className="flex flex-col gap-1 text-sm font-medium">
        Record shape
        <select value={choices.shape} onChange={(e) => actions.setShape(e.target.value as ShapeChoice)} data-testid="shape-select" className={`${inputClass} w-48`}>
          {SHAPE_CHOICES.map((s) => (
            <option key={s} value={s}>
              {SHAPE_LABEL[s]}
            </option>
          ))}
        </select>
      </label>
      {container === 'txt' && (
        <label className="flex flex-col gap-1 text-sm font-medium">
          Plain text records
          <select value={choices.txtMode} onChange={(e) => actions.setTxtMode(e.target.value as 'blocks' | 'lines')} data-testid="txt-mode" className={`${inputClass} w-56`}>
            <option value="blocks">one per blank-line-separated block</option>
            <option value="lines">one per line</option>
          </select>
        </label>
      )}
      <div className="flex flex-col gap-1">
        <span className="text-sm font-medium">Column mapping</span>
        <div className="flex flex-wrap items-center gap-2">
          <Button onClick={() => infoRef.current?.click()} data-testid="dataset-info-button">
            Use a dataset_info.json
          </Button>
          <HiddenFileInput inputRef={infoRef} accept=".json" testId="dataset-info-input" onFile={(f) => void actions.loadDatasetInfo(f)} />
          {info.entries.length > 0 && (
            <select
              aria-label="dataset_info.json entry"
              value={choices.infoEntry ?? ''}
              onChange={(e) => actions.chooseInfoEntry(e.target.value || null)}
              data-testid="dataset-info-entry"
              className={`${inputClass} w-56`}
            >
              <option value="">(no entry: detect the columns)</option>
              {info.entries.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name} ({e.fileName})
                </option>
              ))}
            </select>
          )}
        </div>
        <input
          key={mappingText(choices.mapping)}
          defaultValue={mappingText(choices.mapping)}
          placeholder="detected; or e.g. instruction=question, output=answer"
          aria-label="Column mapping: field=column pairs, separated by commas"
          aria-invalid={mappingError ? true : undefined}
          onBlur={(e) => e.target.value !== mappingText(choices.mapping) && actions.setMappingText(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && actions.setMappingText(e.currentTarget.value)}
          data-testid="column-mapping"
          className={`${inputClass} w-80 max-w-full font-mono`}
        />
        {mappingError && (
          <span role="alert" className="text-xs text-red-700 dark:text-red-400">
            {mappingError}
          </span>
        )}
      </div>
      {info.error && <Alert>{info.error}</Alert>}
    </div>
  );
}
