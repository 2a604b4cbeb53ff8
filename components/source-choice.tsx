'use client';
// The Model step's source choice: the bundled model(s), a Hugging Face Hub model, or a local folder.
import type { SourceKind } from '@/lib/stores/model-source';
import { useActions, useStudio } from './studio-provider';
import { RadioCard } from './ui';

const SOURCES: { kind: SourceKind; label: string; help: string }[] = [
  { kind: 'bundled', label: 'Bundled', help: 'Ships with the studio: loads at once, no download.' },
  { kind: 'hub', label: 'Hugging Face Hub', help: 'A curated model or any model id; downloaded once, then kept in this browser.' },
  { kind: 'files', label: 'Local folder', help: 'A model folder on this computer (config, tokenizer, safetensors).' },
];

export function SourceChoice({ disabled }: { disabled: boolean }) {
  const kind = useStudio((s) => s.modelSource.kind);
  const actions = useActions();
  return (
    <fieldset disabled={disabled} className="grid gap-2 sm:grid-cols-3">
      <legend className="mb-2 text-sm font-medium">Where the base model comes from</legend>
      {SOURCES.map((s) => (
        <RadioCard
          key={s.kind}
          name="model-source"
          value={s.kind}
          checked={kind === s.kind}
          onSelect={() => actions.setSourceKind(s.kind)}
          label={s.label}
          help={s.help}
          testId={`source-${s.kind}`}
        />
      ))}
    </fieldset>
  );
}

export function BundledChoice({ disabled }: { disabled: boolean }) {
  const options = useStudio((s) => s.modelOptions);
  const modelName = useStudio((s) => s.modelName);
  const actions = useActions();
  return (
    <fieldset disabled={disabled} className="flex flex-col gap-2">
      <legend className="mb-2 text-sm font-medium">Bundled model</legend>
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
  );
}
