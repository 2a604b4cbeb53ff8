// The benchmark's training step in headless Chromium: a local server (COOP/COEP headers when asked, as
// next.config.ts sends them), a page per setup that starts scripts/browser-wasm-worker.ts in a Web Worker, and
// timing in rounds so that `npm run bench` can interleave it with PyTorch. Used by scripts/bench-train.ts (the
// browser rows) and scripts/bench-threads.ts (isolated, threaded, against not isolated, one thread).
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { OurRow } from '../lib/engine/bench';
import type { WorkerBenchSetup } from './browser-wasm-worker';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

/** OurBench.timing() from the worker: the fastest step so far, split into its phases. */
export type BrowserTiming = Pick<OurRow, 'speedups' | 'tokensPerSec' | 'forwardMs' | 'backwardMs' | 'optimizerMs' | 'stepMs' | 'steps' | 'gflops'>;

/** One setup trained in one page's worker; `time` runs more steps and returns the fastest so far. */
export class WorkerBench {
  constructor(private readonly page: Page, readonly threads: number, readonly adapter: string) {}

  time(steps: number): Promise<BrowserTiming> {
    return this.page.evaluate((n) => (window as unknown as { bench(m: object): Promise<BrowserTiming> }).bench({ type: 'time', steps: n }), steps);
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

export class BrowserWasm {
  private constructor(private readonly browser: Browser, private readonly server: Server, private readonly base: string) {}

  /** Bundles the worker, serves it with tfjs-wasm's binaries, and starts Chromium (CHROMIUM_PATH or Debian's). */
  static async launch(): Promise<BrowserWasm> {
    const bundle = await build({ entryPoints: ['scripts/browser-wasm-worker.ts'], bundle: true, format: 'esm', write: false, platform: 'browser', define: { 'process.env.NODE_ENV': '"production"' } });
    const js = bundle.outputFiles[0].contents;
    const wasmDir = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
    // The page posts one message at a time to the worker and resolves on its answer.
    const page = `<script>
      const w = new Worker('/worker.js' + location.search, { type: 'module' });
      let pending = null;
      w.onmessage = (e) => { const p = pending; pending = null; e.data.type === 'error' ? p.fail(new Error(e.data.message)) : p.ok(e.data); };
      w.onerror = (e) => { const p = pending; pending = null; p?.fail(new Error(e.message || 'the worker failed to start')); };
      window.bench = (m) => new Promise((ok, fail) => { pending = { ok, fail }; w.postMessage(m); });
    </script>`;
    const server = createServer(async (req, res) => {
      const url = new URL(req.url!, 'http://x');
      const headers = url.searchParams.get('isolated') === '1' ? ISOLATION : {};
      if (url.pathname === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(page);
      if (url.pathname === '/worker.js') return res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(js);
      if (url.pathname.startsWith('/wasm/')) {
        const file = await readFile(join(wasmDir, url.pathname.slice(6))).catch(() => null);
        if (file) return res.writeHead(200, { ...headers, 'Content-Type': 'application/wasm' }).end(file);
      }
      res.writeHead(404).end();
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    return new BrowserWasm(browser, server, base);
  }

  /** A page whose worker holds `setup`, warmed by one step. Worker files carry the page's isolation headers. */
  async open(setup: WorkerBenchSetup, isolated: boolean): Promise<WorkerBench> {
    const page = await this.browser.newPage();
    await page.goto(`${this.base}/?isolated=${isolated ? 1 : 0}`);
    const ready = await page.evaluate((s) => (window as unknown as { bench(m: object): Promise<{ threads: number; adapter: string }> }).bench({ type: 'setup', setup: s }), setup);
    return new WorkerBench(page, ready.threads, ready.adapter);
  }

  async close(): Promise<void> {
    await this.browser.close();
    this.server.close();
  }
}
