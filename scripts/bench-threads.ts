// Does multithreaded wasm help here? Serves a page that trains the demo-shaped model on tfjs-wasm, once cross-origin
// isolated (COOP same-origin + COEP credentialless, as next.config.ts would send: threads on) and once not (one
// thread), alternating, in headless Chromium. `npm run bench:threads -- [--rounds 2] [--method lora] [--threads 2] [--shape demo|gpt2] [--all-cores]`
// (gpt2: GPT-2 small's widths and vocabulary with 2 layers, the `npm run bench` config)
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, method: { type: 'string', default: 'lora' }, steps: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' }, shape: { type: 'string', default: 'demo' }, 'all-cores': { type: 'boolean', default: false } },
});
const WASM = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
const bundle = await build({ entryPoints: ['scripts/bench-threads-entry.ts'], bundle: true, format: 'esm', write: false, platform: 'browser', define: { 'process.env.NODE_ENV': '"production"' } });
const js = bundle.outputFiles[0].contents;
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

const server = createServer(async (req, res) => {
  const url = new URL(req.url!, 'http://x');
  const headers = url.searchParams.get('isolated') === '1' || req.headers.referer?.includes('isolated=1') ? ISOLATION : {};
  if (url.pathname === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end('<script type="module" src="/bench.js"></script>');
  if (url.pathname === '/bench.js') return res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(js);
  if (url.pathname.startsWith('/wasm/')) {
    const file = await readFile(join(WASM, url.pathname.slice(6))).catch(() => null);
    if (file) return res.writeHead(200, { ...headers, 'Content-Type': 'application/wasm' }).end(file);
  }
  res.writeHead(404).end();
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
const rows: unknown[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const isolated of [true, false]) {
    const page = await browser.newPage();
    await page.goto(`${base}/?isolated=${isolated ? 1 : 0}&method=${values.method}&steps=${values.steps}&threads=${isolated ? values.threads : 1}&shape=${values.shape}&allCores=${isolated && values['all-cores'] ? 1 : 0}`);
    const handle = await page.waitForFunction(() => (window as unknown as { benchResult?: unknown }).benchResult, null, { timeout: 600_000 });
    rows.push({ round, ...(await handle.jsonValue() as object) });
    await page.close();
  }
}
await browser.close();
server.close();
console.log(`${values.shape === 'gpt2' ? 'GPT-2-small-shaped model, 2 layers' : 'demo-shaped model'} (random init), ${values.method}, batch 4 x 128, in headless Chromium`);
console.log('| round | cross-origin isolated | wasm threads | tokens/s |');
console.log('| --- | --- | --- | --- |');
for (const r of rows as { round: number; isolated: boolean; threads: number; tokensPerSec: number; error?: string }[]) {
  console.log(r.error ? `| ${r.round} | error: ${r.error} | | |` : `| ${r.round} | ${r.isolated} | ${r.threads} | ${r.tokensPerSec.toFixed(0)} |`);
}
console.log(JSON.stringify({ rows }));
