// Refits the memory planner's activation coefficients: measures the peak memory of real training steps on tfjs's
// cpu backend over tiny shapes and solves least squares for the per-term coefficients. Prints a table and JSON.
// `npx tsx scripts/calibrate-memory.ts`; paste the printed coefficients into lib/engine/memory-plan.ts.
import * as tf from '@tensorflow/tfjs';
import { parseModelConfig } from '../lib/engine/loader';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import { measureStepPeak } from '../lib/engine/memory-measure';
import { disposeWeights, initWeights } from '../lib/engine/model';
import { loraTargetPresets } from '../lib/engine/params';
import type { ModelConfig } from '../lib/engine/types';

interface Shape { C: number; I: number; L: number; H: number; K: number; V: number; B: number; T: number }
const s = (C: number, I: number, L: number, H: number, K: number, V: number, B: number, T: number): Shape => ({ C, I, L, H, K, V, B, T });

// Varied so each term is separable (GPT-2's MLP is always 4C, so its per-layer term is one number).
export const CALIBRATION_SHAPES: Record<'gpt2' | 'llama', Shape[]> = {
  gpt2: [s(32, 128, 2, 4, 4, 50, 2, 16), s(64, 256, 2, 4, 4, 300, 4, 32), s(128, 512, 3, 4, 4, 500, 2, 64), s(64, 256, 4, 2, 2, 2000, 3, 48),
    s(32, 128, 1, 8, 8, 100, 8, 64), s(96, 384, 2, 2, 2, 1000, 1, 64), s(64, 256, 3, 4, 4, 50, 2, 64), s(48, 192, 2, 4, 4, 3000, 4, 16)],
  llama: [s(32, 48, 2, 4, 2, 50, 2, 16), s(64, 256, 2, 4, 4, 300, 4, 32), s(128, 160, 3, 4, 2, 500, 2, 64), s(64, 320, 4, 2, 1, 2000, 3, 48),
    s(32, 96, 1, 8, 4, 100, 8, 64), s(96, 128, 2, 2, 2, 1000, 1, 64), s(64, 512, 3, 4, 2, 50, 2, 64), s(48, 64, 2, 4, 4, 3000, 4, 16),
    s(80, 400, 2, 4, 1, 700, 2, 40)],
};

export function calibrationConfig(family: 'gpt2' | 'llama', x: Shape): ModelConfig {
  if (family === 'gpt2') {
    return parseModelConfig({ model_type: 'gpt2', vocab_size: x.V, n_positions: 128, n_embd: x.C, n_layer: x.L, n_head: x.H, layer_norm_epsilon: 1e-5 });
  }
  return parseModelConfig({ model_type: 'llama', vocab_size: x.V, hidden_size: x.C, intermediate_size: x.I, num_hidden_layers: x.L,
    num_attention_heads: x.H, num_key_value_heads: x.K, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false });
}

/** The size terms the planner multiplies by its coefficients, in ACTIVATION_COEFFICIENTS' order. */
function terms(x: Shape): number[] {
  const N = x.B * x.T;
  return [x.L * N * x.C, x.L * N * x.I, x.L * x.B * x.H * x.T * x.T, N * x.V, N * x.C];
}
const TERM_NAMES = ['layerTokenHidden', 'layerTokenMlp', 'layerScores', 'tokenVocab', 'tokenHidden'];

/** Solves the normal equations (X^T X) b = X^T y by Gaussian elimination with partial pivoting. */
export function leastSquares(X: number[][], y: number[]): number[] {
  const k = X[0].length;
  const A = Array.from({ length: k }, (_, a) => [...Array.from({ length: k }, (_, b) => X.reduce((s, r) => s + r[a] * r[b], 0)), X.reduce((s, r, i) => s + r[a] * y[i], 0)]);
  for (let i = 0; i < k; i++) {
    const p = A.slice(i).reduce((best, row, j) => (Math.abs(row[i]) > Math.abs(A[best][i]) ? i + j : best), i);
    [A[i], A[p]] = [A[p], A[i]];
    for (let j = i + 1; j < k; j++) {
      const f = A[j][i] / A[i][i];
      for (let c = i; c <= k; c++) A[j][c] -= f * A[i][c];
    }
  }
  const b = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--) b[i] = (A[i][k] - A[i].slice(i + 1, k).reduce((s, v, j) => s + v * b[i + 1 + j], 0)) / A[i][i];
  return b;
}

/** Measured floats of one step (less the trainable gradients, which the plan counts exactly). */
export async function measureFloats(family: 'gpt2' | 'llama', x: Shape, method: 'lora' | 'full'): Promise<number> {
  const c = calibrationConfig(family, x);
  const w = initWeights(c, 1);
  const m = await measureStepPeak(c, w, method, x.B, x.T, { ...DEFAULT_LORA, targetModules: loraTargetPresets(c).presets.attention });
  disposeWeights(w);
  return m.peakBytes / 4 - m.trainableParams;
}

async function main() {
  await tf.setBackend('cpu');
  const result: Record<string, Record<string, Record<string, number>>> = {};
  for (const family of ['gpt2', 'llama'] as const) {
    result[family] = {};
    for (const method of ['lora', 'full'] as const) {
      const shapes = CALIBRATION_SHAPES[family];
      const y: number[] = [];
      for (const x of shapes) y.push(await measureFloats(family, x, method));
      // GPT-2: the MLP term is folded into the hidden one (I = 4C), then split evenly per unit of C and I.
      const X = shapes.map((x) => (family === 'gpt2' ? [terms(x)[0] + terms(x)[1], ...terms(x).slice(2)] : terms(x)));
      let coef = leastSquares(X, y);
      if (family === 'gpt2') coef = [coef[0], coef[0], ...coef.slice(1)];
      result[family][method] = Object.fromEntries(TERM_NAMES.map((t, i) => [t, Number(coef[i].toFixed(3))]));
      console.log(`\n${family} ${method}: C I L H K V B T -> measured floats, fit / measured`);
      shapes.forEach((x, i) => {
        const fit = terms(x).reduce((a, v, j) => a + v * coef[j], 0);
        console.log(`  ${Object.values(x).join(' ').padEnd(28)} ${String(Math.round(y[i])).padStart(10)}  ${(fit / y[i]).toFixed(3)}`);
      });
    }
  }
  console.log('\n' + JSON.stringify({ coefficients: result }));
}

main().catch((e) => { console.error(e); process.exit(1); });
