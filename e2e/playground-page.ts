// Page object for the Playground view: prompt, outputs side by side, adapters (data-testid based).
import { expect, type Page } from '@playwright/test';

export class PlaygroundPage {
  constructor(readonly page: Page) {}

  /** Goes to the playground through the nav (a client-side move: the store and the worker stay). */
  async open() {
    await this.page.getByTestId('nav-playground').click();
    await expect(this.page.getByTestId('play-prompt')).toBeVisible();
  }

  readonly output = (key: string) => this.page.getByTestId(`play-output-${key}`);
  readonly text = (key: string) => this.page.getByTestId(`play-text-${key}`);
  readonly adapterRows = () => this.page.getByTestId('adapter-row');

  /** Records every token count each output box shows, from now on, into window.__playTokens. */
  async watchStreams() {
    await this.page.evaluate(() => {
      const w = window as unknown as { __playTokens: Record<string, number[]> };
      w.__playTokens = {};
      const root = document.querySelector('[data-testid="play-outputs"]')!;
      new MutationObserver(() => {
        for (const el of root.querySelectorAll('[data-testid^="play-output-"]')) {
          const key = el.getAttribute('data-testid')!.slice('play-output-'.length);
          const n = Number(el.getAttribute('data-tokens'));
          const seen = (w.__playTokens[key] ??= []);
          if (seen.at(-1) !== n) seen.push(n);
        }
      }).observe(root, { subtree: true, attributes: true, childList: true, characterData: true });
    });
  }

  async streamedCounts(): Promise<Record<string, number[]>> {
    return this.page.evaluate(() => (window as unknown as { __playTokens: Record<string, number[]> }).__playTokens);
  }

  /** Types the prompt and generates by keyboard (Ctrl+Enter); waits until every shown output has finished. */
  async generate(prompt: string, keys: string[]) {
    const box = this.page.getByTestId('play-prompt');
    await box.fill(prompt);
    await box.focus();
    await this.page.keyboard.press('Control+Enter');
    for (const k of keys) {
      await expect(this.output(k)).toHaveAttribute('data-streaming', '0', { timeout: 120_000 });
      await expect(this.output(k)).not.toHaveAttribute('data-tokens', '0');
    }
    await expect(this.page.getByTestId('play-generate')).toBeEnabled({ timeout: 120_000 });
  }
}
