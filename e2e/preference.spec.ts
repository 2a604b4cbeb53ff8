// DPO in a real browser: LLaMA-Factory's preference demo (dpo_en_demo.json) uploaded, the DPO objective picked,
// a LoRA run on WebGPU in the worker with the live preference chart, and the PEFT adapter downloaded.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { strFromU8 } from 'fflate';
import { StudioPage } from './studio-page';

const SHARED = path.resolve(import.meta.dirname, '../../shared/data');

test('DPO on preference pairs charts the rewards live and downloads a LoRA adapter', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 4, batch: 2, seqLen: 64 });
  await studio.upload(path.join(SHARED, 'dpo_en_demo.json'));
  await expect(page.getByTestId('data-format')).toHaveText(/preference/i);
  await studio.chooseModel('tiny-random');
  await studio.chooseMethod('lora');
  await page.getByTestId('objective-dpo').check();
  await studio.train(4);
  const chart = page.getByTestId('preference-chart');
  await expect(chart).toBeVisible();
  expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(4);
  expect(Number.isFinite(Number(await chart.getAttribute('data-last-margin')))).toBe(true);
  const { download, files } = await studio.download();
  expect(download.suggestedFilename()).toBe('tiny-random-lora.zip');
  expect(JSON.parse(strFromU8(files['tiny-random-lora/adapter_config.json']))).toMatchObject({ peft_type: 'LORA' });
  expect(studio.errors).toEqual([]);
});
