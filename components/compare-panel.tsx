'use client';
// "Try prompting first": the exact-match rate on the test split of the base model, of the base model with k
// training examples in its prompt (few-shot), and of the tuned adapter, so the person sees what fine-tuning
// bought over prompt engineering. Runs in the worker, with progress, and can be cancelled.
import { useActions, useStudio } from './studio-provider';
import { Button, Field, inputClass, Note, ProgressBar, SubSection } from './ui';

const pct = (r: { rate: number; matched: number; total: number }) => (Number.isFinite(r.rate) ? `${(r.rate * 100).toFixed(1)}% (${r.matched} of ${r.total})` : 'no answers to compare');

export function ComparePanel({ ready }: { ready: boolean }) {
  const p = useStudio((s) => s.playground);
  const testCount = useStudio((s) => s.data.report?.split.test ?? 0);
  const actions = useActions();
  const tuned = p.adapters.find((a) => p.selected.includes(a.id));
  const running = p.status === 'comparing';
  const c = p.compare;
  return (
    <SubSection title="Fine-tuned or just prompted? (exact match on the test split)" testId="compare-panel">
      <Note>
        Greedy answers to each test prompt, compared with the reference. The few-shot baseline is the base model with the
        first training examples written before each prompt; the tuned model is {tuned ? <b>{tuned.name}</b> : 'the first chosen adapter (none chosen)'}.
      </Note>
      <div className="flex flex-wrap items-end gap-3">
        <div className="w-40">
          <Field id="play-shots" label="Examples in the prompt">
            <input id="play-shots" inputMode="numeric" className={inputClass} value={p.shots} onChange={(e) => actions.setShots(e.target.value)} data-testid="play-shots" />
          </Field>
        </div>
        <Button variant="primary" onClick={() => void actions.compare()} disabled={!ready || p.status !== 'idle' || testCount === 0} data-testid="play-compare">
          Compare on {testCount} test records
        </Button>
        {running && (
          <Button variant="danger" onClick={actions.cancelPlay} disabled={p.cancelling} data-testid="compare-cancel">
            {p.cancelling ? 'Cancelling…' : 'Cancel'}
          </Button>
        )}
      </div>
      {testCount === 0 && <Note>The Data step has no test split: give it a test share (Split) to compare.</Note>}
      {running && p.progress && <ProgressBar label={`Scoring the ${p.progress.stage}`} loaded={p.progress.done} total={p.progress.total} testId="compare-progress" />}
      {c && (
        <div className="flex flex-col gap-2" data-testid="compare-result">
          <dl className="grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
            <div><dt className="text-xs text-zinc-500">Base model</dt><dd data-testid="em-base" className="font-semibold tabular-nums">{pct(c.base)}</dd></div>
            <div><dt className="text-xs text-zinc-500">Base with {c.shots} examples in its prompt</dt><dd data-testid="em-few-shot" className="font-semibold tabular-nums">{pct(c.fewShot)}</dd></div>
            <div><dt className="text-xs text-zinc-500">Tuned{c.tunedName ? ` (${c.tunedName})` : ''}</dt><dd data-testid="em-tuned" className="font-semibold tabular-nums">{c.tuned ? pct(c.tuned) : 'no adapter chosen'}</dd></div>
          </dl>
          <table className="w-full text-left text-xs">
            <thead><tr><th className="py-1 pr-2">Reference</th><th className="pr-2">Base</th><th className="pr-2">Few-shot</th><th>Tuned</th></tr></thead>
            <tbody>
              {c.answers.map((a, i) => (
                <tr key={i} className="border-t border-zinc-200 align-top dark:border-zinc-800">
                  <td className="py-1 pr-2 whitespace-pre-wrap">{a.expected}</td>
                  <td className="pr-2 whitespace-pre-wrap">{a.base}</td>
                  <td className="pr-2 whitespace-pre-wrap">{a.fewShot}</td>
                  <td className="whitespace-pre-wrap">{a.tuned ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </SubSection>
  );
}
