// The core workflow in a real browser: data in, LoRA or full fine-tuning on WebGPU in a worker, live chart, download.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { strFromU8 } from 'fflate';
import { METHOD_IDS } from '../lib/engine/peft/registry';
import { readSafetensors } from '../lib/engine/safetensors';
import { wasmThreadTarget } from '../lib/engine/wasm-threads';
import { StudioPage } from './studio-page';

const SHARED = path.resolve(import.meta.dirname, '../../shared/data');

/** Reads the tensor shapes from the adapter in a downloaded zip. */
function adapterShapes(files: Record<string, Uint8Array>, folder: string): Map<string, number[]> {
  const st = readSafetensors(files[`${folder}/adapter_model.safetensors`]);
  return new Map([...st.tensors].map(([k, t]) => [k, t.shape]));
}

test('LoRA on a sample trains 20 steps on WebGPU, charts them, and downloads a PEFT adapter', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.watchLongTasks();
  // The plain-text sample keeps sequences short (one 64-token shape), which matters on a software GPU.
  await studio.open({ steps: 20, batch: 4, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await expect(page.getByTestId('data-format')).toHaveText(/text/i);
  await studio.chooseModel('tiny-random');
  await studio.chooseMethod('lora');
  const before = (await studio.longTasks()).length;
  await studio.train(20);
  // Training runs in the worker: one step takes seconds on this software GPU, so a step on the main thread
  // would show up as a task of seconds. Rendering the chart and the page stay well under one.
  const during = (await studio.longTasks()).slice(before);
  expect(Math.max(0, ...during)).toBeLessThan(1000);

  await expect(page.getByTestId('backend')).toContainText('webgpu');
  const chart = await studio.chart();
  expect(chart.points).toBeGreaterThanOrEqual(20);
  expect(chart.lastSmoothed).toBeLessThan(chart.firstSmoothed);
  // The chart's own controls: the gradient-norm pane is drawn, the metrics download as CSV (one row per step),
  // log scale and smoothing work from the keyboard.
  await expect(page.getByTestId('grad-norm-chart').locator('path.recharts-curve')).toHaveCount(1);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-download-csv').click()]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('step,loss,lr,grad_norm,val_loss');
  expect(lines.length - 1).toBeGreaterThanOrEqual(20);
  await page.getByTestId('chart-log-scale').focus();
  await page.keyboard.press('Space');
  await expect(page.getByTestId('chart-log-scale')).toBeChecked();
  await page.getByTestId('chart-smoothing').focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('chart-smoothing')).toHaveValue('0');
  await page.getByTestId('chart-smoothing').fill('0.9');
  await page.getByTestId('chart-log-scale').uncheck();
  await page.screenshot({ path: 'docs/screenshot.png', fullPage: true });

  const { download, files } = await studio.download();
  expect(download.suggestedFilename()).toBe('tiny-random-lora.zip');
  const config = JSON.parse(strFromU8(files['tiny-random-lora/adapter_config.json']));
  expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, lora_alpha: 16, fan_in_fan_out: true, bias: 'none' });
  const shapes = adapterShapes(files, 'tiny-random-lora');
  // tiny-random: n_embd 32, 2 layers; default targets c_attn and c_proj (attention and MLP projections).
  for (let i = 0; i < 2; i++) {
    const p = `base_model.model.transformer.h.${i}`;
    expect(shapes.get(`${p}.attn.c_attn.lora_A.weight`)).toEqual([8, 32]);
    expect(shapes.get(`${p}.attn.c_attn.lora_B.weight`)).toEqual([96, 8]);
    expect(shapes.get(`${p}.attn.c_proj.lora_A.weight`)).toEqual([8, 32]);
    expect(shapes.get(`${p}.mlp.c_proj.lora_A.weight`)).toEqual([8, 128]);
    expect(shapes.get(`${p}.mlp.c_proj.lora_B.weight`)).toEqual([32, 8]);
  }
  expect(shapes.size).toBe(2 * 3 * 2);
  expect(strFromU8(files['tiny-random-lora/README.md'])).toContain('library_name: peft');
  expect(studio.errors).toEqual([]);
});

