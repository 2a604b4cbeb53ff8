// The memory planner: exact byte counts worked by hand, limits and suggestions, and the activation estimate
// against a measured training step (tf.profile on the cpu backend) on shapes the calibration did not use.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from './loader';
import { disposeWeights, initWeights } from './model';
import { DEFAULT_LORA } from './peft/lora';
import { activationBytes, autoCheckpointing, baseWeightBytes, planMemory, planModelFor, type PlanModel } from './memory-plan';
import { measureStepPeak, measureTrainerPeak } from './memory-measure';
import { countLoraParams, countParams, loraTargetPresets } from './params';
import { tinyTrainConfig, useCpu } from './test-utils';
import { METHOD_IDS, methodSpec } from './peft/registry';
import { planRequestFor } from './run-plan';
import { defaultPreferenceConfig } from './objectives/config';
import { fitModulesToModel } from '../cli/method-args';
import type { Gpt2Config } from './types';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function gpt2Model(c: Gpt2Config): PlanModel {
  const C = c.n_embd;
  return {
    family: 'gpt2', layers: c.n_layer, hidden: C, heads: c.n_head, kvHeads: c.n_head, headDim: C / c.n_head,
    intermediate: 4 * C, vocab: c.vocab_size, params: countParams(c), largestParam: { name: 'wte.weight', elements: c.vocab_size * C },
  };
}

const gpt2Small = gpt2Model({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5 });

describe('planMemory: counts', () => {
  it('full fine-tuning: the loaded base and the trained copy, gradients and two AdamW moments, 4 bytes per parameter each', () => {
    const p = planMemory(gpt2Small, { method: 'full', trainableParams: gpt2Small.params, batchSize: 1, seqLen: 16 }, { budgetBytes: 64 * GiB });
    expect(gpt2Small.params).toBe(124_439_808);
    expect(p.weights).toBe(2 * 124_439_808 * 4);
    expect(p.gradients).toBe(124_439_808 * 4);
    expect(p.optimizer).toBe(124_439_808 * 8);
    expect(p.total).toBe(p.weights + p.gradients + p.optimizer + p.activations);
  });

  it('LoRA: frozen weights plus the adapter, gradients and moments for the adapter only', () => {
    const lora = 294_912; // r=8 on c_attn in 12 layers: 12 * 8 * (768 + 2304)
    const p = planMemory(gpt2Small, { method: 'lora', trainableParams: lora, batchSize: 1, seqLen: 16 }, { budgetBytes: 64 * GiB });
    expect(p.weights).toBe((124_439_808 + lora) * 4);
    expect(p.gradients).toBe(lora * 4);
    expect(p.optimizer).toBe(lora * 8);
  });

  it('packed frozen weights: f16 halves and int8 quarters the linear layers (plus a float scale per row)', () => {
    const c = parseModelConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 });
    const m = planModelFor(c);
    expect(m.linearParams).toBe(12 * (768 * 2304 + 768 * 768 + 768 * 3072 + 3072 * 768)); // c_attn, attn.c_proj, c_fc, mlp.c_proj
    expect(m.linearRows).toBe(12 * (2304 + 768 + 3072 + 768));
    expect(baseWeightBytes(m, 'f32')).toBe(m.params * 4);
    expect(baseWeightBytes(m, 'f16')).toBe(m.params * 4 - m.linearParams! * 2);
    expect(baseWeightBytes(m, 'int8')).toBe(m.params * 4 - m.linearParams! * 3 + m.linearRows! * 4);
  });

  it('checkpointing keeps one float per layer, token and unit of width plus one block: far less than without', () => {
    const plain = activationBytes(gpt2Small, 'lora', 4, 256, false);
    const ck = activationBytes(gpt2Small, 'lora', 4, 256, true);
    expect(ck).toBeLessThan(plain / 5);
    // 12 saved block inputs [1024, 768] are part of it.
    expect(ck).toBeGreaterThan(12 * 1024 * 768 * 4);
  });

  it('autoCheckpointing: off when the plain plan fits, on when only checkpointing makes it fit', () => {
    const req = { method: 'lora' as const, trainableParams: 294_912, batchSize: 4, seqLen: 256 };
    const plain = planMemory(gpt2Small, req, { budgetBytes: 64 * GiB }).total;
    expect(autoCheckpointing(gpt2Small, req, { budgetBytes: plain * 1.01 })).toBe(false);
    expect(autoCheckpointing(gpt2Small, req, { budgetBytes: plain * 0.5 })).toBe(true);
  });

  it('activations grow about linearly in batch size (attention quadratically in length)', () => {
    const a1 = activationBytes(gpt2Small, 'lora', 1, 128);
    // Not exactly: the loss's chunk and kept softmax do not grow with the batch once it is chunked.
    expect(activationBytes(gpt2Small, 'lora', 4, 128) / (4 * a1)).toBeGreaterThan(0.95);
    expect(activationBytes(gpt2Small, 'lora', 4, 128) / (4 * a1)).toBeLessThanOrEqual(1);
    expect(activationBytes(gpt2Small, 'lora', 1, 256)).toBeGreaterThan(2 * a1);
  });
});

