// Runs the engine's forward pass and LoRA gradients for every tiny family on WebGPU in Debian's Chromium
// (SwiftShader) and compares them with the cpu backend. npx tsx scripts/webgpu-parity.ts (needs /usr/bin/chromium).
import { build } from 'esbuild';
import path from 'node:path';
import { chromium } from 'playwright-core';

const bundle = await build({
  entryPoints: [path.join(import.meta.dirname, 'webgpu-parity-entry.ts')],
  bundle: true, format: 'iife', globalName: 'parity', write: false, platform: 'browser', logLevel: 'error',
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
  // WebGPU exists only in secure contexts: serve the page as http://localhost/.
  await page.route('http://localhost/', (r) => r.fulfill({ body: '<!doctype html><title>parity</title>', contentType: 'text/html' }));
  await page.goto('http://localhost/');
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  console.log(JSON.stringify(await page.evaluate('parity.compare()'), null, 2));
} finally {
  await browser.close();
}
