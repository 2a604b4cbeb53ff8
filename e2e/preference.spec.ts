// DPO in a real browser: LLaMA-Factory's preference demo (dpo_en_demo.json) uploaded, the DPO objective picked,
// a LoRA run on WebGPU in the worker with the live preference chart, and the PEFT adapter downloaded. RLHF: a
// reward model trained on the same pairs and downloaded, then picked as the reward of a 2-step GRPO run (its
// objective fields typed), with the live RL chart. Both on test mode's tiny model (the demo model took about 50 s
// per RL step on SwiftShader on a shared 2-core machine).
import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('RLHF: a reward model trained in the studio scores a 2-step GRPO run', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 1, batch: 2, seqLen: 32 });
  await studio.upload(path.join(SHARED, 'dpo_en_demo.json'));
  await studio.setSplit(0, 0); // no validation: RL validation samples and scores every held-out prompt
  await studio.chooseModel('tiny-random');
  await studio.chooseMethod('lora');
  await page.getByTestId('objective-reward').check();
  await studio.train(1);
  const { files } = await studio.download();
  const dir = mkdtempSync(path.join(tmpdir(), 'webtune-rm-'));
  const picked = Object.entries(files).filter(([n]) => /\.(json|safetensors)$/.test(n)).map(([n, bytes]) => {
    const file = path.join(dir, path.basename(n));
    writeFileSync(file, bytes);
    return file;
  });
  // RL on prompts: Alpaca records, their outputs the reference answers.
  await studio.upload(path.join(SHARED, 'alpaca_en_demo.json'));
  await studio.setSplit(0, 0);
  await page.getByTestId('objective-grpo').check();
  await page.getByTestId('steps').fill('2');
  await page.getByTestId('objective-field-numGenerations').fill('2');
  await page.getByTestId('objective-field-maxNewTokens').fill('1');
  await expect(page.getByTestId('objective-field-maxNewTokens')).toHaveValue('1');
  await page.getByTestId('reward-model-files-input').setInputFiles(picked);
  await expect(page.getByTestId('reward-model-summary')).toContainText('parameters');
  await expect(page.getByTestId('objective-field-reward')).toHaveCount(0); // the reward model scores, not the rules
  await studio.train(2);
  const chart = page.getByTestId('rl-chart');
  await expect(chart).toBeVisible();
  expect(Number(await chart.getAttribute('data-points'))).toBe(2);
  expect(Number.isFinite(Number(await chart.getAttribute('data-last-reward')))).toBe(true);
  expect(studio.errors).toEqual([]);
});
