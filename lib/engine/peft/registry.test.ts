// The method registry, table-driven over every method and both families: schema defaults parse, the planner's
// parameter count equals what create() makes, tensors are freed, and adapter files round-trip to identical logits.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../defaults';
import { disposeWeights, forward, initWeights } from '../model';
import { parseModelConfig } from '../model-config';
import { loraTargetPresets } from '../params';
import { mulberry32, normalArray } from '../random';
import { tinyRawConfig } from '../test-checkpoints';
import { randomExamples, relErr, tinyConfig, useCpu, values } from '../test-utils';
import { Trainer } from '../trainer';
import { isGpt2, type LlamaConfig, type ModelConfig, type TrainConfig } from '../types';
import { fieldDefaults } from './fields';
import { methodForPeftType, peftMethod } from './methods';
import { METHOD_IDS, METHOD_SPECS, methodSpec } from './registry';
import { methodConfigSlot } from './spec';
import type { TrainableState } from './types';

beforeAll(useCpu);

const gpt2 = tinyConfig({ n_embd: 16, n_head: 2, vocab_size: 24, n_positions: 32, n_layer: 3 }); // room for 16 virtual tokens or prefix slots
const llama = parseModelConfig(tinyRawConfig('llama', { vocab_size: 40, bos_token_id: 0, eos_token_id: 0, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 3 })) as LlamaConfig;
const FAMILIES: [string, ModelConfig][] = [['gpt2', gpt2], ['llama (GQA)', llama]];
const ids = () => tf.tensor2d([[1, 5, 3, 19, 0, 7], [2, 2, 2, 11, 4, 6]], [2, 6], 'int32');

/** Training settings per method for a model: the method's defaults with module lists the model lacks replaced by
 * its first preset (as the CLI and the studio do), LoRA on every linear of two blocks. */
function trainFor(id: string, model: ModelConfig, lora: Partial<TrainConfig['lora']> = {}): TrainConfig {
  const spec = methodSpec(id);
  const base = defaultTrainConfig(spec.id);
  const own = { ...(spec.configOf(base) as Record<string, unknown>) };
  for (const [k, f] of Object.entries(spec.fields)) {
    if (f.kind !== 'modules' || !f.choices) continue;
    const { all, presets } = f.choices(model);
    if (!(own[k] as string[]).every((m) => all.includes(m))) own[k] = presets[0].modules;
  }
  const fitted = spec.withConfig(base, own);
  return { ...fitted, lora: { ...fitted.lora, dropout: 0, targetModules: loraTargetPresets(model).presets['all-linear'], ...lora } };
}

/** Weights of either family with entries of a useful size: N(0, 0.3), norms' gains 1 + N(0, 0.3). */
function noisyWeights(model: ModelConfig, seed: number) {
  const rng = mulberry32(seed);
  const w = initWeights(model, seed);
  for (const [k, t] of w) {
    const gain = /(ln_|norm)[^.]*\.weight$/.test(k) ? 1 : 0;
    w.set(k, tf.tensor(normalArray(t.size, 0.3, rng).map((x) => gain + x), t.shape));
    t.dispose();
  }
  return w;
}

/** Every trainable value random, so an adapter that starts as a no-op changes the logits. */
function randomize(state: TrainableState, seed: number): void {
  const rng = mulberry32(seed);
  for (const v of state.variables) v.assign(tf.tensor(normalArray(v.size, 0.2, rng), v.shape));
}

