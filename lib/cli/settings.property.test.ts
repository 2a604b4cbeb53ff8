// Property-based tests (fast-check) of the numeric settings: flag text is a number exactly when it is plain decimal
// text, a run config with any numeric field set to any value is accepted by the shared schema or refused naming its
// flag (never a crash), and every accepted config has a finite memory plan. Counts printed.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { parseGpt2Config } from '../engine/model-config';
import type { TrainConfig } from '../engine/types';
import { checkTrainConfig, flagNumber } from './flags';
import { runPlanFor } from './plan';

let cases = 0;
afterAll(() => console.log(`numeric settings properties: ${cases} cases`));

const NUMERIC = ['steps', 'batchSize', 'gradAccum', 'seqLen', 'lr', 'weightDecay', 'beta1', 'beta2', 'epsilon', 'warmupSteps', 'minLrRatio', 'clipNorm', 'seed', 'evalEvery', 'dropout', 'checkpointEvery', 'replayShare'] as const;
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e9, 1e-12, NaN, Infinity, -Infinity, 2 ** 53));
const config = parseGpt2Config({ model_type: 'gpt2', vocab_size: 4096, n_positions: 256, n_embd: 256, n_layer: 4, n_head: 4 });

describe('numeric settings', () => {
  it('flagNumber reads exactly the plain decimal numbers', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String)), (text) => {
      cases += 1;
      const n = flagNumber(text);
      if (Number.isNaN(n)) return;
      expect(Number.isFinite(n)).toBe(true);
      expect(n).toBe(Number(text));
      expect(text).toMatch(/^[+-]?[\d.]+(e[+-]?\d+)?$/i);
    }), { numRuns: 2000 });
  });

  it('any value in any numeric field is accepted or refused by flag; accepted configs plan finite memory', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...NUMERIC), anyNumber), { minLength: 1, maxLength: 3 }), (sets) => {
      cases += 1;
      const cfg = { ...defaultTrainConfig('lora') } as TrainConfig & Record<string, unknown>;
      for (const [k, v] of sets) cfg[k] = v;
      let ok: TrainConfig;
      try {
        ok = checkTrainConfig(cfg);
      } catch (e) {
        expect((e as Error).message).toMatch(/^(--[a-z-]+|dropout|gradAccum|weightDecay|beta1|beta2|epsilon|minLrRatio|clipNorm)\b/);
        return;
      }
      for (const [k] of sets) expect(Number.isFinite(ok[k] as number)).toBe(true);
      const plan = runPlanFor(config, { ...ok, seqLen: Math.min(ok.seqLen, 256) }, 4 * 1024 ** 3);
      expect(Number.isFinite(plan.total)).toBe(true);
      expect(plan.total).toBeGreaterThan(0);
    }), { numRuns: 1500 });
  });
});
