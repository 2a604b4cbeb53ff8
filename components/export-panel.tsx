'use client';
// Section 5, Export: the run as a zip download in the format chosen (the method's own adapter or model folder, a
// merged Hugging Face model, GGUF for llama.cpp / Ollama, the LoRA as GGUF), and, when the memory plan says the job
// does not fit the browser, the hand-off bundle for TRL, Axolotl or LLaMA-Factory with the GPU memory it needs (offered,
// folded away, when it fits).
import { useState } from 'react';
import { formatBytes } from '@/lib/format';
import { DEFAULT_DTYPE, studioExportsFor, type ExportDtype, type StudioExportKind } from '@/lib/export/kinds';
import { methodSpec } from '@/lib/ui-copy';
import { selectCanExport, selectMemoryPlan, type StudioState } from '@/lib/stores/studio-store';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, inputClass, Note } from './ui';
import { HandoffSection } from './handoff-section';

type Choice = 'own' | StudioExportKind;

export function ExportPanel() {
  const exporting = useStudio((s) => s.exporting);
  const canExport = useStudio(selectCanExport);
  const runMethod = useStudio((s) => s.run.method);
  const formMethod = useStudio((s) => s.form.method);
  const plan = useStudio(selectMemoryPlan);
  const hint = useStudio(exportHint);
  const checkpointStep = useStudio((s) => s.run.checkpointStep);
  const actions = useActions();
  const method = runMethod ?? formMethod;
  const spec = methodSpec(method);
  const adapter = spec.exports === 'adapter';
  const busy = exporting.status === 'exporting';
  const [choice, setChoice] = useState<Choice>('own');
  const [dtype, setDtype] = useState<ExportDtype | null>(null);
  // A reward model always downloads as one classifier folder (the adapter merged): nothing else to choose.
  // The run's own objective once there is a run (the form may have moved on), the form's before.
  const reward = useStudio((s) => (s.run.method ? s.run.rewardModel : s.form.objective === 'reward'));
  const offered = reward ? [] : studioExportsFor(spec);
  const current = choice === 'own' ? null : offered.find((e) => e.kind === choice) ?? null;
  const precision = current ? (dtype && current.dtypes.includes(dtype) ? dtype : DEFAULT_DTYPE[current.kind]) : null;

  return (
    <Card
      step={5}
      title="Export"
      description={
        reward
          ? 'The reward model as a transformers *ForSequenceClassification folder (config.json with num_labels 1, model.safetensors with the score head, tokenizer), the adapter merged; loadable back here as a reward model.'
          : adapter
          ? spec.notPeft
            ? `The ${spec.label} files (adapter_config.json + adapter_model.safetensors). ${spec.notPeft}`
            : `A PEFT ${spec.label} adapter (adapter_config.json + adapter_model.safetensors) that Hugging Face PEFT loads${spec.merges ? ', or the model merged, as GGUF for llama.cpp and Ollama' : ` (it adds modules of its own, so it has no merged model or GGUF)`}.`
          : 'The whole fine-tuned model folder (config, safetensors weights, tokenizer), or the model as GGUF for llama.cpp and Ollama.'
      }
    >
      <div className="flex flex-col gap-4">
        <div className="flex flex-wrap items-end gap-3">
          <label className="flex flex-col gap-1 text-sm">
            <span className="font-medium">Format</span>
            <select value={current ? current.kind : 'own'} onChange={(e) => setChoice(e.target.value as Choice)} data-testid="export-kind" className={`${inputClass} w-80`}>
              <option value="own">{reward ? 'Reward model folder (Hugging Face)' : adapter ? `PEFT ${spec.label} adapter` : 'Model folder (Hugging Face)'}</option>
              {offered.map((e) => (
                <option key={e.kind} value={e.kind}>
                  {e.label}
                </option>
              ))}
            </select>
          </label>
          {current && current.dtypes.length > 1 && (
            <label className="flex flex-col gap-1 text-sm">
              <span className="font-medium">Precision</span>
              <select value={precision!} onChange={(e) => setDtype(e.target.value as ExportDtype)} data-testid="export-dtype" className={`${inputClass} w-28`}>
                {current.dtypes.map((d) => (
                  <option key={d} value={d}>
                    {d.toUpperCase()}
                  </option>
                ))}
              </select>
            </label>
          )}
          <Button
            variant="primary"
            onClick={() => actions.exportModel(current ? { kind: current.kind, dtype: precision! } : undefined)}
            disabled={!canExport || busy}
            data-testid="export"
          >
            {busy ? 'Packaging…' : 'Download (.zip)'}
          </Button>
          {!canExport && !busy && hint && <Note>{hint}</Note>}
        </div>
        {current && <Note>{current.help}</Note>}
        {checkpointStep !== null && (
          <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="checkpoint-export">
            <Button onClick={() => void actions.downloadCheckpoint()} data-testid="export-checkpoint">
              Checkpoint at step {checkpointStep} (.zip)
            </Button>
            <Note>The train state (weights, optimizer moments, data order) of the last autosave or Stop and save: resume it from Runs, or with the command line&apos;s train --resume.</Note>
          </div>
        )}
        {plan && !plan.fits ? (
          <div className="flex flex-col gap-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm dark:border-amber-700 dark:bg-amber-950/40" data-testid="handoff-hint">
            <p>
              This job needs about {plan.totalText}, more than the browser can give it ({plan.budgetText}). Train it on GPUs instead: a
              hand-off bundle holds your cleaned, split data and a ready config (same base model, method and settings) for TRL, Axolotl
              or LLaMA-Factory; the target run needs about {plan.totalText} of GPU memory per GPU (less with bf16).
            </p>
            <HandoffSection prominent />
          </div>
        ) : (
          <details className="rounded-lg border border-zinc-200 px-4 py-3 text-sm dark:border-zinc-800">
            <summary className="cursor-pointer font-medium" data-testid="handoff-toggle">
              Train on GPUs instead: hand-off bundle for TRL, Axolotl or LLaMA-Factory
            </summary>
            <div className="mt-3 flex flex-col gap-3">
              <Note>Your cleaned, split data in the trainer&apos;s format and a ready config with the same base model, method and settings, for a run too big for the browser.</Note>
              <HandoffSection prominent={false} />
            </div>
          </details>
        )}
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
