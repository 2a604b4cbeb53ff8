// The memory plan in the store: shown for a loaded model, blocking Start when it does not fit, suggestions that
// change the settings, the budget kept as typed, and LoRA targets fitted to the loaded architecture.
import { describe, expect, it } from 'vitest';
import { settingsFromSearchParams } from './studio-settings';
import { FakeDataClient, FakeWorker, ManualScheduler, tick } from './test-helpers';
import { fitTargetsToModel, parseBudgetGiB } from './memory';
import { initialForm } from './config-form';
import { createStudioStore, selectMemoryPlan, selectStartBlocker } from './studio-store';

const GPT2_SMALL = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 };
const READY = {
  type: 'ready' as const, backend: 'webgpu', adapter: 'SwiftShader (software)',
  limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
  model: { name: 'gpt2', params: 124_439_808, config: GPT2_SMALL, loraTargets: { all: ['c_attn', 'c_proj', 'c_fc'], presets: { attention: ['c_attn'], 'all-linear': ['c_attn', 'c_proj', 'c_fc'] } } },
};

function setup(workers: FakeWorker[] = []) {
  const store = createStudioStore({
    settings: settingsFromSearchParams({}),
    createWorker: () => { const w = new FakeWorker(); workers.push(w); return w; },
    saveFile: () => {},
    schedule: new ManualScheduler().schedule,
    dataClient: new FakeDataClient(),
    dataDebounceMs: 0,
  });
  store.getState().actions.loadModel();
  workers[0].emit(READY);
  return store;
}