describe('planMemory: limits', () => {
  it("flags GPT-2's embedding against WebGPU's default 128 MiB binding, and passes where the adapter allows 1 GiB", () => {
    const req = { method: 'lora' as const, trainableParams: 294_912, batchSize: 1, seqLen: 16 };
    const small = planMemory(gpt2Small, req, { budgetBytes: 64 * GiB, maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB });
    expect(small.fits).toBe(false);
    expect(small.largestTensor).toEqual({ name: 'wte.weight', bytes: 50257 * 768 * 4 });
    expect(small.problems.join(' ')).toMatch(/wte\.weight takes 147\.2 MiB, more than this GPU binds at once \(128\.0 MiB\)/);
    const big = planMemory(gpt2Small, req, { budgetBytes: 64 * GiB, maxStorageBufferBindingSize: GiB, maxBufferSize: GiB });
    expect(big.fits).toBe(true);
    expect(big.problems).toEqual([]);
  });

  const allFit = (req: Parameters<typeof planMemory>[1], limits: Parameters<typeof planMemory>[2], lora: number) => {
    for (const s of planMemory(gpt2Small, req, limits, lora).suggestions) {
      const again = planMemory(gpt2Small, { ...req, ...s.change, ...(s.change.method === 'lora' ? { trainableParams: lora } : {}) }, limits);
      expect(again.fits, s.label).toBe(true);
      expect(again.total).toBe(s.total);
    }
  };

  it('over budget with long batches: says by how much and suggests a smaller batch and a shorter sequence that fit', () => {
    const req = { method: 'lora' as const, trainableParams: 294_912, batchSize: 8, seqLen: 512 };
    const limits = { budgetBytes: planMemory(gpt2Small, req, { budgetBytes: 0 }).total * 0.6 };
    const p = planMemory(gpt2Small, req, limits);
    expect(p.fits).toBe(false);
    expect(p.problems[0]).toMatch(/^Needs about [\d.]+ GiB, more than the [\d.]+ GiB budget\.$/);
    expect(p.suggestions.map((s) => s.label)).toEqual(['gradient checkpointing', 'batch 4', 'sequence 256']);
    allFit(req, limits, 294_912);
  });

  it('full fine-tuning whose optimizer state does not fit: suggests LoRA', () => {
    const req = { method: 'full' as const, trainableParams: gpt2Small.params, batchSize: 1, seqLen: 64 };
    const limits = { budgetBytes: planMemory(gpt2Small, req, { budgetBytes: 0 }).total * 0.6 };
    const p = planMemory(gpt2Small, req, limits, 294_912);
    expect(p.fits).toBe(false);
    expect(p.suggestions.map((s) => s.label)).toEqual(['LoRA instead of full']);
    allFit(req, limits, 294_912);
  });

  it('nothing fits: no suggestions, the problem still said', () => {
    const p = planMemory(gpt2Small, { method: 'lora', trainableParams: 1, batchSize: 1, seqLen: 16 }, { budgetBytes: MiB });
    expect(p.fits).toBe(false);
    expect(p.suggestions).toEqual([]);
  });
});

describe('planMemory: fused attention (webgpu)', () => {
  const gpt2 = parseModelConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 });
  const train = tinyTrainConfig({ batchSize: 4, seqLen: 1024 });

  it('is planned for webgpu runs without attention dropout, and keeps no [B, H, T, T] scores', () => {
    expect(planRequestFor(gpt2, train, 'f32', 'webgpu').fusedAttention).toBe(true);
    expect(planRequestFor(gpt2, train, 'f32', 'wasm').fusedAttention).toBeUndefined();
    expect(planRequestFor(gpt2, { ...train, dropout: 0.1 }, 'f32', 'webgpu').fusedAttention).toBeUndefined();
    const m = planModelFor(gpt2);
    const plain = activationBytes(m, 'lora', 4, 1024);
    const fused = activationBytes(m, 'lora', 4, 1024, false, undefined, true);
    // The scores term by hand: 6.457 floats x 12 layers x [4, 12, 1024, 1024], against one log-sum-exp per row.
    const scores = 6.457 * 12 * 4 * 12 * 1024 * 1024 * 4;
    expect(plain - fused).toBeCloseTo(scores - 6.457 * 12 * 4 * 12 * 1024 * 4, -3);
    const p = planMemory(m, { ...planRequestFor(gpt2, train, 'f32', 'webgpu'), checkpointing: false }, { budgetBytes: Infinity });
    expect(p.largestTensor.name).not.toMatch(/attention scores/);
  });
});

