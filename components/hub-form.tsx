'use client';
// The Hub source: a curated preset or any model id, the revision, and the Hub URL setting (for mirrors).
import { formatBytes, formatCount } from '@/lib/format';
import { findPreset, HUB_PRESETS, SUPPORTED_ARCHITECTURES } from '@/lib/hub/presets';
import { useActions, useStudio } from './studio-provider';
import { Field, inputClass, Note } from './ui';

export function HubForm({ disabled }: { disabled: boolean }) {
  const hub = useStudio((s) => s.modelSource.hub);
  const actions = useActions();
  const preset = findPreset(hub.id.trim());
  const presetValue = preset?.id ?? '';

  return (
    <fieldset disabled={disabled} className="flex flex-col gap-3" data-testid="hub-form">
      <legend className="sr-only">Hugging Face Hub model</legend>
      <Field id="hub-preset" label="Curated models" help="Small models that fit in a browser tab.">
        <select id="hub-preset" className={inputClass} value={presetValue} data-testid="hub-preset" onChange={(e) => actions.chooseHubPreset(e.target.value)}>
          <option value="">Choose one, or type any model id below…</option>
          {HUB_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label} · {formatCount(p.params)} · {p.architecture} · {formatBytes(p.downloadBytes)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="hub-id" label="Model id" help="owner/name, as in the model's Hub address.">
        <input
          id="hub-id"
          className={inputClass}
          value={hub.id}
          placeholder="openai-community/gpt2"
          spellCheck={false}
          autoComplete="off"
          data-testid="hub-id"
          onChange={(e) => actions.setHubField('id', e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && actions.loadModel()}
        />
      </Field>
      {preset && (
        <Note>
          <span data-testid="hub-preset-facts">
            {formatCount(preset.params)} parameters · {preset.architecture} · licence {preset.licence} · {preset.tokenizer} · context{' '}
            {preset.contextLength.toLocaleString('en-US')} · about {formatBytes(preset.downloadBytes)} to download
          </span>
          {!SUPPORTED_ARCHITECTURES.includes(preset.architecture) && (
            <span className="block text-amber-700 dark:text-amber-400">This build trains GPT-2 models; {preset.architecture} support is on its way.</span>
          )}
        </Note>
      )}
      <div className="grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Field id="hub-base-url" label="Hub URL" help="https://huggingface.co, or a mirror; kept in this browser.">
          <input
            id="hub-base-url"
            className={inputClass}
            value={hub.baseUrl}
            spellCheck={false}
            inputMode="url"
            data-testid="hub-base-url"
            onChange={(e) => actions.setHubField('baseUrl', e.target.value)}
          />
        </Field>
        <Field id="hub-revision" label="Revision" help="Branch, tag or commit.">
          <input
            id="hub-revision"
            className={inputClass}
            value={hub.revision}
            spellCheck={false}
            data-testid="hub-revision"
            onChange={(e) => actions.setHubField('revision', e.target.value)}
          />
        </Field>
      </div>
    </fieldset>
  );
}
