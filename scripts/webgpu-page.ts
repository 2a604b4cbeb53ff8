// Runs a bundled browser entry on WebGPU in Debian's headless Chromium (SwiftShader) and returns what one
// expression evaluates to: how the engine's WebGPU checks (webgpu-parity.ts, webgpu-kernels.ts) reach a GPU adapter.
import { chromium } from '@playwright/test';
import { build } from 'esbuild';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Headless as root, with WebGPU on (facts.md: the adapter is SwiftShader's). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'];

/** Bundles `entry` as an IIFE under `globalName`, loads it into a page and evaluates `expression` there. */
export async function evaluateOnWebGpu<T>(entry: string, globalName: string, expression: string): Promise<T> {
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'iife', globalName, write: false, platform: 'browser', logLevel: 'error' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
    // WebGPU exists only in secure contexts: serve the page as http://localhost/.
    await page.route('http://localhost/', (r) => r.fulfill({ body: `<!doctype html><title>${globalName}</title>`, contentType: 'text/html' }));
    await page.goto('http://localhost/');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    return (await page.evaluate(expression)) as T;
  } finally {
    await browser.close();
  }
}
