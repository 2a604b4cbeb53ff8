// Every method the studio's picker offers (read from the page, so methods added to the registry later are covered):
// its one-line trade-off, trainable parameters and memory plan, its own fields; a few training steps on WebGPU; and
// the download holds its files (a PEFT adapter or a model folder) with PEFT's names.
import { expect, test, type Page } from '@playwright/test';
import { strFromU8 } from 'fflate';
import { fieldTestId } from '../lib/stores/method-form';
import { readSafetensors } from '../lib/engine/safetensors';
import { methodSpec } from '../lib/engine/peft/registry';
import { StudioPage } from './studio-page';

const RUN = { steps: 2, batch: 2, seqLen: 64 };

/** The tensor-name endings each known adapter method must write (PEFT's keys). */
const ADAPTER_KEYS: Record<string, RegExp[]> = {
  lora: [/\.lora_A\.weight$/, /\.lora_B\.weight$/],
  dora: [/\.lora_A\.weight$/, /\.lora_B\.weight$/, /\.lora_magnitude_vector$/],
  ia3: [/\.ia3_l$/],
};

async function pickerMethods(page: Page): Promise<string[]> {
  const ids = await page.getByRole('radiogroup', { name: 'Method' }).locator('input[type="radio"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect(ids.length).toBeGreaterThan(0);
  return ids;
}

test('the picker offers every registered method', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open(RUN);
  // Each method card shows the spec's label and one-line trade-off.
  for (const id of await pickerMethods(page)) {
    const card = page.getByTestId(`method-${id}`).locator('xpath=ancestor::label[1]');
    await expect(card).toContainText(methodSpec(id).label);
    await expect(card).toContainText(methodSpec(id).help);
  }
});

// One page for every method, as a user comparing methods works: the sample and the model are loaded once, then each
// method is picked in turn, shows its own plan and fields, trains its own run ("Start again") and downloads its
// files; what one run leaves behind must not leak into the next one's plan, count or download.
test('each method picked in the UI shows its plan and fields, trains a few steps on WebGPU and downloads its files', async ({ page }) => {
  test.setTimeout(900_000);
  const studio = new StudioPage(page);
  await studio.open(RUN);
  const ids = await pickerMethods(page);
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.chooseModel('tiny-random');
  await page.getByTestId('load-model').click(); // the plan and the parameter count need the loaded model
  await expect(studio.modelFacts()).toBeVisible({ timeout: 120_000 });
  for (const id of ids) {
    await test.step(id, async () => {
      const spec = methodSpec(id);
      await studio.chooseMethod(id);
      await expect(page.getByTestId('memory-plan')).toBeVisible();
      await expect(page.getByTestId('memory-total')).toContainText(/B/);
      const trainable = page.getByTestId('trainable-params');
      await expect(trainable).toContainText(spec.label);
      const count = Number(await trainable.getAttribute('data-count'));
      expect(count).toBeGreaterThan(0);
      for (const [key, f] of Object.entries(spec.fields)) {
        const tid = fieldTestId(id, key, f);
        const control = f.kind === 'modules' ? page.locator(`[data-testid^="${tid}-"]`).first() : page.getByTestId(tid);
        await expect(control, `${id}.${key}`).toBeVisible();
      }
      await studio.train(RUN.steps);
      await expect(page.getByTestId('backend')).toContainText('webgpu');
      const { download, files } = await studio.download();
      const folder = `tiny-random-${spec.folderSuffix}`;
      expect(download.suggestedFilename()).toBe(`${folder}.zip`);
      if (spec.exports === 'adapter') {
        const config = JSON.parse(strFromU8(files[`${folder}/adapter_config.json`]));
        expect(config).toMatchObject({ task_type: 'CAUSAL_LM', base_model_name_or_path: 'tiny-random', inference_mode: true });
        const st = readSafetensors(files[`${folder}/adapter_model.safetensors`]);
        const keys = [...st.tensors.keys()];
        expect(keys.length).toBeGreaterThan(0);
        // PEFT's tuner adapters prefix module keys; prompt learning saves one bare `prompt_embeddings`; our
        // bottleneck layout (not a PEFT type) names the blocks' adapter_down/adapter_up.
        if (id === 'prompt' || id === 'prefix') expect(keys).toEqual(['prompt_embeddings']);
        else if (spec.notPeft) expect(keys.some((k) => /\.adapter_down\.0\.weight$/.test(k))).toBe(true);
        else expect(keys.every((k) => k.startsWith('base_model.model.'))).toBe(true);
        if (id === 'prompt') expect(config).toMatchObject({ peft_type: 'PROMPT_TUNING' });
        if (id === 'prefix') expect(config).toMatchObject({ peft_type: 'PREFIX_TUNING' });
        for (const re of ADAPTER_KEYS[id] ?? []) expect(keys.some((k) => re.test(k)), `${id}: a key matching ${re}`).toBe(true);
        if (ADAPTER_KEYS[id]) {
          // What the picker counted is what the file holds.
          const stored = [...st.tensors.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
          expect(stored).toBe(count);
        }
        if (id === 'dora') expect(config).toMatchObject({ peft_type: 'LORA', use_dora: true });
        if (id === 'ia3') expect(config).toMatchObject({ peft_type: 'IA3', feedforward_modules: ['mlp.c_proj'] });
      } else {
        const names = Object.keys(files).map((f) => f.replace(/^[^/]+\//, '')).sort();
        expect(names).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
        expect(readSafetensors(files[`${folder}/model.safetensors`]).tensors.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([32, 96]);
      }
      expect(studio.errors, id).toEqual([]);
    });
  }
});
