'use client';
// Section 1, Data: drop or pick a file, or choose a bundled sample; the file is read in the data worker
// with a progress bar, then the summary, issues, cleaning, statistics, split and template preview follow.
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { plural } from '@/lib/format';
import { ACCEPTED_EXTENSIONS } from '@/lib/stores/samples';
import { DataSummary } from './data-summary';
import { useActions, useStudio } from './studio-provider';
import { Alert, Badge, Card, focusRing, HiddenFileInput, Note, ProgressBar } from './ui';
import { formatBytes } from '@/lib/format';

export function DataPanel() {
  const data = useStudio((s) => s.data);
  const actions = useActions();
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const onDrop = (e: DragEvent<HTMLButtonElement>) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void actions.loadFile(file);
  };
  const onDragLeave = (e: DragEvent<HTMLButtonElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
  };

  return (
    <Card step={1} title="Data" description="Your training examples: JSON Lines, JSON, CSV/TSV, Parquet or plain text. Read on this machine, never uploaded.">
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <div className="flex flex-col gap-2">
          <button
            type="button"
            data-testid="drop-zone"
            onClick={() => inputRef.current?.click()}
            onDragOver={(e) => {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'copy';
            }}
            onDragEnter={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={onDragLeave}
            onDrop={onDrop}
            aria-describedby="drop-zone-help"
            className={`flex min-h-40 flex-col items-center justify-center gap-2 rounded-lg border-2 border-dashed px-4 py-6 text-center transition-colors ${focusRing} ${
              dragging
                ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40'
                : 'border-zinc-300 hover:border-indigo-400 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800/50'
            }`}
          >
            <svg aria-hidden viewBox="0 0 24 24" className="size-8 text-zinc-400" fill="none" stroke="currentColor" strokeWidth={1.5}>
              <path strokeLinecap="round" strokeLinejoin="round" d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2" />
            </svg>
            <span className="font-medium">{dragging ? 'Drop to load' : 'Drop a data file here, or choose one'}</span>
            <span id="drop-zone-help" className="text-xs text-zinc-500 dark:text-zinc-400">
              {ACCEPTED_EXTENSIONS.join(', ')}: chat messages, Alpaca, prompt/completion, preference pairs or plain text
            </span>
          </button>
          <HiddenFileInput inputRef={inputRef} accept={ACCEPTED_EXTENSIONS.join(',')} testId="file-input" onFile={(f) => void actions.loadFile(f)} />
        </div>
        <SamplePicker />
      </div>

      <div className="mt-5 flex flex-col gap-4" aria-live="polite">
        {data.status === 'reading' && data.progress && (
          <ProgressBar
            testId="data-progress"
            label={`Reading ${data.source}: ${formatBytes(data.progress.loaded)} of ${formatBytes(data.progress.total)}`}
            loaded={data.progress.loaded}
            total={data.progress.total}
          />
        )}
        {data.error && <Alert testId="data-error">{data.error}</Alert>}
        {data.summary && data.status === 'ready' && <DataSummary />}
      </div>
    </Card>
  );
}

function SamplePicker() {
  const samples = useStudio((s) => s.samples);
  const source = useStudio((s) => s.data.source);
  const actions = useActions();
  useEffect(() => {
    void actions.loadSampleIndex();
  }, [actions]);

  return (
    <div className="flex flex-col gap-2">
      <h3 className="text-sm font-medium">Or try a sample</h3>
      {samples.status === 'loading' && <Note>Loading samples…</Note>}
      {samples.error && <Alert>{samples.error}</Alert>}
      {samples.status === 'ready' && samples.entries.length === 0 && <Note>No samples are bundled with this build.</Note>}
      <ul className="flex flex-col gap-2">
        {samples.entries.map((s) => (
          <li key={s.file}>
            <button
              type="button"
              data-testid={`sample-${s.file}`}
              aria-pressed={source === s.file}
              onClick={() => void actions.loadSample(s.file)}
              className={`flex w-full flex-col items-start gap-1 rounded-lg border px-3 py-2 text-left transition-colors ${focusRing} ${
                source === s.file
                  ? 'border-indigo-500 bg-indigo-50/60 dark:bg-indigo-950/30'
                  : 'border-zinc-200 hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/50'
              }`}
            >
              <span className="flex w-full flex-wrap items-center justify-between gap-2">
                <span className="font-medium">{s.title}</span>
                <span className="flex gap-1.5">
                  <Badge>{s.format}</Badge>
                  <Badge>{plural(s.records, 'record')}</Badge>
                </span>
              </span>
              <span className="text-xs text-zinc-600 dark:text-zinc-400">{s.description}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
