'use client';
// Records that could not be read as training examples, located (line) and classified, filterable by class,
// and the explicit choice to exclude them: they are never dropped silently, and kept ones cannot train.
import { useMemo, useState } from 'react';
import type { IssueClass } from '@/lib/data/types';
import { plural } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Button, inputClass, SubSection } from './ui';

const PAGE = 100;

export const ISSUE_LABEL: Record<IssueClass, string> = {
  invalid_json: 'invalid JSON',
  not_object: 'not an object',
  missing_field: 'missing field',
  wrong_type: 'wrong type',
  unknown_role: 'unknown role',
  empty_content: 'empty content',
  no_assistant_turn: 'no assistant turn',
  not_alternating: 'turns out of order',
  too_long: 'too long',
};

export function DataIssues() {
  const summary = useStudio((s) => s.data.summary);
  const excluded = useStudio((s) => s.data.excluded);
  const actions = useActions();
  const [filter, setFilter] = useState<IssueClass | 'all'>('all');
  const [shown, setShown] = useState(PAGE);
  const issues = useMemo(() => (summary ? summary.issues.filter((i) => filter === 'all' || i.class === filter) : []), [summary, filter]);
  if (!summary || summary.issues.length === 0) return null;
  const classes = Object.entries(summary.issueCounts) as [IssueClass, number][];
  const n = summary.issues.length;

  return (
    <SubSection
      title={`Records with problems (${n.toLocaleString('en-US')})`}
      testId="data-issues-section"
      aside={
        <label className="flex items-center gap-2 text-sm">
          Show
          <select
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value as IssueClass | 'all');
              setShown(PAGE);
            }}
            data-testid="issue-filter"
            className={`${inputClass} w-52`}
          >
            <option value="all">every class ({n})</option>
            {classes.map(([c, count]) => (
              <option key={c} value={c}>
                {ISSUE_LABEL[c]} ({count})
              </option>
            ))}
          </select>
        </label>
      }
    >
      <div id="data-issues" className="max-h-56 overflow-y-auto rounded-md border border-red-200 bg-red-50/60 dark:border-red-900 dark:bg-red-950/30" tabIndex={0} aria-label="Records with problems">
        <ul className="divide-y divide-red-100 font-mono text-xs text-red-900 dark:divide-red-900/60 dark:text-red-200" data-testid="data-errors">
          {issues.slice(0, shown).map((e, i) => (
            <li key={`${e.line}-${i}`} className="px-3 py-1.5" data-testid="issue-row" data-class={e.class}>
              <span className="font-semibold">line {e.line}</span> <span className="rounded bg-red-100 px-1 dark:bg-red-900/50">{ISSUE_LABEL[e.class]}</span> {e.reason}
            </li>
          ))}
        </ul>
      </div>
      {issues.length > shown && (
        <Button onClick={() => setShown(shown + PAGE)} className="self-start">
          Show {Math.min(PAGE, issues.length - shown)} more of {issues.length - shown}
        </Button>
      )}
      {excluded ? (
        <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="issues-excluded">
          <span>
            {plural(n, 'record')} excluded: training uses the {summary.valid.toLocaleString('en-US')} valid ones.
          </span>
          <Button onClick={() => actions.setExcluded(false)} data-testid="include-issues">
            Undo
          </Button>
        </div>
      ) : (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span>
            These records cannot train as they are. Exclude them to go on, or fix them in the file (the lines are above) and load it again.
          </span>
          <Button variant="primary" onClick={() => actions.setExcluded(true)} data-testid="exclude-issues">
            Exclude {plural(n, 'record')}
          </Button>
        </div>
      )}
    </SubSection>
  );
}

/** Records longer than the sequence length: located, not blocking (they train cut), with what to do about them. */
export function TooLongRecords() {
  const stats = useStudio((s) => s.data.report?.stats);
  if (!stats || stats.truncated === 0) return null;
  const seqLen = stats.seqLen;
  return (
    <SubSection title={`Longer than the sequence length (${stats.truncated.toLocaleString('en-US')})`} testId="too-long-section">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        These records are cut at {seqLen} tokens when they train. Raise the sequence length in Method,
        or drop or truncate them with the length limit under Cleaning.
      </p>
      <ul className="max-h-40 divide-y divide-amber-100 overflow-y-auto rounded-md border border-amber-200 bg-amber-50/60 font-mono text-xs text-amber-900 dark:divide-amber-900/60 dark:border-amber-900 dark:bg-amber-950/30 dark:text-amber-200"
        data-testid="too-long-list" tabIndex={0} aria-label="Records longer than the sequence length">
        {stats.tooLong.map((e) => (
          <li key={e.line} className="px-3 py-1.5" data-testid="too-long-row">
            <span className="font-semibold">line {e.line}</span> <span className="rounded bg-amber-100 px-1 dark:bg-amber-900/50">{ISSUE_LABEL[e.class]}</span> {e.reason}
          </li>
        ))}
      </ul>
    </SubSection>
  );
}
