'use client';
// The compute backend the worker really uses (from its `ready` event), or why there is none yet.
import { useStudio } from './studio-provider';
import { Badge } from './ui';

export function backendLabel(backend: string, adapter: string | null): string {
  return adapter ? `${backend} · ${adapter}` : backend;
}

export function BackendBadge({ testId }: { testId: string }) {
  const model = useStudio((s) => s.model);
  if (model.status === 'ready' && model.backend) {
    return (
      <Badge tone="accent" testId={testId}>
        {backendLabel(model.backend, model.adapter)}
      </Badge>
    );
  }
  return <Badge testId={testId}>{model.status === 'loading' ? 'starting backend…' : 'no backend yet'}</Badge>;
}
