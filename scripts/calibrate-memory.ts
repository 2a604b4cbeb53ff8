// Refits the memory planner's activation coefficients: measures the peak memory of real training steps on tfjs's
// cpu backend over tiny shapes and solves least squares for the per-term coefficients. Prints a table and JSON.
// `npx tsx scripts/calibrate-memory.ts`; paste the printed coefficients into lib/engine/memory-plan.ts.
import * as tf from '@tensorflow/tfjs';
import { disposeWeights, initGpt2Weights } from '../lib/engine/gpt2';
import { DEFAULT_LORA } from '../lib/engine/lora';
import { measureStepPeak } from '../lib/engine/memory-measure';
import type { Gpt2Config } from '../lib/engine/types';

// [C, layers, heads, vocab, batch, seq]: varied so each term is separable.
const SHAPES = [[32, 2, 4, 50, 2, 16], [64, 2, 4, 300, 4, 32], [128, 3, 4, 500, 2, 64], [64, 4, 2, 2000, 3, 48],
  [32, 1, 8, 100, 8, 64], [96, 2, 2, 1000, 1, 64], [64, 3, 4, 50, 2, 64], [48, 2, 4, 3000, 4, 16]];
const TERMS = ['layers*tokens*C', 'layers*B*H*T*T', 'tokens*V', 'tokens*C'];

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

async function main() {
  await tf.setBackend('cpu');
  const result: Record<string, Record<string, number>> = {};
  for (const method of ['lora', 'full'] as const) {
    const X: number[][] = [];
    const y: number[] = [];
    for (const [C, L, H, V, B, T] of SHAPES) {
      const c: Gpt2Config = { model_type: 'gpt2', vocab_size: V, n_positions: 128, n_embd: C, n_layer: L, n_head: H, layer_norm_epsilon: 1e-5 };
      const w = initGpt2Weights(c, 1);
      const m = await measureStepPeak(c, w, method, B, T, { ...DEFAULT_LORA, targetModules: ['c_attn', 'c_proj'] });
      disposeWeights(w);
      const N = B * T;
      X.push([L * N * C, L * B * H * T * T, N * V, N * C]);
      y.push(m.peakBytes / 4 - m.trainableParams); // floats, less the gradients the trainer keeps anyway
    }
    const coef = leastSquares(X, y);
    result[method] = Object.fromEntries(TERMS.map((t, i) => [t, Number(coef[i].toFixed(2))]));
    console.log(`\n${method}: shape -> measured floats, fit ratio`);
    X.forEach((row, i) => console.log(`  ${SHAPES[i].join('x').padEnd(18)} ${String(y[i]).padStart(10)}  ${(row.reduce((s, v, j) => s + v * coef[j], 0) / y[i]).toFixed(3)}`));
  }
  console.log('\n' + JSON.stringify({ family: 'gpt2', coefficients: result }));
}

main().catch((e) => { console.error(e); process.exit(1); });
