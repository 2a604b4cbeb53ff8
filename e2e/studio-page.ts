// Page object for the studio: every selector the e2e specs use lives here (data-testid based).
import { expect, type Download, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';

export interface RunOptions {
  steps: number;
  batch: number;
  seqLen: number;
}

export class StudioPage {
  readonly errors: string[] = [];

  constructor(readonly page: Page) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.errors.push(msg.text());
    });
    page.on('pageerror', (err) => this.errors.push(err.message));
  }

  /** Records main-thread long tasks (over 50 ms) from page load on, into window.__longTasks. */
  async watchLongTasks() {
    await this.page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
    });
  }

  async longTasks(): Promise<number[]> {
    return this.page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  }

  async open(run: RunOptions, extra = '') {
    await this.page.goto(`/?test=1&steps=${run.steps}&batch=${run.batch}&seqLen=${run.seqLen}${extra}`);
    await expect(this.page.getByRole('heading', { name: 'WebTune Studio' })).toBeVisible();
  }

  async pickSample(file: string) {
    await this.page.getByTestId(`sample-${file}`).click();
    await expect(this.page.getByTestId('record-count')).toBeVisible();
  }

  async upload(path: string) {
    await this.page.getByTestId('file-input').setInputFiles(path);
    await expect(this.page.getByTestId('record-count')).toBeVisible();
  }

  /** The Data step: the located issue rows, as their text. */
  async issueRows(): Promise<string[]> {
    return this.page.getByTestId('issue-row').allInnerTexts();
  }

  async excludeIssues() {
    await this.page.getByTestId('exclude-issues').click();
    await expect(this.page.getByTestId('issues-excluded')).toBeVisible();
  }

  /** Waits for the data worker's report (statistics and split) to be shown. */
  async dataReport() {
    await expect(this.page.getByTestId('split-counts')).toBeVisible();
    await expect(this.page.getByTestId('token-preview')).toBeVisible();
  }

  /** The previewed record's tokens: text and whether each carries loss. */
  async previewTokens(): Promise<{ text: string; loss: boolean }[]> {
    await expect(this.page.getByTestId('token').first()).toBeVisible();
    return this.page.getByTestId('token').evaluateAll((els) => els.map((el) => ({ text: el.textContent ?? '', loss: el.getAttribute('data-loss') === '1' })));
  }

  async setSplit(validationPercent: number, testPercent: number) {
    await this.page.getByTestId('validation-percent').fill(String(validationPercent));
    await this.page.getByTestId('test-percent').fill(String(testPercent));
  }

  async chooseModel(name: string) {
    await this.page.getByTestId(`model-${name}`).check();
  }

  async chooseSource(kind: 'bundled' | 'hub' | 'files') {
    await this.page.getByTestId(`source-${kind}`).check();
  }

  /** Fills the Hub form (the Hub URL setting and a model id) and presses Load model. */
  async loadFromHub(baseUrl: string, id: string) {
    await this.chooseSource('hub');
    await this.page.getByTestId('hub-base-url').fill(baseUrl);
    await this.page.getByTestId('hub-id').fill(id);
    await this.page.getByTestId('load-model').click();
  }

  /** Picks a local model folder through the folder input. */
  async pickFolder(dir: string) {
    await this.chooseSource('files');
    await this.page.getByTestId('folder-input').setInputFiles(dir);
  }

  readonly loadProgress = () => this.page.getByTestId('model-progress-figures');
  readonly cancelLoad = () => this.page.getByTestId('cancel-load').click();
  readonly modelFacts = () => this.page.getByTestId('model-facts');
  readonly modelError = () => this.page.getByTestId('model-error');

  async chooseMethod(method: string) {
    await this.page.getByTestId(`method-${method}`).check();
  }

  /** Starts a run (or "Start again" after one) and waits for it to end; throws with the alerts if it failed. */
  async train(steps: number, timeout = 240_000) {
    const status = this.page.getByTestId('train-status');
    await this.page.getByTestId('start').click();
    // A new run leaves the last one's end state at once (it starts 'loading'), so the wait below is for this run.
    await expect(status).toHaveText(/loading|running|paused/i);
    await expect(status).toHaveText(/done|error|stopped/i, { timeout });
    if (/error/i.test(await status.innerText())) {
      const alerts = await this.page.getByRole('alert').allInnerTexts();
      throw new Error(`The run failed: ${alerts.join(' | ')}; console: ${this.errors.join(' | ')}`);
    }
    await expect(this.page.getByTestId('step')).toContainText(`${steps} / ${steps}`);
  }

  async chart() {
    const el = this.page.getByTestId('loss-chart');
    return {
      points: Number(await el.getAttribute('data-points')),
      firstSmoothed: Number(await el.getAttribute('data-first-smoothed')),
      lastSmoothed: Number(await el.getAttribute('data-last-smoothed')),
    };
  }

  /** Clicks Export and returns the downloaded zip's files, keyed by path inside the zip. */
  async download(): Promise<{ download: Download; files: Record<string, Uint8Array> }> {
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 120_000 }), this.page.getByTestId('export').click()]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    return { download, files: unzipSync(new Uint8Array(readFileSync(path))) };
  }

  /** The Data step's split as shown: train, validation, test. */
  async splitCounts(): Promise<{ train: number; validation: number; test: number }> {
    const text = await this.page.getByTestId('split-counts').innerText();
    const m = /([\d,]+) train · ([\d,]+) validation · ([\d,]+) test/.exec(text);
    if (!m) throw new Error(`Unexpected split text: ${text}`);
    const n = (x: string) => Number(x.replace(/,/g, ''));
    return { train: n(m[1]), validation: n(m[2]), test: n(m[3]) };
  }

  /** Opens the hand-off section (when folded), picks the trainer by keyboard, presses Download and unzips it. */
  async downloadHandoff(target: 'trl' | 'axolotl' | 'llamafactory'): Promise<{ download: Download; files: Record<string, Uint8Array> }> {
    const toggle = this.page.getByTestId('handoff-toggle');
    if (await toggle.isVisible()) {
      await toggle.focus();
      await this.page.keyboard.press('Enter');
    }
    await this.page.getByTestId('handoff-target').selectOption(target);
    const button = this.page.getByTestId('handoff-download');
    await expect(button).toBeEnabled();
    await button.focus();
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 120_000 }), this.page.keyboard.press('Enter')]);
    const { readFileSync } = await import('node:fs');
    return { download, files: unzipSync(new Uint8Array(readFileSync(await download.path()))) };
  }
}
