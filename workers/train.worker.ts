// The training worker: a thin adapter that checks each message and hands it to TrainSession (lib/).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setThreadGlueUrl } from '../lib/engine/wasm-threads';
import { WORKER_ALIVE } from '../lib/train-worker/worker-life';
import { parseRequest, type WorkerEvent } from '../lib/train-worker/protocol';
import { TrainSession } from '../lib/train-worker/session';

// The wasm binaries are copied to public/tfjs-wasm/ by scripts/copy-wasm.mjs before every build, with the threaded
// build's glue that its thread workers load (lib/engine/wasm-threads.ts).
setWasmPaths('/tfjs-wasm/');
setThreadGlueUrl(new URL('/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js', self.location.origin).href);

const scope = self as unknown as {
  postMessage(message: WorkerEvent, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
};

const session = new TrainSession((event, transfer) => scope.postMessage(event, transfer ?? []));

scope.onmessage = (ev: MessageEvent) => {
  let request;
  try {
    request = parseRequest(ev.data);
  } catch (e) {
    scope.postMessage({ type: 'error', during: 'message', message: `The worker got a malformed request: ${(e as Error).message}` });
    return;
  }
  void session.handle(request);
};

// Errors nothing else caught still reach the page as an event, not just the console.
self.addEventListener('unhandledrejection', (ev: PromiseRejectionEvent) => {
  const reason = ev.reason instanceof Error ? ev.reason.message : String(ev.reason);
  scope.postMessage({ type: 'error', during: 'train', message: `Unexpected error in the worker: ${reason}` });
});

// A life lock, held until this worker ends however it ends: the page is granted it then and says so (client.ts).
const locks = (navigator as Navigator & { locks?: LockManager }).locks;
if (locks) {
  const lock = `webtune-train-worker-${crypto.randomUUID()}`;
  void locks.request(lock, () => {
    (self as unknown as { postMessage(m: unknown): void }).postMessage({ type: WORKER_ALIVE, lock });
    return new Promise<never>(() => {});
  });
}

// Fault injection for the end-to-end test (e2e/studio.spec.ts): loses the WebGPU device as a driver reset would.
(self as unknown as { webtuneLoseDevice: () => boolean }).webtuneLoseDevice = () => {
  const device = tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: { destroy(): void } }).device : undefined;
  device?.destroy();
  return device !== undefined;
};
