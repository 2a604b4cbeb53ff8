'use client';
// The Export step's hand-off download: pick TRL, Axolotl or LLaMA-Factory and save a zip with the Data step's
// cleaned, split records in that trainer's format and a ready config (built in the data worker), with its stages,
// what it holds, and a clear error. Needs no trained run: only the data, the loaded model and the settings.
import { useState } from 'react';
import { formatBytes } from '@/lib/format';
import { HANDOFF_TARGETS, selectHandoffBlocker } from '@/lib/stores/handoff-actions';
import type { HandoffTarget } from '@/lib/export/handoff';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, inputClass, Note, ProgressBar } from './ui';

export function HandoffSection({ prominent }: { prominent: boolean }) {
  const handoff = useStudio((s) => s.handoff);
  const blocker = useStudio(selectHandoffBlocker);
  const actions = useActions();
  const [target, setTarget] = useState<HandoffTarget>('trl');
  const building = handoff.status === 'building';
  return (
    <div className="flex flex-col gap-3" data-testid="handoff">
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1 text-sm">
          <span className="font-medium">Trainer</span>
          <select value={target} onChange={(e) => setTarget(e.target.value as HandoffTarget)} disabled={building} data-testid="handoff-target" className={`${inputClass} w-96`}>
            {HANDOFF_TARGETS.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <Button variant={prominent ? 'primary' : 'secondary'} onClick={() => void actions.downloadHandoff(target)} disabled={blocker !== null} data-testid="handoff-download">
          {building ? 'Building…' : 'Download hand-off bundle (.zip)'}
        </Button>
        {blocker && !building && <Note>{blocker}</Note>}
      </div>
      {building && handoff.stage && <ProgressBar label={handoff.stage.name} loaded={handoff.stage.done} total={handoff.stage.total} testId="handoff-progress" />}
      {handoff.error && <Alert testId="handoff-error">{handoff.error}</Alert>}
      {handoff.status === 'done' && handoff.fileName && handoff.records && (
        <div className="flex flex-col gap-1 text-sm" data-testid="handoff-done" aria-live="polite">
          <span>
            Saved <span className="font-mono font-medium" data-testid="handoff-name">{handoff.fileName}</span> ({formatBytes(handoff.size)}):{' '}
            {handoff.records.train.toLocaleString('en-US')} training and {handoff.records.validation.toLocaleString('en-US')} validation records. Its README gives the
            launch commands for one GPU and for several.
          </span>
          <ul className="font-mono text-xs text-zinc-700 dark:text-zinc-300" aria-label="Files in the hand-off bundle">
            {handoff.files.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
