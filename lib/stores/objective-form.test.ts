// The objectives' own fields in the form: defaults per choice, typed values reaching TrainConfig.objective, one
// message per invalid field naming it (reward rules by line, PPO's minibatches against the batch), the fields shown
// following DPO's loss, and the memory plan following RL's k answers per prompt.
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { formFromConfig, initialForm, readForm, type ConfigForm } from './config-form';
import { checkRewards, objectiveFormKey, readObjective, shownObjectiveFields } from './objective-form';
import type { ObjectiveChoice } from './objective-choice';
import { settingsFromSearchParams } from './studio-settings';
import { createStudioStore, selectMemoryPlan } from './studio-store';
import { FakeDataClient, FakeWorker, ManualScheduler } from './test-helpers';

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

describe('the memory plan follows the objective fields', () => {
  it('counts k sampled answers per prompt as GRPO\'s k changes', () => {
    const workers: FakeWorker[] = [];
    const store = createStudioStore({
      settings: settingsFromSearchParams({}), createWorker: () => { const w = new FakeWorker(); workers.push(w); return w; },
      saveFile: () => {}, schedule: new ManualScheduler().schedule, dataClient: new FakeDataClient(), dataDebounceMs: 0,
    });
    const a = store.getState().actions;
    a.loadModel();
    const gpt2 = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };
    workers[0].emit({ type: 'ready', backend: 'webgpu', adapter: 'x', model: { name: 'gpt2', params: 124_439_808, config: gpt2 } });
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
