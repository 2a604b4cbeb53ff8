'use client';
// The end of a run in the Train section: the forgetting meter (general-text perplexity before and after, the
// change and its verdict, with the replay share; earlier runs of this session beside it show replay's effect)
// and the test split's loss, perplexity, token accuracy and exact match.
import { formatLoss } from '@/lib/format';
import type { RunState } from '@/lib/stores/studio-reducer';
import { useStudio } from './studio-provider';
import { Alert, Note, Stat, SubSection } from './ui';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)}%`;

export function RunReport() {
  const report = useStudio((s) => s.run.report);
  const runs = useStudio((s) => s.runs);
  const activeRunId = useStudio((s) => s.activeRunId);
  const { forgetting: f, test, evaluating, error } = report;
  if (!f && !test && !evaluating && !error) return null;
  // Other runs of this session that have a meter, for the replay comparison.
  const earlier = Object.entries(runs).filter(([id, r]) => id !== activeRunId && r.report.forgetting).map(([, r]) => r as RunState);
  return (
    <div className="flex flex-col gap-4" data-testid="run-report">
      {evaluating && <Note>Scoring the {evaluating}…</Note>}
      {error && <Alert testId="report-error">{error}</Alert>}
      {f && (
        <SubSection title="Forgetting meter (perplexity on general English text)" testId="forgetting-meter">
          <div data-testid="forgetting" data-level={f.level} data-before={f.before} data-after={f.after} data-change={f.change} className="flex flex-col gap-2">
            <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
              <Stat label="Before fine-tuning" value={f.before.toFixed(2)} testId="forgetting-before" />
              <Stat label="After" value={f.after.toFixed(2)} testId="forgetting-after" />
              <Stat label="Change" value={signed(f.change)} testId="forgetting-change" />
              <Stat label="Replay share" value={f.replayShare > 0 ? pct(f.replayShare) : 'off'} testId="forgetting-replay" />
            </dl>
            <p className="text-sm" data-testid="forgetting-verdict">{f.verdict}</p>
            {earlier.length > 0 && (
              <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="forgetting-earlier">
                Earlier runs this session: {earlier.map((r) => `replay ${r.report.forgetting!.replayShare > 0 ? pct(r.report.forgetting!.replayShare) : 'off'} → ${signed(r.report.forgetting!.change)}`).join('; ')}.
              </p>
            )}
          </div>
        </SubSection>
      )}
      {test && (
        <SubSection title={`Test split (${test.examples.toLocaleString('en-US')} examples, kept weights)`} testId="test-metrics">
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-loss={test.loss} data-accuracy={test.accuracy} data-exact-match={test.exactMatch ?? ''}>
            <Stat label="Test loss" value={formatLoss(test.loss)} testId="test-loss" />
            <Stat label="Perplexity" value={test.perplexity.toFixed(2)} testId="test-perplexity" />
            <Stat label="Token accuracy (responses)" value={pct(test.accuracy)} testId="test-accuracy" />
            <Stat label="Exact match (greedy answers)" value={test.exactMatch === null ? 'plain text: none' : pct(test.exactMatch)} testId="test-exact-match" />
          </dl>
        </SubSection>
      )}
    </div>
  );
}