describe('activation estimate against a measured training step (cpu backend)', () => {
  beforeAll(useCpu);
  // None of these shapes were among the eight the coefficients were fitted on.
  const raw = {
    gpt2: (C: number, L: number, H: number, V: number) => ({ model_type: 'gpt2', vocab_size: V, n_positions: 128, n_embd: C, n_layer: L, n_head: H }),
    llama: (C: number, L: number, H: number, V: number) => ({
      model_type: 'qwen2', vocab_size: V, hidden_size: C, intermediate_size: 3 * C, num_hidden_layers: L, num_attention_heads: H,
      num_key_value_heads: H / 2, max_position_embeddings: 128, tie_word_embeddings: true }),
  };
  const shapes: ['gpt2' | 'llama', number, number, number, number, number, number][] = [
    ['gpt2', 80, 3, 4, 700, 2, 40], ['gpt2', 40, 2, 5, 1500, 3, 24], ['gpt2', 112, 2, 7, 400, 1, 96],
    ['llama', 72, 3, 6, 900, 2, 40], ['llama', 48, 2, 4, 1500, 3, 24], ['llama', 112, 2, 8, 400, 1, 96],
  ];
  for (const [family, C, L, H, V, B, T] of shapes) {
    for (const method of ['lora', 'full'] as const) {
      for (const checkpointing of [false, true]) {
        it(`${family} C=${C} L=${L} H=${H} V=${V} batch ${B}x${T}, ${method}${checkpointing ? ', checkpointed' : ''}: within 15%`, async () => {
          const c = parseModelConfig(raw[family](C, L, H, V));
          const w = initWeights(c, 3);
          const lora = { ...DEFAULT_LORA, targetModules: loraTargetPresets(c).presets.attention };
          const m = await measureStepPeak(c, w, method, B, T, lora, { checkpointing });
          disposeWeights(w);
          const est = activationBytes(planModelFor(c), method, B, T, checkpointing) + m.trainableParams * 4;
          expect(est / m.peakBytes).toBeGreaterThan(0.85);
          expect(est / m.peakBytes).toBeLessThan(1.15);
          expect(tf.memory().numTensors).toBeLessThan(10);
        });
      }
    }
  }
});

describe('the whole plan against a measured trainer step (cpu backend, shapes the fit did not see)', () => {
  beforeAll(useCpu);
  const cases: [string, Record<string, unknown>, 'lora' | 'full', number, number, boolean][] = [
    ['gpt2', { model_type: 'gpt2', vocab_size: 900, n_positions: 128, n_embd: 80, n_layer: 3, n_head: 4 }, 'lora', 2, 64, true],
    ['gpt2', { model_type: 'gpt2', vocab_size: 900, n_positions: 128, n_embd: 80, n_layer: 3, n_head: 4 }, 'full', 2, 64, false],
    ['qwen2', { model_type: 'qwen2', vocab_size: 1200, hidden_size: 64, intermediate_size: 176, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: true }, 'lora', 3, 32, false],
    ['qwen2', { model_type: 'qwen2', vocab_size: 1200, hidden_size: 64, intermediate_size: 176, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: true }, 'full', 3, 32, true],
  ];
  for (const [name, rawConfig, method, B, T, checkpointing] of cases) {
    it(`${name} ${method} batch ${B}x${T}${checkpointing ? ', checkpointed' : ''}: base weights + measured step within 15% of the plan`, async () => {
      const c = parseModelConfig(rawConfig);
      const w = initWeights(c, 3);
      const lora = { ...DEFAULT_LORA, dropout: 0, targetModules: loraTargetPresets(c).presets.attention };
      const cfg = tinyTrainConfig({ method, batchSize: B, seqLen: T, checkpointing, lora, weightDecay: method === 'full' ? 0.01 : 0 });
      const measured = countParams(c) * 4 + (await measureTrainerPeak(c, w, cfg, 2));
      disposeWeights(w);
      const trainable = method === 'lora' ? countLoraParams(c, lora) : countParams(c);
      const plan = planMemory(planModelFor(c), { method, trainableParams: trainable, batchSize: B, seqLen: T, checkpointing }, { budgetBytes: GiB });
      expect(plan.total / measured).toBeGreaterThan(0.85);
      expect(plan.total / measured).toBeLessThan(1.15);
    });
  }
});

