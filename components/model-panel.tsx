'use client';
// Section 2, Model: choose where the base model comes from (bundled, Hub, local folder) and the compute
// backend, load it with progress and Cancel, and see what actually loaded.
import { BACKEND_CHOICES } from '@/lib/stores/studio-settings';
import { BASE_WEIGHT_CHOICES, BASE_WEIGHTS_HELP, FALLBACK_ADAPTER_HELP } from '@/lib/ui-copy';
import type { BackendChoice } from '@/lib/train-worker/protocol';
import { isRunActive } from '@/lib/stores/studio-reducer';
import { modelKey } from '@/lib/stores/studio-store';
import { HubCacheList } from './hub-cache-list';
import { HubForm } from './hub-form';
import { LoadProgress } from './load-progress';
import { LocalFolderPicker } from './local-folder-picker';
import { ModelFacts } from './model-facts';
import { BundledChoice, SourceChoice } from './source-choice';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, Checkbox, inputClass, Note } from './ui';

export function ModelPanel() {
  const kind = useStudio((s) => s.modelSource.kind);
  const model = useStudio((s) => s.model);
  const key = useStudio(modelKey);
  const busy = useStudio((s) => isRunActive(s.run.status) || s.exporting.status === 'exporting');
  const actions = useActions();
  const loading = model.status === 'loading';
  const locked = loading || busy;
  const changed = model.status === 'ready' && model.loadedKey !== key;

  return (
    <Card step={2} title="Model" description="The base model to fine-tune and the compute backend it runs on.">
      <div className="flex flex-col gap-5">
        <SourceChoice disabled={locked} />
        <div className="grid gap-5 md:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
          <div className="flex flex-col gap-4">
            {kind === 'bundled' && <BundledChoice disabled={locked} />}
            {kind === 'hub' && <HubForm disabled={locked} />}
            {kind === 'files' && <LocalFolderPicker disabled={locked} />}
          </div>
          <BackendFields disabled={locked} />
        </div>
      </div>

      <div className="mt-5 flex flex-col gap-4">
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="secondary" onClick={actions.loadModel} disabled={locked} data-testid="load-model">
            {loading ? 'Loading…' : model.status === 'ready' && !changed ? 'Reload model' : 'Load model'}
          </Button>
          <span className="text-sm text-zinc-600 dark:text-zinc-400">Start also loads it when needed.</span>
        </div>
        {loading && <LoadProgress />}
        {model.error && <Alert testId="model-error">{model.error}</Alert>}
        {changed && <Note>The choices above differ from the loaded model; Start will load the new choice.</Note>}
        {model.status === 'ready' && <ModelFacts />}
        {kind === 'hub' && <HubCacheList disabled={locked} />}
      </div>
    </Card>
  );
}

function BackendFields({ disabled }: { disabled: boolean }) {
  const backendChoice = useStudio((s) => s.backendChoice);
  const baseWeights = useStudio((s) => s.baseWeights);
  const allowFallback = useStudio((s) => s.allowFallbackAdapter);
  const actions = useActions();
  return (
    <fieldset disabled={disabled} className="flex flex-col gap-4">
      <legend className="sr-only">Compute backend and base weights</legend>
      <div className="flex flex-col gap-1">
        <label htmlFor="backend-choice" className="text-sm font-medium">
          Backend
        </label>
        <select
          id="backend-choice"
          value={backendChoice}
          data-testid="backend-choice"
          onChange={(e) => actions.setBackend(e.target.value as BackendChoice)}
          className={inputClass}
        >
          {BACKEND_CHOICES.map((b) => (
            <option key={b} value={b}>
              {b === 'auto' ? 'auto (a real GPU: webgpu, webgl; else wasm)' : b}
            </option>
          ))}
        </select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="base-weights" className="text-sm font-medium">
          Base weights
        </label>
        <select
          id="base-weights"
          value={baseWeights}
          data-testid="base-weights"
          aria-describedby="base-weights-help"
          onChange={(e) => actions.setBaseWeights(e.target.value as (typeof BASE_WEIGHT_CHOICES)[number]['value'])}
          className={inputClass}
        >
          {BASE_WEIGHT_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <p id="base-weights-help" className="text-xs text-zinc-600 dark:text-zinc-400">
          {BASE_WEIGHTS_HELP}
        </p>
      </div>
      <Checkbox
        checked={allowFallback}
        onChange={actions.setAllowFallbackAdapter}
        testId="allow-fallback"
        label={<span className="font-medium">Allow software (fallback) GPU adapters</span>}
        help={FALLBACK_ADAPTER_HELP}
      />
    </fieldset>
  );
}