test('an uploaded Alpaca file (alpaca_en_demo.json) trains a few steps and exports, and none of it leaves the machine', async ({ page }) => {
  // Every request the page and its workers make, with its body: all must go to this studio's own server, and
  // none may carry the data set's text.
  const requests: { url: string; body: string }[] = [];
  page.context().on('request', (r) => requests.push({ url: r.url(), body: r.postData() ?? '' }));
  const studio = new StudioPage(page);
  await studio.open({ steps: 3, batch: 2, seqLen: 128 });
  const file = path.join(SHARED, 'alpaca_en_demo.json');
  await studio.upload(file);
  await expect(page.getByTestId('data-format')).toHaveText(/alpaca/i);
  await expect(page.getByTestId('record-count')).toContainText('999');
  await studio.chooseModel('tiny-random');
  await studio.train(3);
  expect((await studio.chart()).points).toBe(3);
  await studio.download();
  expect(studio.errors).toEqual([]);

  const own = new URL(page.url()).origin;
  const outside = requests.filter((r) => !r.url.startsWith(own + '/') && !/^(blob|data):/.test(r.url));
  expect(outside, 'requests that left the studio').toEqual([]);
  // Instructions from the file itself: any of them in a request body or URL would mean data-set bytes sent.
  const records = JSON.parse(readFileSync(file, 'utf8')) as { instruction: string }[];
  const probes = records.slice(0, 50).map((r) => r.instruction.slice(0, 40)).filter((t) => t.length >= 20);
  expect(probes.length).toBeGreaterThan(10);
  const carrying = requests.filter((r) => probes.some((p) => r.body.includes(p) || decodeURIComponent(r.url).includes(p)));
  expect(carrying.map((r) => r.url), 'requests carrying data-set text').toEqual([]);
  expect(requests.length).toBeGreaterThan(0);
});

test('full fine-tuning a few steps downloads a model folder', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 3, batch: 2, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.chooseModel('tiny-random');
  await studio.chooseMethod('full');
  await studio.train(3);
  const { files } = await studio.download();
  const names = Object.keys(files).map((f) => f.replace(/^[^/]+\//, '')).sort();
  expect(names).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  const st = readSafetensors(files['tiny-random-finetuned/model.safetensors']);
  expect(st.tensors.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([32, 96]);
  expect(JSON.parse(strFromU8(files['tiny-random-finetuned/config.json']))).toMatchObject({ model_type: 'gpt2', n_embd: 32 });
  expect(studio.errors).toEqual([]);
});

test('the bundled demo model itself trains two LoRA steps on WebGPU, loaded with int8 base weights', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 1, seqLen: 128 });
  await studio.pickSample('date-format.alpaca.jsonl');
  await studio.chooseModel('webtune-demo');
  await page.getByTestId('base-weights').selectOption('int8');
  await studio.train(2, 280_000);
  await expect(page.getByTestId('backend')).toContainText('webgpu');
  await expect(page.getByTestId('model-config-facts')).toContainText('block weights held as int8');
  await expect(page.getByTestId('model-params')).toContainText('M parameters');
  expect((await studio.chart()).points).toBe(2);
  expect(studio.errors).toEqual([]);
});

test('bad records are listed with their line numbers, and the good ones stay usable', async ({ page }, testInfo) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 1, batch: 1, seqLen: 64 });
  const file = testInfo.outputPath('mixed.jsonl');
  const { writeFileSync } = await import('node:fs');
  const good = (i: number) => JSON.stringify({ instruction: 'Say hi.', input: '', output: `hi ${i}` });
  writeFileSync(file, [good(1), '{"instruction": "x", "output": ', good(3), JSON.stringify({ instruction: 'No answer' }), good(5)].join('\n'));
  await studio.upload(file);
  await expect(page.getByTestId('data-format')).toHaveText(/alpaca/i);
  await expect(page.getByTestId('valid-count')).toContainText('3');
  await expect(page.getByTestId('invalid-count')).toContainText('2');
  const errors = page.getByTestId('data-errors');
  await expect(errors).toContainText(/line 2/i);
  await expect(errors).toContainText(/line 4.*output/i);
  expect(studio.errors).toEqual([]);
});

test('the workflow is keyboard-usable: a sample and the method are chosen without a mouse', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 1, batch: 1, seqLen: 64 });
  // Tab until the sample button has focus, then press Enter.
  const sample = page.getByTestId('sample-tiny-stories.text.jsonl');
  for (let i = 0; i < 30 && !(await sample.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(sample).toBeFocused();
  // Focus is visible: the focused control draws an outline or ring.
  const ring = await sample.evaluate((el) => {
    const s = getComputedStyle(el);
    return s.outlineStyle !== 'none' || s.boxShadow !== 'none';
  });
  expect(ring).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('record-count')).toContainText('300');
  await page.getByTestId('method-lora').focus();
  // Arrow keys move through the methods in the registry's order: LoRA's neighbour comes next.
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId(`method-${METHOD_IDS[1]}`)).toBeChecked();
});