describe("every method's whole plan against a measured trainer step (cpu backend, shapes the fit did not see)", () => {
  beforeAll(useCpu);
  // The adapter coefficients (ADAPTER_FLOATS) were fitted on other shapes (C=80/64, 3 layers); these differ in
  // width, depth, heads, vocabulary and batch. Adapters on every linear layer, so their own cost weighs most.
  const models: [string, Record<string, unknown>, number, number][] = [
    ['gpt2', { model_type: 'gpt2', vocab_size: 700, n_positions: 128, n_embd: 96, n_layer: 2, n_head: 6 }, 3, 40],
    ['qwen2', { model_type: 'qwen2', vocab_size: 1000, hidden_size: 80, intermediate_size: 208, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: true }, 2, 48],
  ];
  for (const [name, rawConfig, B, T] of models) {
    // LoRA and full fine-tuning are checked above; every other method here.
    for (const method of METHOD_IDS.filter((id) => id !== 'lora' && id !== 'full')) {
      const checkpointing = method === 'dora' || method === 'prompt';
      it(`${name} ${method} batch ${B}x${T}${checkpointing ? ', checkpointed' : ''}: within 15% of the plan`, async () => {
        const c = parseModelConfig(rawConfig);
        const w = initWeights(c, 3);
        const lora = { ...DEFAULT_LORA, dropout: 0, targetModules: loraTargetPresets(c).presets['all-linear'] };
        const cfg = fitModulesToModel(tinyTrainConfig({ method, batchSize: B, seqLen: T, checkpointing, lora }), {}, c);
        const measured = countParams(c) * 4 + (await measureTrainerPeak(c, w, cfg, 2));
        disposeWeights(w);
        const plan = planMemory(planModelFor(c), planRequestFor(c, cfg), { budgetBytes: GiB });
        expect(plan.total / measured).toBeGreaterThan(0.85);
        expect(plan.total / measured).toBeLessThan(1.15);
      });
    }
  }

  it('prompt and prefix tuning plan their virtual positions: more memory than the same run without them', () => {
    const c = parseModelConfig(models[1][1]);
    const m = planModelFor(c);
    const cfg = (method: 'prompt' | 'prefix', n: number) => methodSpec(method).withConfig(tinyTrainConfig({ method, batchSize: 2, seqLen: 64 }), { numVirtualTokens: n });
    const total = (method: 'prompt' | 'prefix', n: number) => planMemory(m, planRequestFor(c, cfg(method, n)), { budgetBytes: GiB }).activations;
    expect(total('prompt', 64)).toBeGreaterThan(1.5 * total('prompt', 1));
    expect(total('prefix', 64)).toBeGreaterThan(total('prefix', 1));
  });
});

describe('preference objectives: the whole plan against measured trainer steps (cpu backend)', () => {
  beforeAll(useCpu);
  // DPO puts chosen and rejected through the taped pass; its reference pass, and KTO's KL rows, run before the
  // tape and stay below the taped peak, so the plan counts them as nothing more.
  const cases: [string, Record<string, unknown>, 'lora' | 'full', 'sigmoid' | 'kto', boolean][] = [
    ['gpt2', { model_type: 'gpt2', vocab_size: 700, n_positions: 128, n_embd: 96, n_layer: 2, n_head: 6 }, 'lora', 'sigmoid', false],
    ['qwen2', { model_type: 'qwen2', vocab_size: 1000, hidden_size: 80, intermediate_size: 208, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: true }, 'full', 'kto', true],
  ];
  for (const [name, rawConfig, method, lossType, checkpointing] of cases) {
    it(`${name} ${method} ${lossType}${checkpointing ? ', checkpointed' : ''}: within 15% of the plan`, async () => {
      const c = parseModelConfig(rawConfig);
      const w = initWeights(c, 3);
      const B = 3, half = 20, V = c.vocab_size;
      const ids = (k: number) => Array.from({ length: half }, (_, t) => ((k * 31 + t * 7) % (V - 1)) + 1);
      const rows = lossType === 'kto'
        ? Array.from({ length: B }, (_, b) => ({ prompt: ids(b), completion: ids(b + 9), desirable: b % 2 === 0 }))
        : Array.from({ length: B }, (_, b) => ({ prompt: ids(b), chosen: ids(b + 5), rejected: ids(b + 7) }));
      const lora = { ...DEFAULT_LORA, dropout: 0, targetModules: loraTargetPresets(c).presets.attention };
      const cfg = tinyTrainConfig({ method, batchSize: B, seqLen: 2 * half, checkpointing, lora, objective: defaultPreferenceConfig(lossType) });
      const measured = countParams(c) * 4 + (await measureTrainerPeak(c, w, cfg, 2, rows));
      disposeWeights(w);
      const plan = planMemory(planModelFor(c), planRequestFor(c, cfg), { budgetBytes: GiB });
      expect(plan.total / measured).toBeGreaterThan(0.85);
      expect(plan.total / measured).toBeLessThan(1.15);
    });
  }
});
