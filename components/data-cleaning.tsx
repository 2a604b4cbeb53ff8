'use client';
// Cleaning options (normalise, empty, exact and near duplicates, a token-length limit) with the count each
// step removed, and the removed records themselves, so nothing disappears unseen.
import type { CleanStep } from '@/lib/data/types';
import { plural } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Checkbox, inputClass, SubSection } from './ui';

const STEP_LABEL: Record<CleanStep, string> = { empty: 'empty', duplicate: 'exact duplicate', near_duplicate: 'near duplicate', too_long: 'too long' };

function Count({ n, testId }: { n: number | undefined; testId: string }) {
  if (n === undefined) return null;
  return (
    <span className="ml-1 rounded-full bg-zinc-100 px-2 text-xs tabular-nums dark:bg-zinc-800" data-testid={testId}>
      {n.toLocaleString('en-US')} removed
    </span>
  );
}

export function DataCleaning() {
  const c = useStudio((s) => s.data.choices.clean);
  const report = useStudio((s) => s.data.report);
  const actions = useActions();
  const counts = report?.clean.removedCounts;
  return (
    <SubSection title="Cleaning" testId="data-cleaning">
      <div className="grid gap-3 sm:grid-cols-2">
        <Checkbox
          checked={c.normalize}
          onChange={(normalize) => actions.setClean({ normalize })}
          label="Normalise text (Unicode NFC, trim spaces)"
          help={report ? `${plural(report.clean.normalized, 'record')} changed` : undefined}
          testId="clean-normalize"
        />
        <Checkbox checked={c.dropEmpty} onChange={(dropEmpty) => actions.setClean({ dropEmpty })} label={<>Remove empty records<Count n={counts?.empty} testId="removed-empty" /></>} testId="clean-empty" />
        <Checkbox checked={c.dedupe} onChange={(dedupe) => actions.setClean({ dedupe })} label={<>Remove exact duplicates<Count n={counts?.duplicate} testId="removed-duplicate" /></>} testId="clean-dedupe" />
        <div className="flex flex-col gap-1">
          <Checkbox
            checked={c.nearDuplicates}
            onChange={(nearDuplicates) => actions.setClean({ nearDuplicates })}
            label={<>Remove near duplicates (MinHash)<Count n={c.nearDuplicates ? counts?.near_duplicate : undefined} testId="removed-near" /></>}
            testId="clean-near"
          />
          <label className="ml-6 flex items-center gap-2 text-xs">
            similarity threshold
            <input
              type="number"
              min={0.5}
              max={1}
              step={0.05}
              value={c.nearThreshold}
              disabled={!c.nearDuplicates}
              onChange={(e) => Number.isFinite(e.target.valueAsNumber) && e.target.valueAsNumber > 0 && e.target.valueAsNumber <= 1 && actions.setClean({ nearThreshold: e.target.valueAsNumber })}
              data-testid="near-threshold"
              className={`${inputClass} w-20`}
            />
          </label>
        </div>
        <div className="flex flex-col gap-1 sm:col-span-2">
          <Checkbox
            checked={c.maxTokens !== null}
            onChange={(on) => actions.setClean({ maxTokens: on ? 256 : null })}
            label={<>Limit record length in tokens<Count n={c.maxTokens !== null && c.lengthAction === 'drop' ? counts?.too_long : undefined} testId="removed-long" /></>}
            testId="clean-length"
          />
          {c.maxTokens !== null && (
            <div className="ml-6 flex flex-wrap items-center gap-3 text-xs">
              <label className="flex items-center gap-2">
                at most
                <input
                  type="number"
                  min={2}
                  step={16}
                  value={c.maxTokens}
                  onChange={(e) => Number.isInteger(e.target.valueAsNumber) && e.target.valueAsNumber >= 2 && actions.setClean({ maxTokens: e.target.valueAsNumber })}
                  data-testid="max-tokens"
                  className={`${inputClass} w-24`}
                />
                tokens:
              </label>
              {(['truncate', 'drop'] as const).map((a) => (
                <label key={a} className="flex items-center gap-1">
                  <input type="radio" name="length-action" checked={c.lengthAction === a} onChange={() => actions.setClean({ lengthAction: a })} data-testid={`length-${a}`} className="accent-indigo-600" />
                  {a === 'truncate' ? 'cut longer records' : 'remove longer records'}
                </label>
              ))}
              {report && c.lengthAction === 'truncate' && <span data-testid="truncated-count">{plural(report.clean.truncated, 'record')} will be cut</span>}
            </div>
          )}
        </div>
      </div>
      {report && report.removed.length > 0 && (
        <details className="text-sm" data-testid="removed-records">
          <summary className="cursor-pointer font-medium">
            See the {plural(report.removed.length, 'removed record')}
            {report.removed.length >= 500 ? ' (first 500)' : ''}
          </summary>
          <ul className="mt-2 max-h-48 divide-y divide-zinc-100 overflow-y-auto font-mono text-xs dark:divide-zinc-800">
            {report.removed.map((r, i) => (
              <li key={`${r.line}-${i}`} className="px-2 py-1">
                <span className="font-semibold">line {r.line}</span> ({STEP_LABEL[r.step]}: {r.reason}) <span className="text-zinc-500 dark:text-zinc-400">{r.text}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </SubSection>
  );
}
