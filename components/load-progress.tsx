'use client';
// Model loading progress: bytes done of the total, download rate and time left, with Cancel.
import { formatBytes, formatDuration } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Button, ProgressBar } from './ui';

export function LoadProgress() {
  const progress = useStudio((s) => s.model.progress);
  const kind = useStudio((s) => s.modelSource.kind);
  const actions = useActions();
  if (!progress) return null;
  const bytes = progress.rate !== undefined;
  const figures = bytes
    ? [
        `${formatBytes(progress.loaded)} of ${progress.total > 0 ? formatBytes(progress.total) : '?'}`,
        progress.rate ? `${formatBytes(progress.rate)}/s` : null,
        progress.etaSeconds !== null && progress.etaSeconds !== undefined ? `${formatDuration(progress.etaSeconds * 1000)} left` : null,
      ].filter(Boolean)
    : [];
  return (
    <div className="flex flex-col gap-2">
      <ProgressBar label={progress.stage} loaded={progress.loaded} total={progress.total} testId="model-progress" />
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="model-progress-figures" aria-live="polite">
          {figures.join(' · ')}
          {progress.file && bytes ? ` · ${progress.file}` : ''}
        </span>
        {kind !== 'bundled' && (
          <Button variant="danger" onClick={actions.cancelLoad} data-testid="cancel-load">
            Cancel
          </Button>
        )}
      </div>
    </div>
  );
}
