'use client';
// Section 5, Export: package the trained weights (a PEFT adapter, or the whole model) as a zip download.
import { formatBytes } from '@/lib/format';
import { methodSpec } from '@/lib/ui-copy';
import { selectCanExport, type StudioState } from '@/lib/stores/studio-store';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, Note } from './ui';

export function ExportPanel() {
  const exporting = useStudio((s) => s.exporting);
  const canExport = useStudio(selectCanExport);
  const runMethod = useStudio((s) => s.run.method);
  const formMethod = useStudio((s) => s.form.method);
  const hint = useStudio(exportHint);
  const actions = useActions();
  const spec = methodSpec(runMethod ?? formMethod);
  const adapter = spec.exports === 'adapter';
  const busy = exporting.status === 'exporting';

  return (
    <Card
      step={5}
      title="Export"
      description={
        adapter
          ? `A PEFT ${spec.label} adapter (adapter_config.json + adapter_model.safetensors) that Hugging Face PEFT loads.`
          : 'The whole fine-tuned model folder (config, safetensors weights, tokenizer).'
      }
    >
      <div className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="primary" onClick={actions.exportModel} disabled={!canExport || busy} data-testid="export">
            {busy ? 'Packaging…' : adapter ? 'Download adapter (.zip)' : 'Download model folder (.zip)'}
          </Button>
          {!canExport && !busy && hint && <Note>{hint}</Note>}
        </div>
        {exporting.error && <Alert testId="export-error">{exporting.error}</Alert>}
        {exporting.status === 'done' && exporting.fileName && (
          <div className="flex flex-col gap-2 rounded-lg bg-zinc-50 px-4 py-3 dark:bg-zinc-800/50">
            <div className="flex flex-wrap items-center gap-3 text-sm">
              <span>
                Saved <span className="font-mono font-medium" data-testid="export-name">{exporting.fileName}</span> ({formatBytes(exporting.size)})
              </span>
              <Button onClick={actions.saveExportAgain} className="py-1 text-xs">
                Save again
              </Button>
            </div>
            <ul className="font-mono text-xs text-zinc-700 dark:text-zinc-300" data-testid="export-files" aria-label="Files in the zip">
              {exporting.files.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </Card>
  );
}

function exportHint(s: StudioState): string | null {
  if (s.run.status === 'idle' || s.run.points.length === 0) return 'Available once a run has trained at least one step.';
  if (!s.workerAlive) return 'The worker holding the trained weights has stopped; train again to export.';
  if (s.run.stale) return 'Another model was loaded since this run; train again to export.';
  if (s.run.status === 'running' || s.run.status === 'loading') return 'Pause or stop the run to export what it has learned so far.';
  return null;
}