describe('method specs', () => {
  it.each(METHOD_SPECS.map((s) => [s.id, s] as const))('%s: schema defaults parse and pass the strict schema; defaults sit inside their bounds', (_, spec) => {
    const parsed = spec.schema.parse({});
    expect(parsed).toEqual(fieldDefaults(spec.fields));
    expect(spec.strictSchema.safeParse(parsed).success).toBe(true);
    for (const f of Object.values(spec.fields)) {
      expect(f.help.length).toBeGreaterThan(10);
      if (f.kind === 'number') expect(f.default >= f.min && f.default <= f.max).toBe(true);
    }
    expect(spec.help).toMatch(/\S/);
    expect(spec.optimizer.lr).toBeGreaterThan(0);
  });

  it('strict schemas reject what the fields forbid; unknown ids are refused by name', () => {
    const lora = methodSpec('lora');
    expect(lora.strictSchema.safeParse({ ...(lora.schema.parse({}) as object), r: 0 }).success).toBe(false);
    expect(lora.strictSchema.safeParse({ ...(lora.schema.parse({}) as object), targetModules: [] }).success).toBe(false);
    expect(lora.strictSchema.safeParse({ r: 8 }).success).toBe(false);
    expect(() => methodSpec('dpo')).toThrow(/Unknown method "dpo".*lora, .*full/);
    expect(() => peftMethod('dpo')).toThrow(/Unknown method/);
    expect(() => methodForPeftType('LOHA')).toThrow(/LOHA" are not supported.*LORA/);
  });
});

describe('methodConfigSlot', () => {
  it("keeps a new method's settings in TrainConfig.methodConfig[id], defaults filled, other methods' kept", () => {
    const slot = methodConfigSlot<{ n: number }>('demo', { n: { kind: 'number', label: 'N', help: 'A demo setting.', default: 3, integer: true, min: 1, max: 9 } });
    const base = { ...defaultTrainConfig('full'), methodConfig: { other: { k: 1 } } };
    expect(slot.configOf(base)).toEqual({ n: 3 });
    const stored = slot.store(base, { n: 5 });
    expect(stored.methodConfig).toEqual({ other: { k: 1 }, demo: { n: 5 } });
    expect(slot.configOf(stored)).toEqual({ n: 5 });
    expect(() => slot.configOf({ ...base, methodConfig: { demo: { n: 0 } } })).toThrow();
  });
});

describe.each(FAMILIES)('every method on %s', (_, model) => {
  const cases: [string, Partial<TrainConfig['lora']>][] = [
    ...METHOD_IDS.map((id) => [id, {}] as [string, Partial<TrainConfig['lora']>]),
    ['lora', { r: 3, layersToTransform: [0, 2] }], ['lora', { targetModules: loraTargetPresets(model).presets.attention, useRslora: true }],
    ['dora', { r: 3, layersToTransform: [0, 2] }],
  ];
  it.each(cases)('%s %j: the planner count equals the created variables; dispose frees them', (id, lora) => {
    const weights = initWeights(model, 1);
    const before = tf.memory().numTensors;
    const train = trainFor(id, model, lora);
    const state = peftMethod(id).create(model, weights, train, 7);
    expect(state.variables.reduce((n, v) => n + v.size, 0)).toBe(methodSpec(id).trainableParams(model, train));
    state.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeWeights(weights);
  });

  // Methods that add virtual tokens every position attends to (prompt and prefix tuning) change the logits of a
  // fresh state by design (as in PEFT); their own tests pin what those tokens do (sequence.test.ts,
  // prompt-learning.test.ts). The spec says which they are.
  const addsTokens = (id: string) => {
    const shape = methodSpec(id).planShape(model, trainFor(id, model));
    return (shape.virtualInputs ?? 0) + (shape.virtualKeys ?? 0) > 0;
  };
  const startsAtBase = METHOD_IDS.filter((id) => !addsTokens(id));
  it('prompt and prefix tuning are the methods that add virtual tokens', () => expect(METHOD_IDS.filter(addsTokens)).toEqual(['prefix', 'prompt']));
  it.each(startsAtBase)('%s: a new state gives exactly the base logits, in training mode with dropout too', (id) => {
    const weights = initWeights(model, 3);
    const train = trainFor(id, model);
    const state = peftMethod(id).create(model, weights, { ...train, lora: { ...train.lora, dropout: 0.3 } }, 7);
    const base = values(tf.tidy(() => forward(model, weights, ids())));
    expect(values(tf.tidy(() => forward(model, state.weights, ids(), { adapter: state.adapter })))).toEqual(base);
    expect(values(tf.tidy(() => forward(model, state.weights, ids(), { adapter: state.adapter, training: true, seed: 3 })))).toEqual(base);
    state.dispose();
    disposeWeights(weights);
  });

  it.each(METHOD_IDS)('%s: the trainer lowers the loss on a fixture; the base weights stay as loaded', async (id) => {
    const weights = noisyWeights(model, 3); // GPT-2's 0.02 init leaves a scaling method (IA3) almost nothing to scale
    const key = isGpt2(model) ? 'h.2.mlp.c_proj.weight' : 'model.layers.2.mlp.down_proj.weight';
    const before = values(weights.get(key)!).slice();
    const data = randomExamples(4, 6, model.vocab_size, 5);
    const cfg = { ...trainFor(id, model), steps: 20, batchSize: 4, seqLen: 6, warmupSteps: 0, schedule: 'constant' as const, evalEvery: 0, clipNorm: 0 };
    const trainer = new Trainer({ config: model, weights }, data, [], { ...cfg, lr: 5 * cfg.lr });
    const result = await trainer.run();
    expect(result.lastLoss).toBeLessThan(0.8 * result.firstLoss); // every method reaches below 0.7 here
    expect(values(weights.get(key)!)).toEqual(before);
    trainer.dispose();
    disposeWeights(weights);
  });

  it('LoRA layers_to_transform adapts only those blocks and is saved in adapter_config.json', async () => {
    const weights = initWeights(model, 1);
    const state = peftMethod('lora').create(model, weights, trainFor('lora', model, { layersToTransform: [1] }), 7);
    const files = await state.save!('tiny');
    expect(files.config.layers_to_transform).toEqual([1]);
    const layers = new Set(Object.keys(files.tensors).map((k) => /(?:h|layers)\.(\d+)\./.exec(k)![1]));
    expect([...layers]).toEqual(['1']);
    state.dispose();
    disposeWeights(weights);
  });

  it.each(METHOD_IDS.filter((id) => methodSpec(id).exports === 'adapter'))('%s: save then load gives identical logits and the same config', async (id) => {
    const weights = initWeights(model, 3);
    const train = trainFor(id, model, { layersToTransform: [0, 1] });
    const state = peftMethod(id).create(model, weights, train, 7);
    randomize(state, 11);
    const base = values(tf.tidy(() => forward(model, weights, ids())));
    const tuned = values(tf.tidy(() => forward(model, state.weights, ids(), { adapter: state.adapter })));
    expect(tuned).not.toEqual(base);
    const files = await state.save!('tiny');
    const method = methodForPeftType(files.config.peft_type, files.config);
    expect(method.id).toBe(id);
    const loaded = method.load!(files, model, weights);
    expect(values(tf.tidy(() => forward(model, loaded.weights, ids(), { adapter: loaded.adapter })))).toEqual(tuned);
    expect((await loaded.save!('tiny')).config).toEqual(files.config);
    [state, loaded].forEach((s) => s.dispose());
    disposeWeights(weights);
  });

  it.each(METHOD_IDS.filter((id) => methodSpec(id).exports === 'adapter'))('%s: merge folds the adapter into the weights, unmerge restores them (or the method has no merge at all)', async (id) => {
    const weights = initWeights(model, 3);
    const state = peftMethod(id).create(model, weights, trainFor(id, model), 7);
    if (!state.merge) {
      // Prompt, prefix and bottleneck adapters change attention or add layers: nothing folds into the weights.
      expect([state.unmerge, state.snapshotMerge]).toEqual([undefined, undefined]);
      state.dispose();
      disposeWeights(weights);
      return;
    }
    randomize(state, 12);
    const base = values(tf.tidy(() => forward(model, weights, ids())));
    const tuned = values(tf.tidy(() => forward(model, weights, ids(), { adapter: state.adapter })));
    // The export's merged view (a model folder of an adapter run) reads as the adapter does.
    const snap = state.snapshotMerge!();
    const viewed = new Map([...weights].map(([k, W]) => [k, snap.merged(k, W) ?? W]));
    expect(relErr(values(tf.tidy(() => forward(model, viewed, ids()))), tuned)).toBeLessThan(1e-5);
    for (const [k, t] of viewed) if (t !== weights.get(k)) t.dispose();
    snap.dispose();
    await state.merge!(weights);
    expect(relErr(values(tf.tidy(() => forward(model, weights, ids()))), tuned)).toBeLessThan(1e-5);
    state.unmerge!(weights);
    expect(relErr(values(tf.tidy(() => forward(model, weights, ids()))), base)).toBeLessThan(1e-5);
    state.dispose();
    disposeWeights(weights);
  });
});
