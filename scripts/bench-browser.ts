// Training speed in the browser: drives the studio (a running production server) in headless Chromium with
// WebGPU on, trains the demo model for a few steps with LoRA and with full fine-tuning, and reads the tokens/s the
// page shows (recent steps, the compiling first step left out). Prints a table and one JSON line.
// Usage: npm run studio (elsewhere), then: npx tsx scripts/bench-browser.ts [--url http://127.0.0.1:3000] [--steps 4]
import { chromium } from '@playwright/test';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    steps: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1' },
    seq: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'auto' },
  },
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'],
});
const rows: { method: string; backend: string; tokensPerSec: number; steps: number }[] = [];
for (const method of ['lora', 'full']) {
  const page = await browser.newPage();
  await page.goto(`${values.url}/?test=1&steps=${values.steps}&batch=${values.batch}&seqLen=${values.seq}&evalEvery=0`);
  await page.getByTestId('sample-tiny-stories.text.jsonl').click();
  await page.getByTestId('model-webtune-demo').check();
  await page.getByTestId(`method-${method}`).check();
  if (values.backend !== 'auto') await page.getByTestId('backend-choice').selectOption(values.backend!);
  await page.getByTestId('start').click();
  const status = page.getByTestId('train-status');
  await status.filter({ hasText: /done|error|stopped/i }).waitFor({ timeout: 1_800_000 });
  if (/error/i.test(await status.innerText())) throw new Error((await page.getByRole('alert').allInnerTexts()).join(' | '));
  const speed = Number((await page.getByTestId('tokens-per-sec').innerText()).replace(/[^0-9.]/g, ''));
  rows.push({ method, backend: await page.getByTestId('backend').innerText(), tokensPerSec: speed, steps: Number(values.steps) });
  await page.close();
}
await browser.close();
console.log(`demo model in headless Chromium, batch ${values.batch}, sequences up to ${values.seq} tokens`);
console.log('| method | backend | tokens/s |');
console.log('| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.method} | ${r.backend} | ${r.tokensPerSec.toFixed(1)} |`);
console.log(JSON.stringify({ batch: Number(values.batch), seq: Number(values.seq), rows }));
