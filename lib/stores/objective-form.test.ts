// The objectives' own fields in the form: defaults per choice, typed values reaching TrainConfig.objective, one
// message per invalid field naming it (reward rules by line, PPO's minibatches against the batch), the fields shown
// following DPO's loss, the memory plan following RL's k answers per prompt, and a picked reward-model folder
// (checked, sized, replacing the rules, counted by the plan).
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { formFromConfig, initialForm, readForm, type ConfigForm } from './config-form';
import { checkRewards, objectiveFormKey, readObjective, shownObjectiveFields } from './objective-form';
import type { ObjectiveChoice } from './objective-choice';
import { settingsFromSearchParams } from './studio-settings';
import { createStudioStore, selectMemoryPlan } from './studio-store';
import { FakeDataClient, FakeWorker, ManualScheduler, tick } from './test-helpers';
import { byteTokenizerJson, tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';
import { countParams } from '../engine/params';
import { rewardModelBundle } from '../export/reward-folder';
import type { RunSummary } from '../export/model-card';

function form(choice: ObjectiveChoice, set: Record<string, string | boolean> = {}): ConfigForm {
  const f = initialForm();
  const values = { ...f.objectiveValues };
  for (const [k, v] of Object.entries(set)) values[objectiveFormKey(choice, k)] = v;
  return { ...f, objective: choice, objectiveValues: values };
}

describe('objective fields in the form', () => {
  it('start from each choice\'s TRL defaults and carry typed values into the config', () => {
    expect(readForm(form('dpo')).config?.objective).toMatchObject({ lossType: 'sigmoid', beta: 0.1, labelSmoothing: 0 });
    expect(readForm(form('grpo')).config?.objective).toMatchObject({ beta: 0.04, numGenerations: 8, reward: ['exact'] });
    const dpo = readForm(form('dpo', { lossType: 'hinge', beta: '0.3', precomputeReference: true }));
    expect(dpo.config?.objective).toMatchObject({ kind: 'preference', lossType: 'hinge', beta: 0.3, precomputeReference: true });
    const kto = readForm(form('kto', { desirableWeight: '1.5', undesirableWeight: '0.5' })).config?.objective;
    expect(kto).toMatchObject({ lossType: 'kto', desirableWeight: 1.5, undesirableWeight: 0.5 });
    const ppo = readForm(form('ppo', { numPpoEpochs: '2', numMiniBatches: '2', reward: 'regex:^4\n0.5*length:8', whitenRewards: true })).config?.objective;
    expect(ppo).toMatchObject({ algorithm: 'ppo', numPpoEpochs: 2, numMiniBatches: 2, reward: ['regex:^4', '0.5*length:8'], whitenRewards: true });
  });

  it('round-trip through a saved config (a resumed run shows its own settings)', () => {
    const cfg = readForm(form('simpo', { beta: '2', simpoGamma: '1' })).config!;
    const back = formFromConfig(cfg);
    expect(back.objective).toBe('simpo');
    expect(readForm(back).config?.objective).toEqual(cfg.objective);
    expect(formFromConfig(defaultTrainConfig('lora')).objectiveValues[objectiveFormKey('rloo', 'beta')]).toBe('0.05');
  });

  it('name the field in every error', () => {
    const errs = (choice: ObjectiveChoice, set: Record<string, string>) => readForm(form(choice, set)).errors;
    expect(errs('dpo', { beta: '0' })).toEqual({ 'objective.beta': 'Beta (β) must be greater than 0.' });
    expect(errs('dpo', { labelSmoothing: '0.5' })).toEqual({ 'objective.labelSmoothing': 'Label smoothing must be below 0.5.' });
    expect(errs('simpo', { simpoGamma: 'x' })).toEqual({ 'objective.simpoGamma': 'Target margin (γ) must be a number.' });
    expect(errs('grpo', { numGenerations: '1' })).toEqual({ 'objective.numGenerations': 'Answers per prompt (k) must be at least 2.' });
    expect(errs('grpo', { maxNewTokens: '2.5' })).toEqual({ 'objective.maxNewTokens': 'Most new tokens must be a whole number.' });
    expect(errs('ppo', { numMiniBatches: '3' })['objective.numMiniBatches']).toMatch(/^Minibatches must divide the 8 answers of a step .*; 3 does not/); // default batch 8
    expect(errs('rloo', { reward: '' })['objective.reward']).toMatch(/^Reward rules: give at least one rule/);
    expect(readForm(form('dpo', { beta: '' })).config).toBeNull();
  });

  it('check reward rules line by line as the CLI does', () => {
    expect(checkRewards('Reward rules', 'exact\n\n  regex:/yes/i ')).toEqual({ value: ['exact', 'regex:/yes/i'] });
    expect(checkRewards('Reward rules', 'exact\nregex:(')).toEqual({ error: expect.stringMatching(/^Reward rules, line 2 \(regex:\(\): not a regular expression/) });
    expect(checkRewards('Reward rules', 'length:0')).toEqual({ error: 'Reward rules, line 1 (length:0): the target length must be a positive number, got "0"' });
    expect(checkRewards('Reward rules', 'bleu')).toEqual({ error: expect.stringMatching(/line 1 \(bleu\): unknown reward "bleu"/) });
  });

  it('show the fields of the chosen loss and algorithm only', () => {
    const keys = (choice: ObjectiveChoice, set: Record<string, string> = {}) => shownObjectiveFields(choice, form(choice, set).objectiveValues).map((f) => f.key);
    expect(keys('dpo')).toEqual(['lossType', 'beta', 'labelSmoothing', 'precomputeReference']);
    expect(keys('dpo', { lossType: 'hinge' })).toEqual(['lossType', 'beta', 'precomputeReference']);
    expect(keys('orpo')).toEqual(['beta']); // reference-free: nothing to precompute
    expect(keys('ppo')).toContain('numPpoEpochs');
    expect(keys('grpo')).not.toContain('numPpoEpochs');
    expect(keys('reward')).toEqual([]);
    expect(keys('sft')).toEqual([]);
    // Fields that do not apply are not read: an invalid label smoothing does not block a hinge run.
    expect(readObjective('dpo', form('dpo', { lossType: 'hinge', labelSmoothing: 'x' }).objectiveValues).errors).toEqual({});
  });
});

/** A studio store whose (fake) worker has loaded a GPT-2-124M-shaped model. */
function storeWithGpt2() {
  const workers: FakeWorker[] = [];
  const store = createStudioStore({
    settings: settingsFromSearchParams({}), createWorker: () => { const w = new FakeWorker(); workers.push(w); return w; },
    saveFile: () => {}, schedule: new ManualScheduler().schedule, dataClient: new FakeDataClient(), dataDebounceMs: 0,
  });
  const a = store.getState().actions;
  a.loadModel();
  const gpt2 = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };
  workers[0].emit({ type: 'ready', backend: 'webgpu', adapter: 'x', model: { name: 'gpt2', params: 124_439_808, config: gpt2 } });
  return { store, workers, a };
}

describe('the memory plan follows the objective fields', () => {
  it('counts k sampled answers per prompt as GRPO\'s k changes', () => {
    const { store, a } = storeWithGpt2();
    a.setCheckpointing('off');
    a.setObjective('grpo');
    const k8 = selectMemoryPlan(store.getState())!.activations;
    a.setObjectiveField(objectiveFormKey('grpo', 'numGenerations'), '2');
    const k2 = selectMemoryPlan(store.getState())!.activations;
    expect(k8).toBeGreaterThan(3 * k2);
    a.setObjectiveField(objectiveFormKey('grpo', 'numGenerations'), 'two');
    expect(store.getState().configErrors['objective.numGenerations']).toBe('Answers per prompt (k) must be a number.');
  });
});

describe('RL reward-model folder in the studio', () => {
  const rc = tinyConfig({ n_positions: 64 });
  const summary: RunSummary = { baseModel: 'tiny', method: 'full', hyperparameters: {}, date: '2026-12-01', steps: 1, firstLoss: 1, lastLoss: 1, trainExamples: 1, tokens: 0, backend: 'cpu', dataFile: 'x' };
  const tok = { 'tokenizer.json': new TextEncoder().encode(JSON.stringify(byteTokenizerJson())) };
  const score = { shape: [1, rc.n_embd], data: new Float32Array(rc.n_embd) };
  const asFiles = (files: Record<string, Uint8Array> | Map<string, Uint8Array>) => [...(files instanceof Map ? files : Object.entries(files))].map(([n, b]) => new File([b.slice()], n));

  it('is checked on the page, sized from its safetensors header, replaces the reward rules, and the plan counts its weights', async () => {
    const { store, a } = storeWithGpt2();
    a.setObjective('ppo');
    const before = selectMemoryPlan(store.getState())!.weights;
    // A plain causal-LM folder is refused, naming the field.
    await a.pickRewardModel(asFiles(tinyFolder(rc, tinyWeights(rc))));
    expect(store.getState().rewardModel.error).toMatch(/^Reward model folder: local model is not a reward model: its config.json names no architecture, not a \*ForSequenceClassification/);
    await a.pickRewardModel(asFiles({ 'config.json': new TextEncoder().encode('{}') }));
    expect(store.getState().rewardModel.error).toMatch(/^Reward model folder: .*tokenizer\.json/);
    const rm = rewardModelBundle('rm', rc, tinyWeights(rc), { 'score.weight': score }, tok, summary).files;
    await a.pickRewardModel(asFiles(rm));
    const picked = store.getState().rewardModel;
    expect(picked.error).toBeNull();
    expect(picked.params).toBe(countParams(rc) + rc.n_embd); // the backbone and score.weight [1, C]
    expect(store.getState().config?.objective).not.toHaveProperty('reward');
    a.setObjectiveField(objectiveFormKey('ppo', 'reward'), ''); // the rules field is not read while a reward model scores
    expect(store.getState().configErrors).toEqual({});
    expect(selectMemoryPlan(store.getState())!.weights).toBe(before + picked.params! * 4);
    a.clearRewardModel();
    expect(store.getState().configErrors['objective.reward']).toMatch(/^Reward rules: give at least one rule/);
    expect(selectMemoryPlan(store.getState())).toBeNull(); // no config while the rules are empty
  });

  it('goes to the worker with Start, its buffers transferred', async () => {
    const worker = new FakeWorker();
    const dataClient = new FakeDataClient();
    const encode = dataClient.encode.bind(dataClient);
    dataClient.encode = async (st) => ({ ...(await encode(st)), train: [{ prompt: [1, 2], answer: '4' }] });
    const store = createStudioStore({
      settings: settingsFromSearchParams({ test: '1', steps: '2' }), createWorker: () => worker, saveFile: () => {},
      schedule: new ManualScheduler().schedule, dataClient, dataDebounceMs: 0,
    });
    const a = () => store.getState().actions;
    await a().loadFile(new File([Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `${i}+${i}=`, completion: String(2 * i) })).join('\n')], 'sums.jsonl'));
    await tick();
    a().setObjective('grpo');
    await a().pickRewardModel(asFiles(rewardModelBundle('rm', rc, tinyWeights(rc), { 'score.weight': score }, tok, summary).files));
    a().start();
    await tick();
    worker.emit({ type: 'ready', backend: 'webgpu', adapter: 'x', model: { name: 'tiny-random', params: 1, config: { n_positions: 128 } } });
    for (let i = 0; i < 5 && !worker.posted.some((r) => r.type === 'start-examples'); i++) await tick();
    const at = worker.posted.findIndex((r) => r.type === 'start-examples');
    const start = worker.posted[at];
    if (start?.type !== 'start-examples') throw new Error('expected start-examples');
    expect(start.config.objective).toMatchObject({ kind: 'rl', algorithm: 'grpo' });
    expect(start.config.objective).not.toHaveProperty('reward');
    expect(Object.keys(start.rewardModel!.files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(worker.transfers[at]).toHaveLength(3);
  });
});
