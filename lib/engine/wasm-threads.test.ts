// The wasm thread pool's size by core count, and what preparing it changes: only on a cross-origin isolated
// context, where the count tfjs-wasm will see is raised so that its half-the-cores cap lets the count through.
// The real pool is checked in the browser: e2e/studio.spec.ts reads "N threads" off the backend badge.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wasmThreadTarget } from './wasm-threads';

describe('wasm threads', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('asks for every core up to 4, half beyond, at most 8', () => {
    expect([1, 2, 3, 4, 6, 8, 12, 16, 32, 0].map(wasmThreadTarget)).toEqual([1, 2, 3, 4, 4, 4, 6, 8, 8, 1]);
  });

  it('shows tfjs twice the count on an isolated context, and leaves other contexts alone', async () => {
    vi.stubGlobal('crossOriginIsolated', true);
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    const isolated = await import('./wasm-threads');
    expect(isolated.prepareWasmThreads()).toBe(2);
    expect(navigator.hardwareConcurrency).toBe(4);
    expect(isolated.prepareWasmThreads()).toBe(2); // once only: not doubled again
    expect(navigator.hardwareConcurrency).toBe(4);

    vi.resetModules();
    vi.stubGlobal('crossOriginIsolated', false);
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    const plain = await import('./wasm-threads');
    expect(plain.prepareWasmThreads()).toBeNull();
    expect(navigator.hardwareConcurrency).toBe(2);

    vi.resetModules();
    vi.stubGlobal('crossOriginIsolated', true);
    vi.stubGlobal('navigator', { hardwareConcurrency: 16 });
    const big = await import('./wasm-threads');
    expect(big.prepareWasmThreads()).toBe(8);
    expect(navigator.hardwareConcurrency).toBe(16); // tfjs's own half already lets 8 through
  });

  it('hands the thread workers the published glue file instead of the bundle\'s Blob of it', async () => {
    const sent: unknown[] = [];
    class FakeWorker {
      constructor(readonly url: string) {}
      postMessage(m: unknown) {
        sent.push(m);
      }
    }
    vi.stubGlobal('crossOriginIsolated', true);
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    vi.stubGlobal('Worker', FakeWorker);
    const threads = await import('./wasm-threads');
    threads.setThreadGlueUrl('http://studio.test/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js');
    threads.prepareWasmThreads();
    const w = new Worker('blob:x');
    w.postMessage({ cmd: 'load', urlOrBlob: new Blob(['var f = n;']), wasmMemory: 1 });
    w.postMessage({ cmd: 'run', threadId: 3 });
    expect(sent).toEqual([{ cmd: 'load', urlOrBlob: 'http://studio.test/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js', wasmMemory: 1 }, { cmd: 'run', threadId: 3 }]);
  });
});