describe('memory plan in the store', () => {
  it('is null before a model is loaded, then counts the loaded model', () => {
    const store = setup();
    const plan = selectMemoryPlan(store.getState())!;
    expect(plan).not.toBeNull();
    expect(plan.weights).toBeGreaterThan(124_439_808 * 4); // base weights plus the adapter
    expect(plan.bindingText).toBe('1.00 GiB');
    expect(selectMemoryPlan(store.getState())).toBe(plan); // stable for React selectors
  });

  it("shows the chosen method's trainable parameters for the loaded model (GPT-2 small)", () => {
    const store = setup();
    store.getState().actions.setMethod('ia3');
    const ia3 = selectMemoryPlan(store.getState())!;
    expect(ia3.trainableParams).toBe(12 * (3 * 768 + 3072)); // c_attn's outputs and mlp.c_proj's inputs per block
    expect(ia3.trainableText).toBe('64.5K trainable parameters (IA3)');
    store.getState().actions.setMethod('freeze');
    expect(selectMemoryPlan(store.getState())!.trainableParams).toBe(2 * 7_087_872); // the last two blocks of GPT-2 small
  });

  it('blocks Start when the budget is too small, and a suggestion makes it fit', async () => {
    const store = setup();
    const a = store.getState().actions;
    const jsonl = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i}?`, completion: ` A${i}.` })).join('\n');
    await a.loadFile(new File([jsonl], 'qa.jsonl'));
    await tick(); // the data worker's report
    a.setMemoryBudget('64');
    await tick();
    expect(selectStartBlocker(store.getState())).toBeNull();
    a.setMethod('full');
    a.setField('batchSize', '8');
    a.setField('seqLen', '512');
    await tick();
    const needed = selectMemoryPlan(store.getState())!.total;
    expect(selectMemoryPlan(store.getState())!.checkpointing).toBe(false); // auto: it fits without
    a.setMemoryBudget(String((needed * 0.5) / 1024 ** 3));
    // Auto turns checkpointing on when only that makes it fit.
    expect(selectMemoryPlan(store.getState())).toMatchObject({ fits: true, checkpointing: true, checkpointingAuto: true });
    a.setCheckpointing('off');
    const plan = selectMemoryPlan(store.getState())!;
    expect(plan.fits).toBe(false);
    expect(plan.suggestions[0].label).toBe('gradient checkpointing');
    expect(selectStartBlocker(store.getState())).toMatch(/does not fit in memory/);
    expect(plan.suggestions.length).toBeGreaterThan(0);
    a.applyMemorySuggestion(0);
    expect(store.getState().form.checkpointing).toBe('on');
    expect(selectMemoryPlan(store.getState())).toMatchObject({ fits: true, checkpointing: true, checkpointingAuto: false });
    a.setCheckpointing('off');
    a.applyMemorySuggestion(1); // a smaller batch
    expect(selectMemoryPlan(store.getState())!.fits).toBe(true);
    await tick(); // the data worker re-encodes for the new sequence length
    expect(selectStartBlocker(store.getState())).toBeNull();
  });

  it('suggests packed base weights for LoRA when float32 does not fit; applying it reloads the model with them', () => {
    const workers: FakeWorker[] = [];
    const store = setup(workers);
    const a = store.getState().actions;
    const f32 = selectMemoryPlan(store.getState())!;
    // 100 MiB under the float32 plan: float16 halves GPT-2 small's 84.9M block-linear weights (saves 162 MiB).
    a.setMemoryBudget(String((f32.total - 100 * 2 ** 20) / 1024 ** 3));
    a.setCheckpointing('on'); // so checkpointing and smaller batches are not what makes it fit first
    const plan = selectMemoryPlan(store.getState())!;
    const i = plan.suggestions.findIndex((s) => s.change.weightFormat);
    expect(plan.suggestions[i]).toMatchObject({ label: 'base weights as float16 (reloads the model)', change: { weightFormat: 'f16' } });
    a.applyMemorySuggestion(i);
    expect(store.getState().baseWeights).toBe('f16');
    expect(workers.at(-1)!.posted.at(-1)).toMatchObject({ type: 'load', baseWeights: 'f16' });
    workers.at(-1)!.emit({ ...READY, model: { ...READY.model, baseWeights: 'f16' } });
    const after = selectMemoryPlan(store.getState())!;
    expect(after.weights).toBeLessThan(f32.weights);
    expect(after.suggestions.some((s) => s.change.weightFormat)).toBe(false);
    // DoRA reads the base weights itself: no such suggestion for it.
    a.setBaseWeights('f32');
    a.setMethod('dora');
    expect(selectMemoryPlan(store.getState())!.suggestions.some((s) => s.change.weightFormat)).toBe(false);
  });

  it('reads the budget field as GiB and refuses nonsense', () => {
    expect(parseBudgetGiB('2')).toBe(2 * 1024 ** 3);
    expect(parseBudgetGiB(' 0.5 ')).toBe(1024 ** 3 / 2);
    expect(parseBudgetGiB('0')).toBeNull();
    expect(parseBudgetGiB('lots')).toBeNull();
  });
});

describe('LoRA targets follow the loaded architecture', () => {
  const llama = { name: 'smol', params: 1, config: { model_type: 'llama' }, loraTargets: { all: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], presets: { attention: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], 'all-linear': [] } } };
  it("replaces GPT-2's module names with the model's attention projections", () => {
    const form = { ...initialForm(), lists: { loraTargetModules: ['c_attn', 'c_proj'] } };
    expect(fitTargetsToModel(form, llama).lists.loraTargetModules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
  });
  it('keeps a choice that the model has', () => {
    const form = { ...initialForm(), lists: { loraTargetModules: ['v_proj'] } };
    expect(fitTargetsToModel(form, llama)).toBe(form);
  });
  it("fits every method's lists by that field's own choices: IA3's GPT-2 defaults become PEFT's Llama defaults", () => {
    const form = { ...initialForm(), lists: { ia3TargetModules: ['c_attn', 'mlp.c_proj'], ia3FeedforwardModules: ['mlp.c_proj'], loraTargetModules: ['v_proj'] } };
    const fitted = fitTargetsToModel(form, llama).lists;
    expect(fitted.ia3TargetModules).toEqual(['k_proj', 'v_proj', 'down_proj']);
    expect(fitted.ia3FeedforwardModules).toEqual(['down_proj']);
    expect(fitted.loraTargetModules).toEqual(['v_proj']);
    const gpt2 = { name: 'gpt2', params: 1, config: { model_type: 'gpt2' } };
    expect(fitTargetsToModel(form, gpt2).lists.ia3TargetModules).toEqual(['c_attn', 'mlp.c_proj']);
  });
});
