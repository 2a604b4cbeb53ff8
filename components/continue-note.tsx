'use client';
// In the Train step: the loaded adapter the next run continues (chosen in the playground), with a way back to a
// fresh adapter.
import { useActions, useStudio } from './studio-provider';
import { Button, Note } from './ui';

export function ContinueNote() {
  const from = useStudio((s) => s.playground.adapters.find((a) => a.id === s.playground.continueFrom) ?? null);
  const method = useStudio((s) => s.form.method);
  const actions = useActions();
  if (!from) return null;
  return (
    <div className="flex flex-wrap items-center gap-3" data-testid="continue-note">
      <Note>
        {from.method === method
          ? <>The next run continues <b>{from.name}</b> ({from.method}, its own rank and targets) instead of a fresh adapter.</>
          : <>{from.name} is a {from.method} adapter: choose {from.method} in Method to continue it, or the run starts fresh.</>}
      </Note>
      <Button onClick={() => actions.continueFrom(null)} data-testid="continue-clear">Start fresh instead</Button>
    </div>
  );
}
