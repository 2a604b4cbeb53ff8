// The Data step in a real browser: a chat JSONL file with bad records read in the data worker, its issues
// located and excluded, the template preview's loss tokens, a split, and a short run on what it produced.
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { StudioPage } from './studio-page';

const chat = (...turns: [string, string][]) => JSON.stringify({ messages: turns.map(([role, content]) => ({ role, content })) });

const LINES = [
  chat(['user', 'What is the capital of France?'], ['assistant', 'The capital of France is Paris.']),
  chat(['user', 'Name a primary colour.'], ['assistant', 'Blue is a primary colour.']),
  '[1, 2, 3]', // line 3: not an object
  JSON.stringify({ conversation: 'no messages here' }), // line 4: missing field
  chat(['wizard', 'Cast a spell.'], ['assistant', 'Zap.']), // line 5: unknown role
  chat(['user', ''], ['assistant', 'Nothing to answer.']), // line 6: empty content
  chat(['user', 'Say hello.'], ['assistant', 'Hello there.']),
  chat(['user', 'Count to three.'], ['assistant', 'One, two, three.']),
];

test('a chat file with bad records: located issues, exclude, loss preview, split, and 2 training steps', async ({ page }, testInfo) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 2, seqLen: 64 });
  const file = testInfo.outputPath('chat-with-bad-records.jsonl');
  writeFileSync(file, LINES.join('\n') + '\n');
  await studio.upload(file);

  await expect(page.getByTestId('data-format')).toHaveText('chat');
  await expect(page.getByTestId('record-count')).toHaveText('8 records');
  await expect(page.getByTestId('valid-count')).toHaveText('4 valid');
  await expect(page.getByTestId('invalid-count')).toHaveText('4 with problems');
  const rows = await studio.issueRows();
  expect(rows).toHaveLength(4);
  expect(rows[0]).toMatch(/^line 3 not an object/);
  expect(rows[1]).toMatch(/^line 4 missing field.*messages/);
  expect(rows[2]).toMatch(/^line 5 unknown role.*wizard/);
  expect(rows[3]).toMatch(/^line 6 empty content/);

  // Filter by class.
  await page.getByTestId('issue-filter').selectOption('unknown_role');
  expect(await studio.issueRows()).toEqual([rows[2]]);
  await page.getByTestId('issue-filter').selectOption('all');

  // Records with issues block Start until they are excluded.
  await expect(page.getByTestId('start-blocker')).toContainText('exclude them');
  await studio.excludeIssues();
  await expect(page.getByTestId('invalid-count')).toHaveText('4 excluded');

  // The preview: the first valid record in ChatML (the demo tokenizer has no chat template of its own).
  await studio.dataReport();
  await expect(page.getByTestId('template-used')).toContainText('chatml');
  const tokens = await studio.previewTokens();
  const learned = tokens.filter((t) => t.loss).map((t) => t.text).join('');
  const masked = tokens.filter((t) => !t.loss).map((t) => t.text).join('');
  expect(tokens.some((t) => t.loss)).toBe(true);
  expect(tokens.some((t) => !t.loss)).toBe(true);
  expect(learned).toContain('The capital of France is Paris.');
  expect(masked).toContain('What is the capital of France?');
  expect(learned).not.toContain('What is the capital');

  // The record picker moves to the next record.
  await page.getByTestId('preview-next').click();
  await expect(page.getByTestId('preview-summary')).toContainText('line 2');

  // Train on everything puts loss on the prompt too.
  await page.getByTestId('train-on-all').check();
  await expect.poll(async () => (await studio.previewTokens()).every((t, i) => i === 0 || t.loss)).toBe(true);
  await page.getByTestId('train-on-all').uncheck();
  const maskedText = async () => (await studio.previewTokens()).filter((t) => !t.loss).map((t) => t.text).join('');
  await expect.poll(maskedText).toContain('Name a primary colour.');

  // A split: 25% validation of 4 records is 1, the rest trains.
  await studio.setSplit(25, 0);
  await expect(page.getByTestId('split-counts')).toContainText('3 train · 1 validation · 0 test');
  // Packing: the three short examples share rows; the run trains packed, on WebGPU.
  await expect(page.getByTestId('packing-stats')).toContainText(/removes \d+% of the padding/);
  await page.getByTestId('packing').check();

  // For review: the Data step in light and dark.
  await page.screenshot({ path: testInfo.outputPath('data-step-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('data-step-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  await studio.chooseModel('tiny-random');
  await studio.train(2);
  await expect(page.getByTestId('run-facts')).toContainText('3 train examples · 1 validation examples');
  expect((await studio.chart()).points).toBe(2);
  // The finished run measured this machine's speed: the Data step now estimates the time of one pass.
  await expect(page.getByTestId('stat-estimate')).toContainText('tokens/s');
  expect(studio.errors).toEqual([]);
});

test('a 10,000-record file is read, cleaned and measured in the data worker without long main-thread tasks', async ({ page }, testInfo) => {
  const studio = new StudioPage(page);
  await studio.watchLongTasks();
  await studio.open({ steps: 1, batch: 1, seqLen: 64 });
  const file = testInfo.outputPath('large.jsonl');
  const lines = Array.from({ length: 10_000 }, (_, i) => chat(['user', `Question number ${i}: what is ${i} plus ${i}?`], ['assistant', `${i} plus ${i} is ${2 * i}.`]));
  lines[4_999] = '{"messages": '; // one broken line in the middle
  writeFileSync(file, lines.join('\n'));
  const before = (await studio.longTasks()).length;
  await studio.upload(file);
  await expect(page.getByTestId('record-count')).toHaveText('10,000 records');
  await expect(page.getByTestId('valid-count')).toHaveText('9,999 valid');
  expect(await studio.issueRows()).toEqual([expect.stringMatching(/^line 5000 invalid JSON/)]);
  await studio.excludeIssues();
  await expect(page.getByTestId('stat-records')).toHaveText('9,999', { timeout: 120_000 });
  await studio.dataReport();
  const during = (await studio.longTasks()).slice(before);
  console.log(`main-thread long tasks while reading and measuring 10,000 records: ${during.length}, longest ${Math.round(Math.max(0, ...during))} ms`);
  // Parsing and tokenizing 10,000 records takes about 10 s here, all in the worker. The longest main-thread task
  // is the first render of the report (charts included): 0.45 to 0.65 s measured on this 2-core machine.
  expect(Math.max(0, ...during)).toBeLessThan(1000);
  expect(studio.errors).toEqual([]);
});
