'use client';
// Resuming stored runs. ResumeBanner: shown when the studio opens with ?resume=<run id> (the Runs view's Resume
// link): continues that stored run from its last checkpoint with its own settings, once the same model and data
// are loaded. RecoveryOffer: shown in the Train section after the worker died or lost its GPU under a run: resume
// it from its last autosaved checkpoint (after a lost GPU, also on WebAssembly).
import { selectStartBlocker } from '@/lib/stores/studio-state';
import { useActions, useStudio } from './studio-provider';
import { Button, Note } from './ui';

export function ResumeBanner({ runId }: { runId: string }) {
  const actions = useActions();
  const blocker = useStudio(selectStartBlocker);
  const status = useStudio((s) => s.run.status);
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-lg border border-amber-300 p-3 dark:border-amber-700" data-testid="resume-banner">
      <Note>
        Resuming stored run <span className="font-mono">{runId}</span> from its last checkpoint. Load the same model and data
        set as before (the run refuses other data), then resume: it keeps its own settings, step count and data order.
      </Note>
      <Button variant="primary" disabled={blocker !== null || status === 'running' || status === 'loading'} onClick={() => void actions.resumeStored(runId)} data-testid="resume-stored">
        Resume run
      </Button>
      {blocker !== null && <span className="text-xs text-zinc-500">{blocker}</span>}
    </div>
  );
}

export function RecoveryOffer() {
  const recovery = useStudio((s) => s.run.recovery);
  const actions = useActions();
  if (!recovery) return null;
  const resume = (wasm: boolean) => {
    if (wasm) actions.setBackend('wasm');
    void actions.resumeStored(recovery.storedId);
  };
  return (
    <div className="flex flex-wrap items-center gap-3" data-testid="recovery-offer">
      <Button variant="primary" onClick={() => resume(false)} data-testid="resume-recovery">
        Resume from step {recovery.step}
      </Button>
      {recovery.cause === 'device-lost' && (
        <Button onClick={() => resume(true)} data-testid="resume-recovery-wasm">
          Resume on WebAssembly
        </Button>
      )}
    </div>
  );
}
