'use client';
// The adapters the worker keeps over the loaded base model: trained runs of this session and adapters loaded from
// a folder or zip (dropped or picked; ours or PEFT-made). Each can be shown beside the base, evaluated on the
// validation split, or continued in the next training run; a refused one is explained in plain words.
import Link from 'next/link';
import { useRef, useState, type DragEvent } from 'react';
import { formatCount, formatLoss } from '@/lib/format';
import { droppedFiles } from '@/lib/stores/dropped-files';
import { METHOD_SPECS } from '@/lib/ui-copy';
import { BASE_KEY } from '@/lib/stores/playground-reducer';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, Checkbox, focusRing, Note, SubSection } from './ui';

/** Methods that save adapter files, which the next run can start from (full and freeze train the model itself). */
const CONTINUABLE: ReadonlySet<string> = new Set(METHOD_SPECS.filter((m) => m.exports === 'adapter').map((m) => m.id));

/** An adapter's (or the base model's) validation loss, once measured. */
function Evaluation({ id }: { id: string }) {
  const ev = useStudio((s) => s.playground.evaluations[id]);
  if (!ev) return null;
  return (
    <span className="text-xs tabular-nums text-zinc-600 dark:text-zinc-400" data-testid={`play-eval-${id}`}>
      validation loss {formatLoss(ev.loss)} · perplexity {ev.perplexity.toFixed(2)} · {formatCount(ev.tokens)} tokens
    </span>
  );
}

function AdapterDrop({ disabled }: { disabled: boolean }) {
  const actions = useActions();
  const zipRef = useRef<HTMLInputElement>(null);
  const folderRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (!disabled) await actions.loadAdapterFiles(await droppedFiles(e.dataTransfer));
  };
  const onPick = (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) void actions.loadAdapterFiles(files);
  };
  return (
    <div
      data-testid="adapter-drop"
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => void onDrop(e)}
      className={`flex flex-col items-center gap-2 rounded-lg border-2 border-dashed px-4 py-4 text-center ${dragging ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40' : 'border-zinc-300 dark:border-zinc-700'}`}
    >
      <span className="text-sm font-medium">Load an adapter: drop its folder or zip here, or choose it</span>
      <div className="flex flex-wrap justify-center gap-2">
        <Button onClick={() => zipRef.current?.click()} disabled={disabled} data-testid="adapter-choose-zip">Choose zip…</Button>
        <Button onClick={() => folderRef.current?.click()} disabled={disabled} data-testid="adapter-choose-folder">Choose folder…</Button>
      </div>
      <span className="text-xs text-zinc-500 dark:text-zinc-400">
        adapter_config.json and adapter_model.safetensors, saved by this studio or by Hugging Face PEFT, for the loaded base model.
      </span>
      <input ref={zipRef} type="file" hidden tabIndex={-1} accept=".zip,application/zip" data-testid="adapter-zip-input" onChange={(e) => onPick(e.target)} />
      <input ref={folderRef} type="file" hidden tabIndex={-1} multiple data-testid="adapter-folder-input" {...{ webkitdirectory: '' }} onChange={(e) => onPick(e.target)} className={focusRing} />
    </div>
  );
}

export function AdapterShelf({ ready }: { ready: boolean }) {
  const p = useStudio((s) => s.playground);
  const actions = useActions();
  const busy = p.status !== 'idle' || !ready;
  return (
    <SubSection title="Adapters of this base model" testId="adapter-shelf">
      {p.adapters.length === 0 ? (
        <Note>No adapter yet: train a run, or load one below.</Note>
      ) : (
        <ul className="flex flex-col gap-2">
          {p.adapters.map((a) => (
            <li key={a.id} className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="adapter-row" data-adapter-id={a.id}>
              <div className="flex flex-col gap-0.5">
                <Checkbox
                  checked={p.selected.includes(a.id)}
                  onChange={() => actions.toggleAdapter(a.id)}
                  label={<span data-testid="adapter-name">{a.name}</span>}
                  help={`${a.method} · ${formatCount(a.trainableParams)} trained parameters${a.base ? ` · made for ${a.base}` : ''}${a.id.startsWith('run-') ? ' · trained in this session' : ' · loaded from files'}`}
                  testId={`play-adapter-${a.id}`}
                />
                <Evaluation id={a.id} />
              </div>
              <div className="flex gap-2">
                <Button onClick={() => void actions.evaluateAdapter(a.id)} disabled={busy} data-testid={`evaluate-${a.id}`}>Validation loss</Button>
                {CONTINUABLE.has(a.method) && (
                  <Link href="/" onClick={() => actions.continueFrom(a.id)} className={`rounded-md border border-zinc-300 px-3.5 py-2 text-sm font-medium dark:border-zinc-700 ${focusRing}`} data-testid={`continue-${a.id}`}>
                    Continue training
                  </Link>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <Button onClick={() => void actions.evaluateAdapter(null)} disabled={busy} data-testid="evaluate-base">Validation loss of the base model</Button>
        <Evaluation id={BASE_KEY} />
      </div>
      <AdapterDrop disabled={busy} />
      {p.status === 'loading-adapter' && <Note>Reading and checking the adapter…</Note>}
      {p.refusal && (
        <Alert testId="adapter-refusal">
          <p className="font-medium">{p.refusal.name} was not loaded.</p>
          {p.refusal.problems.length > 1 || p.refusal.problems[0] !== p.refusal.message ? (
            <>
              <p>It does not fit the loaded base model:</p>
              <ul className="ml-5 list-disc">
                {p.refusal.problems.slice(0, 12).map((x) => <li key={x}>{x}</li>)}
              </ul>
              {p.refusal.problems.length > 12 && <p>and {p.refusal.problems.length - 12} more.</p>}
            </>
          ) : (
            <p>{p.refusal.message}</p>
          )}
        </Alert>
      )}
    </SubSection>
  );
}
