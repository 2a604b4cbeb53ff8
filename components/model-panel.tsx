'use client';
// Section 2, Model: pick the base model and compute backend, load it, and see what actually loaded.
import { BACKEND_CHOICES, FALLBACK_ADAPTER_HELP } from '@/lib/defaults';
import { formatCount } from '@/lib/format';
import type { BackendChoice } from '@/lib/protocol';
import { isRunActive } from '@/lib/stores/studio-reducer';
import { modelKey } from '@/lib/stores/studio-store';
import { BackendBadge } from './backend-badge';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, focusRing, inputClass, Note, ProgressBar, RadioCard } from './ui';

export function ModelPanel() {
  const options = useStudio((s) => s.modelOptions);
  const modelName = useStudio((s) => s.modelName);
  const backendChoice = useStudio((s) => s.backendChoice);
  const allowFallback = useStudio((s) => s.allowFallbackAdapter);
  const model = useStudio((s) => s.model);
  const key = useStudio(modelKey);
  const busy = useStudio((s) => isRunActive(s.run.status) || s.exporting.status === 'exporting');
  const actions = useActions();
  const loading = model.status === 'loading';
  const locked = loading || busy;
  const changed = model.status === 'ready' && model.loadedKey !== key;

  return (
    <Card step={2} title="Model" description="The base model to fine-tune and the compute backend it runs on.">
      <div className="grid gap-5 md:grid-cols-2">
        <fieldset disabled={locked} className="flex flex-col gap-2">
          <legend className="mb-2 text-sm font-medium">Base model</legend>
          {options.map((o) => (
            <RadioCard
              key={o.name}
              name="model"
              value={o.name}
              checked={modelName === o.name}
              onSelect={() => actions.selectModel(o.name)}
              label={o.label}
              help={o.description}
              testId={`model-${o.name}`}
            />
          ))}
        </fieldset>

        <fieldset disabled={locked} className="flex flex-col gap-4">
          <legend className="sr-only">Compute backend</legend>
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
                  {b === 'auto' ? 'auto (webgpu, then webgl, wasm, cpu)' : b}
                </option>
              ))}
            </select>
          </div>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              checked={allowFallback}
              onChange={(e) => actions.setAllowFallbackAdapter(e.target.checked)}
              data-testid="allow-fallback"
              aria-describedby="allow-fallback-help"
              className={`mt-0.5 accent-indigo-600 ${focusRing}`}
            />
            <span>
              <span className="font-medium">Allow software (fallback) GPU adapters</span>
              <span id="allow-fallback-help" className="block text-xs text-zinc-600 dark:text-zinc-400">
                {FALLBACK_ADAPTER_HELP}
              </span>
            </span>
          </label>
        </fieldset>
      </div>

      <div className="mt-5 flex flex-col gap-4">
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="secondary" onClick={actions.loadModel} disabled={locked} data-testid="load-model">
            {loading ? 'Loading…' : model.status === 'ready' && !changed ? 'Reload model' : 'Load model'}
          </Button>
          <span className="text-sm text-zinc-600 dark:text-zinc-400">Start also loads it when needed.</span>
        </div>
        {loading && model.progress && (
          <ProgressBar label={model.progress.stage} loaded={model.progress.loaded} total={model.progress.total} testId="model-progress" />
        )}
        {model.error && <Alert testId="model-error">{model.error}</Alert>}
        {changed && <Note>The choices above differ from the loaded model; Start will load the new choice.</Note>}
        {model.status === 'ready' && model.info && <ModelFacts />}
      </div>
    </Card>
  );
}

function num(config: Record<string, unknown>, key: string): number | null {
  const v = config[key];
  return typeof v === 'number' ? v : null;
}

function ModelFacts() {
  const model = useStudio((s) => s.model);
  if (!model.info) return null;
  const c = model.info.config;
  const facts: [string, number | null][] = [
    ['layers', num(c, 'n_layer')],
    ['width', num(c, 'n_embd')],
    ['heads', num(c, 'n_head')],
    ['context', num(c, 'n_positions')],
    ['vocabulary', num(c, 'vocab_size')],
  ];
  return (
    <div className="flex flex-col gap-2 rounded-lg bg-zinc-50 px-4 py-3 dark:bg-zinc-800/50">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="font-medium">{model.info.name}</span>
        <span className="text-sm tabular-nums" data-testid="model-params">
          {formatCount(model.info.params)} parameters
        </span>
        <BackendBadge testId="backend" />
      </div>
      <p className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400">
        {facts
          .filter(([, v]) => v !== null)
          .map(([k, v]) => `${k} ${v!.toLocaleString('en-US')}`)
          .join(' · ')}
      </p>
    </div>
  );
}
