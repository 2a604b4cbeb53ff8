// Runs that last, in a real browser: a 30-step run autosaves at step 20 and is paused; the Runs view shows it
// paused while its tab holds it (lib/runs/live-runs.ts); the page is reloaded; the Runs view lists the run as
// interrupted with its checkpoint and curve; the studio resumes it from the checkpoint
// (same sample data) and it finishes at step 30, listed as done with every step's point. Checkpoints live in the
// origin private file system (one step folder per run); deleting the run frees them.
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { StudioPage } from './studio-page';

/** The step folders of a run's checkpoint in OPFS (lib/runs/checkpoint-store.ts), or null when it has none. */
function opfsCheckpoint(page: Page, runId: string | null): Promise<string[] | null> {
  return page.evaluate(async (id) => {
    const root = await navigator.storage.getDirectory();
    try {
      const dir = await (await root.getDirectoryHandle('checkpoints')).getDirectoryHandle(id!);
      const names: string[] = [];
      for await (const n of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(n);
      return names;
    } catch {
      return null;
    }
  }, runId);
}

const RUN = { steps: 30, batch: 2, seqLen: 64 };

test('train, reload mid-run, find the run, resume it to the end', async ({ page }) => {
  test.setTimeout(600_000); // two runs on a software WebGPU adapter
  const studio = new StudioPage(page);
  await studio.open(RUN);
  await studio.pickSample('tiny-stories.text.jsonl');
  await page.getByTestId('start').click();
  // Past the first autosave (step 20): pause, and look at the run from the Runs view while this tab holds it.
  await expect(page.getByTestId('step')).toContainText(/^(2[2-8]) \/ 30/, { timeout: 240_000 });
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('train-status')).toHaveText('paused', { timeout: 60_000 });
  await page.getByTestId('nav-runs').click();
  const row = page.getByTestId('run-row').first();
  await expect(row).toHaveAttribute('data-status', 'paused');
  await expect(row.getByTestId('run-live')).toContainText('paused in an open studio tab');
  await expect(row.getByTestId('run-resume')).toHaveCount(0);
  // The tab "closes": nothing holds the run now, so the Runs view finds it interrupted.
  await page.reload();
  await expect(row).toHaveAttribute('data-status', 'interrupted');
  await expect(row.getByTestId('run-steps')).toContainText(/checkpoint at 20/);
  const id = await row.getAttribute('data-run-id');
  const at = Number((await row.getByTestId('run-steps').innerText()).match(/checkpoint at (\d+)/)![1]);
  await expect(row.getByTestId('run-resume')).toBeVisible();
  await expect(page.getByTestId('storage')).toContainText('checkpoints in the origin private file system');
  expect(await opfsCheckpoint(page, id)).toEqual(['step-00000020']);

  // The Resume link opens the studio on that run; test mode again, the same sample data.
  await studio.open(RUN, `&resume=${id}`);
  await studio.pickSample('tiny-stories.text.jsonl');
  await page.getByTestId('resume-stored').click();
  const status = page.getByTestId('train-status');
  await expect(status).toHaveText(/done|error|stopped/i, { timeout: 240_000 });
  expect(await status.innerText()).toMatch(/done/i);
  await expect(page.getByTestId('step')).toContainText('30 / 30');
  await expect(page.getByTestId('run-stored')).toHaveAttribute('data-stored', 'saved', { timeout: 60_000 });

  await page.goto('/runs');
  const done = page.locator(`[data-run-id="${id}"]`);
  await expect(done).toHaveAttribute('data-status', 'done');
  await expect(done.getByTestId('run-steps')).toContainText('step 30 of 30');
  // The resumed run rewound its stored curve to the checkpoint and reported every later step again: 30 points.
  const points = await page.evaluate(async (runId) => {
    const req = indexedDB.open('webtune-runs');
    const db: IDBDatabase = await new Promise((ok, fail) => ((req.onsuccess = () => ok(req.result)), (req.onerror = () => fail(req.error))));
    const tx = db.transaction('steps').objectStore('steps').getAll(IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]));
    return new Promise<number[]>((ok) => (tx.onsuccess = () => ok((tx.result as { step: number }[]).map((p) => p.step))));
  }, id);
  expect(points).toEqual([...Array(30).keys()].map((i) => i + 1));
  expect(at).toBe(20);
  // Only the final checkpoint is kept; deleting the run removes its files.
  expect(await opfsCheckpoint(page, id)).toEqual(['step-00000030']);
  await done.getByTestId('run-delete').click();
  await expect(done).toHaveCount(0);
  expect(await opfsCheckpoint(page, id)).toBeNull();
});
