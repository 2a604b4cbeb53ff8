'use client';
// Models kept in this browser's storage after a Hub download, with their sizes; clear one or all.
import { useEffect } from 'react';
import { formatBytes } from '@/lib/format';
import { useActions, useStudio } from './studio-provider';
import { Button, Note } from './ui';

export function HubCacheList({ disabled }: { disabled: boolean }) {
  const cache = useStudio((s) => s.modelSource.cache);
  const actions = useActions();
  useEffect(() => {
    if (cache.status === 'idle') void actions.refreshCache();
  }, [cache.status, actions]);

  if (cache.status === 'error') return <Note>{cache.error}</Note>;
  if (cache.models.length === 0) return <Note>No models kept in this browser yet.</Note>;
  const total = cache.models.reduce((n, m) => n + m.size, 0);
  return (
    <div className="flex flex-col gap-2" data-testid="cache-list">
      <div className="flex items-center justify-between gap-2">
        <span className="text-sm font-medium">Kept in this browser ({formatBytes(total)})</span>
        <Button variant="danger" disabled={disabled} onClick={() => void actions.clearCached()} data-testid="cache-clear-all">
          Clear all
        </Button>
      </div>
      <ul className="flex flex-col divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
        {cache.models.map((m) => (
          <li key={`${m.baseUrl}|${m.id}|${m.revision}`} className="flex items-center justify-between gap-2 py-1.5" data-testid="cache-entry">
            <span className="min-w-0 truncate">
              {m.id}
              <span className="text-zinc-500 dark:text-zinc-400">
                {m.revision !== 'main' ? `@${m.revision}` : ''} · {new URL(m.baseUrl).host} · {formatBytes(m.size)}
              </span>
            </span>
            <Button disabled={disabled} onClick={() => void actions.clearCached(m)} aria-label={`Remove ${m.id} from this browser`}>
              Remove
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}