test('faults and hostile data: a CSP with nonces and no eval, payloads shown as text, a closed worker and a lost GPU both resume from the autosave', async ({ page }, testInfo) => {
  // Every CSP violation the page reports, and a trap any payload that ran would spring.
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[]; __pwned: number[] };
    w.__csp = [];
    w.__pwned = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`));
  });
  const studio = new StudioPage(page);
  const first = await page.goto('/?test=1&steps=8&batch=2&seqLen=64&autosave=3');
  const csp = first!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'/);
  expect(csp).not.toContain("'unsafe-eval'"); // 'wasm-unsafe-eval' compiles WebAssembly only
  expect(csp.split(';').find((d) => d.trim().startsWith('script-src'))).not.toContain('unsafe-inline'); // inline scripts by nonce only
  expect(await page.locator('script:not([src])').evaluateAll((els) => els.filter((s) => !(s as HTMLScriptElement).nonce).length)).toBe(0);

  const img = '<img src=x onerror="window.__pwned.push(1)">';
  const script = '<script>window.__pwned.push(2)</script>';
  const file = testInfo.outputPath('hostile.jsonl');
  const { writeFileSync } = await import('node:fs');
  const good = Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `${img} say ${i}`, completion: ` ${script} ok ${i}` }));
  writeFileSync(file, [...good, `{"prompt": "${img.replace(/"/g, '\\"')}", "completion": `].join('\n'));
  await studio.upload(file);
  await expect(page.getByTestId('invalid-count')).toContainText('1');
  await studio.excludeIssues();
  await studio.dataReport();
  const tokens = (await studio.previewTokens()).map((t) => t.text).join('');
  expect(tokens).toContain('<img src=x onerror=');
  await expect(page.getByTestId('token-preview').locator('img, script')).toHaveCount(0);
  await studio.chooseModel('tiny-random');

  // The worker closes (as the browser does to one out of memory) after the step-3 autosave.
  await page.getByTestId('start').click();
  await expect(page.getByTestId('step')).toContainText(/^[4-7] \/ 8/, { timeout: 120_000 });
  // The training worker is the one with the fault-injection hook (build chunk names carry no file name).
  const trainWorker = async () => {
    for (const w of page.workers()) {
      if (await w.evaluate(() => typeof (self as unknown as { webtuneLoseDevice?: unknown }).webtuneLoseDevice === 'function').catch(() => false)) return w;
    }
    return null;
  };
  await (await trainWorker())!.evaluate(() => self.close());
  await expect(page.getByTestId('train-error')).toContainText('it ended without a word', { timeout: 30_000 });
  await expect(page.getByTestId('train-error')).toContainText(/checkpoint of step [3-6] are kept/);
  await page.getByTestId('resume-recovery').click();
  await expect(page.getByTestId('train-status')).toHaveText(/running/i, { timeout: 60_000 });

  // Then its WebGPU device is lost: resume on WebAssembly, to the end.
  await expect(page.getByTestId('backend')).toContainText('webgpu');
  expect(await (await trainWorker())!.evaluate(() => (self as unknown as { webtuneLoseDevice(): boolean }).webtuneLoseDevice())).toBe(true);
  await expect(page.getByTestId('train-error')).toContainText('The GPU device was lost', { timeout: 30_000 });
  await page.getByTestId('resume-recovery-wasm').click();
  // The resume has begun (the status leaves the device-lost error), then it ends.
  await expect(page.getByTestId('train-status')).toHaveText(/loading|running|done/i, { timeout: 30_000 });
  await expect(page.getByTestId('train-status')).toHaveText(/done|error/i, { timeout: 120_000 });
  const trainError = await page.getByTestId('train-error').textContent({ timeout: 1000 }).catch(() => null);
  expect(await page.getByTestId('train-status').innerText(), `the run on WebAssembly ended with: ${trainError}`).toMatch(/done/i);
  await expect(page.getByTestId('step')).toContainText('8 / 8');
  await expect(page.getByTestId('backend')).toContainText('wasm');
  // The page is cross-origin isolated, so WebAssembly trains multithreaded (lib/engine/wasm-threads.ts).
  const { isolated, cores } = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  expect(isolated).toBe(true);
  if (wasmThreadTarget(cores) > 1) await expect(page.getByTestId('backend')).toContainText(`WebAssembly SIMD, ${wasmThreadTarget(cores)} threads`);
  expect((await studio.chart()).points).toBe(8);

  // The playground echoes nothing as markup either.
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('play-prompt').fill(`${img}${script}`);
  await page.getByTestId('play-maxNewTokens').fill('4');
  await page.getByTestId('play-generate').click();
  await expect(page.getByTestId('play-generate')).toBeEnabled({ timeout: 60_000 });
  await expect(page.locator('[data-testid="play-outputs"] img, [data-testid="play-outputs"] script')).toHaveCount(0);

  const { __csp, __pwned } = await page.evaluate(() => {
    const w = window as unknown as { __csp: string[]; __pwned: number[] };
    return { __csp: w.__csp, __pwned: w.__pwned };
  });
  expect(__csp, 'CSP violations').toEqual([]);
  expect(__pwned, 'payloads that ran').toEqual([]);
});
