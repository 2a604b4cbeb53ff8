'use client';
// The playground's sampling settings: greedy or sampled (temperature, top-k, top-p), max new tokens, repetition
// penalty, seed and stop sequences; each field says what it does and why a value is refused.
import { readSampling, SAMPLING_FIELDS } from '@/lib/stores/playground-form';
import { useActions, useStudio } from './studio-provider';
import { Checkbox, Field, inputClass } from './ui';

export function PlaygroundSettings() {
  const form = useStudio((s) => s.playground.sampling);
  const actions = useActions();
  const { errors } = readSampling(form);
  return (
    <fieldset className="flex flex-col gap-3" data-testid="play-settings">
      <legend className="mb-2 text-sm font-semibold">Sampling (the same for every output)</legend>
      <Checkbox checked={form.greedy} onChange={actions.setGreedy} label="Greedy" help="Always the most likely token: the same answer every time." testId="play-greedy" />
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3">
        {SAMPLING_FIELDS.map((f) => (
          <Field key={f.key} id={`play-${f.key}`} label={f.label} help={f.help} error={errors[f.key]}>
            <input
              id={`play-${f.key}`}
              inputMode={f.integer ? 'numeric' : 'decimal'}
              className={inputClass}
              value={form.drafts[f.key]}
              disabled={form.greedy && f.sampledOnly}
              aria-invalid={errors[f.key] ? true : undefined}
              onChange={(e) => actions.setSamplingField(f.key, e.target.value)}
              data-testid={`play-${f.key}`}
            />
          </Field>
        ))}
      </div>
      <Field id="play-stop" label="Stop sequences" help="One per line; \n stands for a newline. The answer ends once it contains one.">
        <textarea id="play-stop" rows={2} className={inputClass} value={form.stopText} onChange={(e) => actions.setStopText(e.target.value)} data-testid="play-stop" />
      </Field>
    </fieldset>
  );
}
