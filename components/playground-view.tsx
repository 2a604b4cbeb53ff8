'use client';
// The Playground view: a prompt, the base model's answer and each chosen adapter's side by side, streamed token by
// token with one set of sampling settings; the adapters of this base; and the few-shot comparison.
import '@/lib/zod-jitless';
import { BASE_KEY, FEW_SHOT_KEY, type PlayOutput } from '@/lib/stores/playground-reducer';
import { isRunActive } from '@/lib/stores/studio-reducer';
import { AdapterShelf } from './adapter-shelf';
import { ComparePanel } from './compare-panel';
import { PlaygroundSettings } from './playground-settings';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Card, Checkbox, Note } from './ui';

function OutputBox({ id, title, out }: { id: string; title: string; out: PlayOutput | undefined }) {
  const reason = out?.reason === 'eos' ? 'ended' : out?.reason === 'stop' ? 'stop sequence' : out?.reason === 'length' ? 'max tokens' : out?.streaming ? 'writing…' : '';
  return (
    <figure className="flex min-w-0 flex-col gap-1 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid={`play-output-${id}`} data-streaming={out?.streaming ? '1' : '0'} data-tokens={out?.tokens ?? 0}>
      <figcaption className="flex justify-between gap-2 text-xs font-medium text-zinc-600 dark:text-zinc-400">
        <span>{title}</span>
        <span className="tabular-nums">{out ? `${out.tokens} tokens${reason ? ` · ${reason}` : ''}` : ''}</span>
      </figcaption>
      <output aria-live="polite" className="min-h-16 whitespace-pre-wrap break-words text-sm" data-testid={`play-text-${id}`}>
        {out?.text ?? ''}
      </output>
    </figure>
  );
}

export function PlaygroundView() {
  const p = useStudio((s) => s.playground);
  const model = useStudio((s) => s.model);
  const workerAlive = useStudio((s) => s.workerAlive);
  const actions = useActions();
  const training = useStudio((s) => isRunActive(s.run.status));
  const ready = model.status === 'ready' && workerAlive && !training;
  const shown = p.adapters.filter((a) => p.selected.includes(a.id));
  const generating = p.status === 'generating';
  return (
    <main className="flex flex-col gap-6">
      <Card step={1} title="Playground" description="Ask the base model and your adapters the same thing, with the same settings and seed.">
        <div className="flex flex-col gap-4">
          {training && <Note>A run is training: the playground works once it has finished or been stopped.</Note>}
          {!ready && !training && (
            <div className="flex flex-wrap items-center gap-3" data-testid="play-no-model">
              <Note>{model.status === 'loading' ? 'The model is loading…' : 'No model is loaded yet: load the one chosen in the Model step.'}</Note>
              <Button onClick={actions.loadModel} disabled={model.status === 'loading'} data-testid="play-load-model">Load model</Button>
            </div>
          )}
          <label htmlFor="play-prompt" className="text-sm font-medium">Prompt</label>
          <textarea
            id="play-prompt"
            rows={4}
            className="w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900"
            value={p.prompt}
            placeholder="Write a prompt; Ctrl+Enter generates."
            onChange={(e) => actions.setPrompt(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                if (!generating) void actions.generate();
              }
            }}
            data-testid="play-prompt"
          />
          <Checkbox
            checked={p.fewShotOutput}
            onChange={actions.setFewShotOutput}
            label={`Also answer with the base model given ${p.shots || 'k'} training examples first (few-shot)`}
            help="The examples come from the Data step's training split; the number is set under the comparison below."
            testId="play-few-shot"
          />
          {model.info?.chatTemplate && (
            <Checkbox checked={p.chat} onChange={actions.setChat} label="Use the model's chat template" help="The prompt becomes a user turn and the answer an assistant turn." testId="play-chat" />
          )}
          <div className="flex flex-wrap gap-2">
            <Button variant="primary" onClick={() => void actions.generate()} disabled={!ready || p.status !== 'idle'} data-testid="play-generate">
              Generate
            </Button>
            <Button variant="danger" onClick={actions.cancelPlay} disabled={!generating || p.cancelling} data-testid="play-cancel">
              {p.cancelling ? 'Cancelling…' : 'Cancel'}
            </Button>
          </div>
          {p.error && <Alert testId="play-error">{p.error}</Alert>}
          <div className={`grid grid-cols-1 gap-3 ${shown.length > 0 || p.outputs[FEW_SHOT_KEY] ? 'md:grid-cols-2' : ''}`} data-testid="play-outputs">
            <OutputBox id={BASE_KEY} title="Base model" out={p.outputs[BASE_KEY]} />
            {p.outputs[FEW_SHOT_KEY] && <OutputBox id={FEW_SHOT_KEY} title="Base model, few-shot" out={p.outputs[FEW_SHOT_KEY]} />}
            {shown.map((a) => <OutputBox key={a.id} id={a.id} title={a.name} out={p.outputs[a.id]} />)}
          </div>
          <PlaygroundSettings />
        </div>
      </Card>
      <Card step={2} title="Adapters and evaluation" description="Choose which adapters answer beside the base model, load more, and measure them on your data.">
        <div className="flex flex-col gap-4">
          <AdapterShelf ready={ready} />
          <ComparePanel ready={ready} />
        </div>
      </Card>
    </main>
  );
}
