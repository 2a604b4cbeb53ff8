// Refits the memory planner's activation coefficients: measures the peak memory of real training steps on tfjs's
// cpu backend over tiny shapes and solves least squares for the per-term coefficients. Prints a table and JSON.
// `npx tsx scripts/calibrate-memory.ts`; paste the printed coefficients into lib/engine/memory-plan.ts.
import * as tf from '@tensorflow/tfjs';
import { parseModelConfig } from '../lib/engine/loader';
import { DEFAULT_LORA } from '../lib/engine/peft/lora';
import type { ChunkOptions } from '../lib/engine/chunked-loss';
import { measureStepPeak } from '../lib/engine/memory-measure';
import { activationTerms, planModelFor, type Mode } from '../lib/engine/memory-plan';
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

/** A measured calibration point: shape, mode, and the loss chunking forced on it (the planner's defaults keep the
 * softmax at these tiny sizes, so half the points force small recomputed chunks to separate the two loss terms). */
interface Point { x: Shape; chunk: ChunkOptions }

function points(family: 'gpt2' | 'llama'): Point[] {
  return CALIBRATION_SHAPES[family].flatMap((x) => [{ x, chunk: {} }, { x, chunk: { keepBytes: 0, chunkTokens: 8 } }]);
}

/** Measured floats of one step (less the trainable gradients, which the plan counts exactly). */
export async function measureFloats(family: 'gpt2' | 'llama', p: Point, method: 'lora' | 'full', mode: Mode): Promise<number> {
  const c = calibrationConfig(family, p.x);
  const w = initWeights(c, 1);
  const lora = { ...DEFAULT_LORA, targetModules: loraTargetPresets(c).presets.attention };
  const m = await measureStepPeak(c, w, method, p.x.B, p.x.T, lora, { checkpointing: mode === 'checkpointed', chunk: p.chunk });
  disposeWeights(w);
  return m.peakBytes / 4 - m.trainableParams;
}

const TERMS = ['layerTokenHidden', 'layerTokenMlp', 'layerScores', 'tokenHidden', 'tokenMlp', 'scores', 'lossKept', 'lossChunk', 'vocabHidden'] as const;
// Terms that are zero in a mode, and (GPT-2, where I = 4C) the MLP term folded into its hidden twin.
const UNUSED: Record<Mode, string[]> = { plain: ['tokenMlp', 'scores'], checkpointed: ['layerTokenMlp', 'layerScores'] };
const FOLD: Record<Mode, [string, string]> = { plain: ['layerTokenMlp', 'layerTokenHidden'], checkpointed: ['tokenMlp', 'tokenHidden'] };
// Terms known by construction, not fitted: a checkpointed layer keeps exactly its input [N, C], and a kept softmax
// is exactly [counted, V]. Tiny shapes cannot pin them (their peaks are dominated by other terms), and a fitted
// value of the wrong sign would extrapolate to nonsense at 30 layers.
const FIXED: Record<Mode, Record<string, number>> = { plain: { lossKept: 1 }, checkpointed: { layerTokenHidden: 1, lossKept: 1 } };

/** Least squares with every coefficient >= 0: refits without the columns that come out negative. */
function nonNegativeFit(rows: number[][], y: number[]): number[] {
  let active = rows[0].map((_, j) => j);
  for (;;) {
    const b = leastSquares(rows.map((r) => active.map((j) => r[j])), y);
    const full = rows[0].map(() => 0);
    active.forEach((j, i) => (full[j] = b[i]));
    const negative = active.filter((_, i) => b[i] < 0);
    if (negative.length === 0) return full;
    active = active.filter((j) => !negative.includes(j));
  }
}

/** Least-squares coefficients for one family, method and mode, with the fit printed per point. */
async function fit(family: 'gpt2' | 'llama', method: 'lora' | 'full', mode: Mode): Promise<Record<string, number>> {
  const pts = points(family);
  const y: number[] = [];
  for (const p of pts) y.push(await measureFloats(family, p, method, mode));
  const fold = family === 'gpt2' ? FOLD[mode] : null;
  // A frozen output embedding gets no gradient: LoRA has no V * C term.
  const fixed = method === 'lora' ? { ...FIXED[mode], vocabHidden: 0 } : FIXED[mode];
  const cols = TERMS.filter((t) => !UNUSED[mode].includes(t) && t !== fold?.[0] && !(t in fixed));
  const terms = pts.map((p) => activationTerms(planModelFor(calibrationConfig(family, p.x)), mode, p.x.B, p.x.T, p.chunk) as Record<string, number>);
  const rows = terms.map((t) => cols.map((c) => t[c] + (fold && c === fold[1] ? t[fold[0]] : 0)));
  const known = terms.map((t) => Object.entries(fixed).reduce((a, [k, v]) => a + v * t[k], 0));
  const b = nonNegativeFit(rows, y.map((v, i) => v - known[i]));
  const coef: Record<string, number> = Object.fromEntries(TERMS.map((t) => [t, 0]));
  cols.forEach((c, i) => (coef[c] = Number(b[i].toFixed(3))));
  Object.assign(coef, fixed);
  if (fold) coef[fold[0]] = coef[fold[1]];
  console.log(`\n${family} ${method} ${mode}: C I L H K V B T chunk -> measured floats, fit / measured`);
  rows.forEach((r, i) => {
    const est = known[i] + r.reduce((a, v, j) => a + v * b[j], 0);
    console.log(`  ${Object.values(pts[i].x).join(' ').padEnd(28)} ${pts[i].chunk.chunkTokens ?? '-'}  ${String(Math.round(y[i])).padStart(10)}  ${(est / y[i]).toFixed(3)}`);
  });
  return coef;
}

async function main() {
  await tf.setBackend('cpu');
  const result: Record<string, Record<string, Record<string, Record<string, number>>>> = {};
  for (const family of ['gpt2', 'llama'] as const) {
    result[family] = {};
    for (const method of ['lora', 'full'] as const) {
      result[family][method] = {};
      for (const mode of ['plain', 'checkpointed'] as const) result[family][method][mode] = await fit(family, method, mode);
    }
  }
  console.log('\n' + JSON.stringify({ coefficients: result }));
}

main().catch((e) => { console.error(e); process.exit(1); });
