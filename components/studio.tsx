'use client';
// The studio: header and the five workflow sections, inside one store provider.
import Link from 'next/link';
import { useState } from 'react';
import { settingsFromSearchParams, type SearchParams } from '@/lib/stores/studio-settings';
import { BackendBadge } from './backend-badge';
import { DataPanel } from './data-panel';
import { ExportPanel } from './export-panel';
import { MethodPanel } from './method-panel';
import { ModelPanel } from './model-panel';
import { StudioProvider } from './studio-provider';
import { ResumeBanner } from './resume-banner';
import { TrainPanel } from './train-panel';
import { Badge } from './ui';

export function Studio({ searchParams }: { searchParams: SearchParams }) {
  // Read once: later URL changes do not reset a session.
  const [settings] = useState(() => settingsFromSearchParams(searchParams));
  const resumeId = typeof searchParams.resume === 'string' ? searchParams.resume : null;
  return (
    <StudioProvider settings={settings}>
      <div className="mx-auto flex max-w-5xl flex-col gap-6 px-4 py-8 sm:px-6">
        <header className="flex flex-wrap items-end justify-between gap-4">
          <div>
            <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">WebTune Studio</h1>
            <p className="mt-1 text-zinc-600 dark:text-zinc-400">
              Fine-tune a language model on your own GPU. Your data never leaves this machine.
            </p>
          </div>
          <div className="flex items-center gap-2">
            <Link href="/runs" className="text-sm underline" data-testid="nav-runs">Runs</Link>
            {settings.testMode && (
              <Badge tone="warn" testId="test-mode">
                test mode
              </Badge>
            )}
            <BackendBadge testId="header-backend" />
          </div>
        </header>
        <main className="flex flex-col gap-6">
          <DataPanel />
          <ModelPanel />
          <MethodPanel />
          {resumeId && <ResumeBanner runId={resumeId} />}
          <TrainPanel />
          <ExportPanel />
        </main>
      </div>
    </StudioProvider>
  );
}
