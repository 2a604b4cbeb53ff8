'use client';
// The training flow (the / view): the five workflow steps, inside the shared shell's store.
import '@/lib/zod-jitless';
import { DataPanel } from './data-panel';
import { ExportPanel } from './export-panel';
import { MethodPanel } from './method-panel';
import { ModelPanel } from './model-panel';
import { ResumeBanner } from './resume-banner';
import { TrainPanel } from './train-panel';

export function Studio({ resumeId }: { resumeId: string | null }) {
  return (
    <main className="flex flex-col gap-6">
      <DataPanel />
      <ModelPanel />
      <MethodPanel />
      {resumeId && <ResumeBanner runId={resumeId} />}
      <TrainPanel />
      <ExportPanel />
    </main>
  );
}
