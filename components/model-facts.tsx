'use client';
// What actually loaded: name, architecture, parameter count, layers, vocabulary, context length, backend, and
// packed base weights when the model was loaded with them.
import { formatCount } from '@/lib/format';
import { BackendBadge } from './backend-badge';
import { useStudio } from './studio-provider';
import { Badge, Note } from './ui';

/** The first numeric config value among GPT-2 and Llama-style key names. */
function num(config: Record<string, unknown>, ...keys: string[]): number | null {
  for (const k of keys) if (typeof config[k] === 'number') return config[k] as number;
  return null;
}

export function ModelFacts() {
  const info = useStudio((s) => s.model.info);
  if (!info) return null;
  const c = info.config;
  const facts: [string, number | null][] = [
    ['layers', num(c, 'n_layer', 'num_hidden_layers')],
    ['width', num(c, 'n_embd', 'hidden_size')],
    ['heads', num(c, 'n_head', 'num_attention_heads')],
    ['context', num(c, 'n_positions', 'max_position_embeddings')],
    ['vocabulary', num(c, 'vocab_size')],
  ];
  return (
    <div className="flex flex-col gap-2 rounded-lg bg-zinc-50 px-4 py-3 dark:bg-zinc-800/50" data-testid="model-facts">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="font-medium" data-testid="model-name">
          {info.name}
        </span>
        <Badge testId="model-arch">{String(c.model_type ?? 'unknown architecture')}</Badge>
        <span className="text-sm tabular-nums" data-testid="model-params">
          {formatCount(info.params)} parameters
        </span>
        <BackendBadge testId="backend" />
      </div>
      <p className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="model-config-facts">
        {facts
          .filter(([, v]) => v !== null)
          .map(([k, v]) => `${k} ${v!.toLocaleString('en-US')}`)
          .join(' · ')}
        {info.origin ? ` · from ${info.origin}` : ''}
        {info.baseWeights ? ` · block weights held as ${info.baseWeights} (adapter methods only)` : ''}
      </p>
      {info.note && <Note>{info.note}</Note>}
    </div>
  );
}
