// Loading models from a Hugging Face Hub-layout server (started here, on its own port) and from a local
// folder, through the Model step's forms: progress, model facts, a short LoRA run, cancel, and errors.
import { expect, test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { strFromU8 } from 'fflate';
import { startHubServer, type HubServer } from '../lib/hub/test-server';
import { tinyHubModel } from '../lib/hub/test-models';
import { readSafetensors } from '../lib/engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../lib/engine/test-checkpoints';
import { parseModelConfig } from '../lib/engine/loader';
import { StudioPage } from './studio-page';

// A tiny GPT-2 (byte-level tokenizer, 259 tokens) that trains in seconds on a software GPU.
const model = tinyHubModel({ n_positions: 64, n_embd: 32, n_head: 2 });
const ID = 'webtune-test/tiny-gpt2';
// A tiny Llama (GQA: 4 query heads, 2 key/value heads; hidden 32, MLP 48; byte-level tokenizer), in two shards.
const LLAMA_ID = 'webtune-test/tiny-llama';
const llamaRaw = tinyRawConfig('llama', { max_position_embeddings: 128 });
const llama = checkpointFolder(llamaRaw, tinyCheckpointWeights(parseModelConfig(llamaRaw), 5, 0.05), { shards: 2 });
let hub: HubServer;
let slowHub: HubServer;

test.beforeAll(async () => {
  hub = await startHubServer({ models: { [ID]: model, [LLAMA_ID]: llama }, gated: ['webtune-test/gated'] });
  // 1 KiB every 15 ms: the download lasts seconds, long enough to watch and to cancel.
  slowHub = await startHubServer({ models: { [ID]: model }, slowMs: 15 });
});
test.afterAll(async () => {
  await hub?.close();
  await slowHub?.close();
});

/** Console errors other than the browser's own "Failed to load resource" lines for expected 404s. */
const realErrors = (studio: StudioPage) => studio.errors.filter((e) => !/Failed to load resource/.test(e));

test('a Hub model loads through the form with progress and facts, then trains two LoRA steps', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 2, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.loadFromHub(slowHub.url, ID);
  await expect(studio.loadProgress()).toContainText(/KiB of \d+(\.\d)? KiB/);
  await expect(studio.modelFacts()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('model-name')).toHaveText(ID);
  await expect(page.getByTestId('model-arch')).toHaveText('gpt2');
  await expect(page.getByTestId('model-config-facts')).toContainText('layers 2');
  await expect(page.getByTestId('model-config-facts')).toContainText('context 64');
  await expect(page.getByTestId('model-config-facts')).toContainText('vocabulary 259');
  await expect(page.getByTestId('cache-entry')).toContainText(ID);
  expect(slowHub.requests.filter((r) => r.startsWith('GET'))).toContain(`GET /${ID}/resolve/main/model.safetensors`);

  // Loading it again reads the browser cache: the Hub server sees no request at all.
  const requests = slowHub.requests.length;
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('model-config-facts')).toContainText('from browser cache', { timeout: 120_000 });
  expect(slowHub.requests.length).toBe(requests);

  await studio.chooseMethod('lora');
  await studio.train(2);
  expect((await studio.chart()).points).toBe(2);
  expect(realErrors(studio)).toEqual([]);
});

test('a tiny Llama from the Hub trains LoRA on WebGPU and downloads a PEFT adapter with Llama keys', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 2, batch: 2, seqLen: 64 });
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.loadFromHub(hub.url, LLAMA_ID);
  await expect(page.getByTestId('model-arch')).toHaveText('llama', { timeout: 120_000 });
  await studio.chooseMethod('lora');
  // The GPT-2 default targets were swapped for this architecture's attention projections.
  for (const m of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) await expect(page.getByTestId(`target-${m}`)).toBeChecked();
  await expect(page.getByTestId('target-gate_proj')).not.toBeChecked();
  await expect(page.getByTestId('memory-plan')).toHaveAttribute('data-fits', 'true');
  await studio.train(2);
  const { files } = await studio.download();
  const folder = Object.keys(files).find((f) => f.endsWith('/adapter_config.json'))!.split('/')[0];
  const config = JSON.parse(strFromU8(files[`${folder}/adapter_config.json`]));
  expect(config).toMatchObject({ peft_type: 'LORA', r: 8, fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
  const shapes = new Map([...readSafetensors(files[`${folder}/adapter_model.safetensors`]).tensors].map(([k, t]) => [k, t.shape]));
  expect(shapes.size).toBe(2 * 4 * 2); // 2 layers x 4 modules x (A, B)
  for (let i = 0; i < 2; i++) {
    const p = `base_model.model.model.layers.${i}.self_attn`;
    expect(shapes.get(`${p}.q_proj.lora_A.weight`)).toEqual([8, 32]); // [r, in]
    expect(shapes.get(`${p}.q_proj.lora_B.weight`)).toEqual([32, 8]); // [out = 4 heads x 8, r]
    expect(shapes.get(`${p}.k_proj.lora_B.weight`)).toEqual([16, 8]); // GQA: 2 kv heads x 8
    expect(shapes.get(`${p}.v_proj.lora_B.weight`)).toEqual([16, 8]);
    expect(shapes.get(`${p}.o_proj.lora_A.weight`)).toEqual([8, 32]);
  }
  expect(realErrors(studio)).toEqual([]);
});

test('a download can be cancelled, and a missing or gated model says what to do', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ steps: 1, batch: 1, seqLen: 64 });
  await studio.loadFromHub(slowHub.url, ID);
  await expect(studio.loadProgress()).toContainText('KiB');
  await studio.cancelLoad();
  await expect(page.getByTestId('load-model')).toHaveText('Load model');
  await expect(studio.modelError()).toHaveCount(0);

  await studio.loadFromHub(hub.url, 'webtune-test/missing');
  await expect(studio.modelError()).toContainText('No model "webtune-test/missing"');
  await studio.loadFromHub(hub.url, 'webtune-test/gated');
  await expect(studio.modelError()).toContainText(/gated or private.*accept its licence/);
  await studio.loadFromHub('http://127.0.0.1:9', ID);
  await expect(studio.modelError()).toContainText(/offline.*Hub URL setting/);
});

test('a local model folder loads and trains, and a folder without weights names what is missing', async ({ page }, testInfo) => {
  const dir = testInfo.outputPath('tiny-local');
  const broken = testInfo.outputPath('no-weights');
  mkdirSync(dir, { recursive: true });
  mkdirSync(broken, { recursive: true });
  for (const [name, bytes] of model) writeFileSync(path.join(dir, name), bytes);
  writeFileSync(path.join(broken, 'config.json'), model.get('config.json')!);
  const studio = new StudioPage(page);
  await studio.open({ steps: 1, batch: 1, seqLen: 64 });
  await studio.pickFolder(broken);
  await expect(page.getByTestId('local-error')).toContainText('tokenizer.json, model.safetensors');
  await studio.pickFolder(dir);
  await expect(page.getByTestId('local-summary')).toContainText('tiny-local');
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('model-name')).toHaveText('tiny-local', { timeout: 120_000 });
  await expect(page.getByTestId('model-config-facts')).toContainText('from local files');
  // The Data step tokenizes with the picked folder's own tokenizer files, then a step trains.
  await studio.pickSample('tiny-stories.text.jsonl');
  await studio.chooseMethod('lora');
  await studio.train(1);
  expect((await studio.chart()).points).toBe(1);
  expect(realErrors(studio)).toEqual([]);
});
