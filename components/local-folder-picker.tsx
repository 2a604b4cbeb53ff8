'use client';
// The local source: pick a model folder (or its files), or drop it; shows what was picked or what is missing.
import { useRef, useState, type DragEvent } from 'react';
import { formatBytes, plural } from '@/lib/format';
import { droppedFiles } from '@/lib/stores/dropped-files';
import { useActions, useStudio } from './studio-provider';
import { Alert, Button, focusRing, Note } from './ui';

export function LocalFolderPicker({ disabled }: { disabled: boolean }) {
  const local = useStudio((s) => s.modelSource.local);
  const error = useStudio((s) => s.modelSource.localError);
  const actions = useActions();
  const folderRef = useRef<HTMLInputElement>(null);
  const filesRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (!disabled) actions.pickLocalFiles(await droppedFiles(e.dataTransfer));
  };
  const onPick = (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) actions.pickLocalFiles(files);
  };

  return (
    <div className="flex flex-col gap-3">
      <div
        data-testid="folder-drop"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => void onDrop(e)}
        className={`flex flex-col items-center gap-3 rounded-lg border-2 border-dashed px-4 py-5 text-center ${
          dragging ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40' : 'border-zinc-300 dark:border-zinc-700'
        }`}
      >
        <span className="text-sm font-medium">Drop a model folder here, or choose it</span>
        <div className="flex flex-wrap justify-center gap-2">
          <Button onClick={() => folderRef.current?.click()} disabled={disabled} data-testid="choose-folder">
            Choose folder…
          </Button>
          <Button onClick={() => filesRef.current?.click()} disabled={disabled} data-testid="choose-files">
            Choose files…
          </Button>
        </div>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          Needs config.json, tokenizer.json and model.safetensors (or its shards). Read on this computer, never uploaded.
        </span>
      </div>
      <input
        ref={folderRef}
        type="file"
        hidden
        tabIndex={-1}
        multiple
        data-testid="folder-input"
        {...{ webkitdirectory: '' }}
        onChange={(e) => onPick(e.target)}
        className={focusRing}
      />
      <input ref={filesRef} type="file" hidden tabIndex={-1} multiple data-testid="files-input" onChange={(e) => onPick(e.target)} />
      {error && <Alert testId="local-error">{error}</Alert>}
      {local && !error && (
        <Note>
          <span data-testid="local-summary">
            {local.name}: {plural(local.files.length, 'file')}, {formatBytes(local.size)}
          </span>
        </Note>
      )}
    </div>
  );
}
