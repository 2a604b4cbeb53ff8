// The hand-off bundle from the studio: with a sample loaded and the model loaded (no training needed), the Export
// step's keyboard-driven download holds the Data step's split as TRL's JSONL and a config naming the model; a job over
// the memory budget is pointed to the hand-off with the GPU memory it needs, in the Method and Export steps alike.
import { expect, test } from '@playwright/test';
import { strFromU8 } from 'fflate';
import { StudioPage } from './studio-page';

test('downloads a TRL hand-off bundle whose data file holds the split the Data step shows', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 1, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.dataReport();
  await page.getByTestId('load-model').click();
  await expect(studio.modelFacts()).toBeVisible({ timeout: 120_000 });
  const split = await studio.splitCounts();
  const { download, files } = await studio.downloadHandoff('trl');
  const folder = download.suggestedFilename().replace(/\.zip$/, '');
  expect(folder).toMatch(/-trl$/);
  const lines = (name: string) => strFromU8(files[`${folder}/${name}`]).split('\n').filter((l) => l.trim() !== '');
  expect(lines('data/train.jsonl')).toHaveLength(split.train);
  expect(lines('data/validation.jsonl')).toHaveLength(split.validation);
  expect(JSON.parse(lines('data/train.jsonl')[0])).toHaveProperty('text');
  expect(Object.keys(files)).toContain(`${folder}/README.md`);
  await expect(page.getByTestId('handoff-name')).toHaveText(download.suggestedFilename());
  expect(studio.errors).toEqual([]);
});

test('a job over the memory budget points to the hand-off, naming the GPU memory its README names too', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 1, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.dataReport();
  await page.getByTestId('load-model').click();
  await expect(studio.modelFacts()).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('memory-budget').fill('0.001');
  await expect(page.getByTestId('memory-plan')).toHaveAttribute('data-fits', 'false');
  const total = (await page.getByTestId('memory-total').locator('span').first().innerText()).trim();
  await expect(page.getByTestId('memory-handoff')).toContainText(`needs about ${total} of GPU memory per GPU`);
  await expect(page.getByTestId('handoff-hint')).toContainText(`the target run needs about ${total} of GPU memory per GPU`);
  await expect(page.getByTestId('handoff-toggle')).toHaveCount(0); // offered outright, not folded away
  const { download, files } = await studio.downloadHandoff('trl');
  const folder = download.suggestedFilename().replace(/\.zip$/, '');
  expect(strFromU8(files[`${folder}/README.md`])).toContain(`GPU memory: about ${total} per GPU`);
  expect(studio.errors).toEqual([]);
});
