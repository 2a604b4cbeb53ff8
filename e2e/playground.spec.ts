// The playground in a real browser: a short LoRA run, then the Playground view (reached through the nav, so the
// worker keeps the trained run) streams the base and the tuned answers side by side; the adapter zip the studio
// exported loads back from a file, is selected by keyboard, and answers exactly as the run it came from (greedy).
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PlaygroundPage } from './playground-page';
import { StudioPage } from './studio-page';

test('train, stream base and tuned side by side, load the exported adapter zip and select it', async ({ page }) => {
  test.setTimeout(600_000);
  const studio = new StudioPage(page);
  await studio.open({ steps: 8, batch: 2, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.chooseModel('tiny-random');
  await studio.chooseMethod('lora');
  await studio.train(8);
  const { download } = await studio.download();
  const zip = readFileSync(await download.path());

  const play = new PlaygroundPage(page);
  await play.open();
  // The trained run is kept by the worker under its run id, and shown beside the base at once.
  const runRow = play.adapterRows().first();
  await expect(runRow).toHaveAttribute('data-adapter-id', /^run-/);
  await expect(runRow.getByTestId('adapter-name')).toHaveText('Run 1 (lora)');
  const runId = (await runRow.getAttribute('data-adapter-id'))!;
  await page.getByTestId('play-maxNewTokens').fill('24');
  await play.watchStreams();
  await play.generate('Once upon a time', ['base', runId]);
  const counts = await play.streamedCounts();
  for (const key of ['base', runId]) {
    // Token by token: the box showed counts on the way up to its final length.
    expect(counts[key].length).toBeGreaterThanOrEqual(3);
    expect(counts[key]).toEqual([...counts[key]].sort((a, b) => a - b));
  }
  await expect(play.output('base')).toBeVisible();
  await expect(play.output(runId)).toBeVisible();
  const tunedText = await play.text(runId).innerText();
  const baseBox = await play.output('base').boundingBox();
  const tunedBox = await play.output(runId).boundingBox();
  expect(Math.abs(baseBox!.y - tunedBox!.y)).toBeLessThan(2); // side by side, not stacked
  expect(tunedBox!.x).toBeGreaterThan(baseBox!.x);

  // Load the exported zip as a file.
  await page.getByTestId('adapter-zip-input').setInputFiles({ name: download.suggestedFilename(), mimeType: 'application/zip', buffer: zip });
  const fileRow = page.locator('[data-testid="adapter-row"][data-adapter-id="file-1"]');
  await expect(fileRow.getByTestId('adapter-name')).toHaveText('tiny-random-lora');
  await expect(page.getByTestId('adapter-refusal')).toHaveCount(0);
  // Select only the loaded one, by keyboard: Space on the run's checkbox hides it.
  const fileBox = page.getByTestId('play-adapter-file-1');
  await expect(fileBox).toBeChecked();
  const runBox = page.getByTestId(`play-adapter-${runId}`);
  await runBox.focus();
  await page.keyboard.press('Space');
  await expect(runBox).not.toBeChecked();
  await expect(play.output(runId)).toHaveCount(0);
  await play.generate('Once upon a time', ['base', 'file-1']);
  // The exported adapter is the run's own weights: the same greedy answer.
  await expect(play.text('file-1')).toHaveText(tunedText);
  expect(studio.errors).toEqual([]);
});
