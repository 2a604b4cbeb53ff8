// How many threads the WebAssembly backend trains with. tfjs-backend-wasm sizes its XNNPACK thread pool at half the
// logical cores (navigator.hardwareConcurrency / 2, read once as its module starts) and caps any setThreadsCount at
// that half, so a 2-core machine always got one thread, whatever was asked. Measured in headless Chromium on 2 cores
// (scripts/bench-threads.ts, cross-origin isolated): two threads train 1.3-1.5x faster than one (demo model LoRA
// 598-706 vs 446-516 tokens/s; GPT-2-small widths with 2 layers, LoRA 88-90 vs 55-64, full 47 vs 34).
// So before the module starts, this asks for every logical core up to 4, half of them beyond (at most 8, the pool tfjs
// builds), and shows tfjs twice that many cores so that its cap lets the count through. It only acts where threads can
// run at all: a cross-origin isolated page or worker (SharedArrayBuffer; next.config.ts sends the headers). Elsewhere
// tfjs loads its single-threaded build and nothing here changes. Nothing else in the training worker reads
// hardwareConcurrency.
// The thread workers: tfjs hands each one its glue as a Blob of the factory function's source text, which only runs
// unminified (a production build's minifier leaves it calling names of the enclosing bundle: "n is not defined").
// With setThreadGlueUrl, the 'load' message tfjs's thread workers get names the published glue file instead
// (public/tfjs-wasm/, copied by scripts/copy-wasm.mjs). This is written here because tfjs offers no setting for it.
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** The pool size asked for on a machine with this many logical cores: all of them up to 4, half beyond, at most 8. */
export function wasmThreadTarget(logicalCores: number): number {
  const cores = Math.max(1, Math.floor(logicalCores || 1));
  return Math.min(8, Math.max(Math.min(cores, 4), Math.floor(cores / 2)));
}

let prepared: number | null | undefined;
let glueUrl: string | null = null;

/** Where the thread workers load tfjs-wasm's threaded glue from (an absolute URL of the published file). */
export function setThreadGlueUrl(url: string): void {
  glueUrl = url;
}

interface WorkerScope {
  Worker?: new (url: string | URL, options?: WorkerOptions) => Worker;
}

/** Worker, as the wasm module will construct its thread workers: the glue Blob in their 'load' message swapped for
 * the published file's URL. */
function redirectThreadGlue(scope: WorkerScope, url: string): void {
  const Base = scope.Worker;
  if (!Base) return;
  scope.Worker = class extends Base {
    postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      const swapped = m && m.cmd === 'load' && m.urlOrBlob instanceof Blob ? { ...m, urlOrBlob: url } : message;
      super.postMessage(swapped, transfer as Transferable[]);
    }
  };
}

/** Sets the thread count before the wasm module starts (call before the first setBackend('wasm')); the count asked
 * for, or null where this context cannot run threads. Idempotent. */
export function prepareWasmThreads(): number | null {
  if (prepared !== undefined) return prepared;
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const cores = scope.navigator?.hardwareConcurrency;
  if (scope.crossOriginIsolated !== true || !scope.navigator || !cores) return (prepared = null);
  const threads = wasmThreadTarget(cores);
  setThreadsCount(threads);
  if (glueUrl) redirectThreadGlue(scope as WorkerScope, glueUrl);
  if (Math.floor(cores / 2) < threads) {
    Object.defineProperty(scope.navigator, 'hardwareConcurrency', { value: threads * 2, configurable: true });
  }
  return (prepared = threads);
}
