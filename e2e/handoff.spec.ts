// The hand-off bundle from the studio: with a sample loaded and the model loaded (no training needed), the Export
// step's keyboard-driven download holds the Data step's split as TRL's JSONL and a config naming the model.
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
