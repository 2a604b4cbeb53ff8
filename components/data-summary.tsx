'use client';
// The loaded data set: name, format, counts, located errors, a five-record preview and the validation split.
import { plural } from '@/lib/format';
import type { ParsedDataset } from '@/lib/data/types';
import { useActions, useStudio } from './studio-provider';
import { Badge, focusRing, inputClass } from './ui';

const MAX_ERRORS_SHOWN = 20;
const PREVIEW_ROWS = 5;

export function DataSummary() {
  const dataset = useStudio((s) => s.data.dataset);
  if (!dataset) return null;
  const invalid = dataset.errors.length;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="font-mono text-sm font-medium break-all" data-testid="data-file">
          {dataset.fileName}
        </span>
        <Badge tone="accent" testId="data-format">
          {dataset.format}
        </Badge>
        <span className="text-sm" data-testid="record-count">
          {plural(dataset.total, 'record')}
        </span>
        <span className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="valid-count">
          {dataset.records.length.toLocaleString('en-US')} valid
        </span>
        <span className={`text-sm ${invalid > 0 ? 'text-red-700 dark:text-red-400' : 'text-zinc-600 dark:text-zinc-400'}`} data-testid="invalid-count">
          {invalid.toLocaleString('en-US')} invalid
        </span>
      </div>
      {invalid > 0 && <ErrorList dataset={dataset} />}
      <Preview dataset={dataset} />
      <SplitControl />
    </div>
  );
}

function ErrorList({ dataset }: { dataset: ParsedDataset }) {
  const shown = dataset.errors.slice(0, MAX_ERRORS_SHOWN);
  const more = dataset.errors.length - shown.length;
  return (
    <div className="rounded-md border border-red-200 bg-red-50/60 px-3 py-2 dark:border-red-900 dark:bg-red-950/30">
      <p className="text-sm font-medium text-red-800 dark:text-red-300">Skipped records (training uses the valid ones):</p>
      <ul className="mt-1 max-h-40 overflow-y-auto font-mono text-xs text-red-800 dark:text-red-300" data-testid="data-errors">
        {shown.map((e, i) => (
          <li key={`${e.line}-${i}`}>
            line {e.line}: {e.reason}
          </li>
        ))}
      </ul>
      {more > 0 && <p className="mt-1 text-xs text-red-800 dark:text-red-300">…and {plural(more, 'more error')}.</p>}
    </div>
  );
}

function Preview({ dataset }: { dataset: ParsedDataset }) {
  const rows = dataset.records.slice(0, PREVIEW_ROWS);
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table className="w-full table-fixed text-left text-sm" data-testid="data-preview">
        <caption className="sr-only">The first {rows.length} records as the model will read them</caption>
        <thead className="bg-zinc-50 text-xs text-zinc-600 uppercase dark:bg-zinc-800/60 dark:text-zinc-400">
          <tr>
            <th scope="col" className="w-1/2 px-3 py-2 font-medium">Prompt</th>
            <th scope="col" className="w-1/2 px-3 py-2 font-medium">Completion (learned)</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {rows.map((r, i) => (
            <tr key={i} className="align-top">
              <td className="px-3 py-2">
                {r.prompt ? <Clamp text={r.prompt} /> : <span className="text-zinc-400 italic">(none: plain text)</span>}
              </td>
              <td className="px-3 py-2">
                <Clamp text={r.completion} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Clamp({ text }: { text: string }) {
  return <p className="line-clamp-3 font-mono text-xs break-words whitespace-pre-wrap">{text}</p>;
}

function SplitControl() {
  const percent = useStudio((s) => s.data.validationPercent);
  const split = useStudio((s) => s.data.split);
  const actions = useActions();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor="validation-split" className="text-sm font-medium">
        Validation split
      </label>
      <div className="flex flex-wrap items-center gap-3">
        <input
          id="validation-split"
          type="range"
          min={0}
          max={50}
          step={1}
          value={percent}
          data-testid="validation-split"
          onChange={(e) => actions.setValidationPercent(Number(e.target.value))}
          className={`w-48 ${focusRing}`}
        />
        <span className="flex items-center gap-1">
          <input
            type="number"
            min={0}
            max={50}
            value={percent}
            aria-label="Validation split, percent"
            data-testid="validation-percent"
            onChange={(e) => actions.setValidationPercent(e.target.valueAsNumber)}
            className={`${inputClass} w-20`}
          />
          <span className="text-sm">%</span>
        </span>
        {split && (
          <span className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="split-counts">
            {split.train.toLocaleString('en-US')} train · {split.validation.toLocaleString('en-US')} validation (shuffled with the seed)
          </span>
        )}
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">Held-out records measure loss on text the model did not train on; 0% turns validation off.</p>
    </div>
  );
}
