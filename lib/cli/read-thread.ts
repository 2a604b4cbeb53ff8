// Parquet data files in the CLI are parsed on a worker_thread under the time budget of their size
// (lib/data/read-budget.ts): a damaged file that makes the reader loop is stopped with a clear message instead
// of hanging the command.
import { Worker } from 'node:worker_threads';
import type { DatasetOptions } from '../data/dataset';
import type { Dataset } from '../data/types';
import { readTimeBudgetMs, readTimeoutMessage } from '../data/read-budget';

const THREAD = new URL('./parquet-thread.ts', import.meta.url).href;

/** The thread runs the TypeScript entry through tsx's loader (the CLI runs under tsx; workers do not inherit it). */
function startThread(): Worker {
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(THREAD)}); })`, { eval: true });
}

export async function parseDatasetInThread(fileName: string, bytes: Uint8Array, opts: DatasetOptions, budgetMs = readTimeBudgetMs(bytes.length)): Promise<Dataset> {
  const worker = startThread();
  try {
    return await new Promise<Dataset>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(readTimeoutMessage(fileName, budgetMs))), budgetMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        fn();
      };
      worker.once('message', (m: { dataset?: Dataset; error?: string }) => settle(() => (m.dataset ? resolve(m.dataset) : reject(new Error(m.error ?? `Cannot read ${fileName}`)))));
      worker.once('error', (e) => settle(() => reject(new Error(`Cannot read ${fileName}: the reader thread failed (${e.message})`))));
      worker.postMessage({ fileName, bytes, opts });
    });
  } finally {
    await worker.terminate();
  }
}
