// Which backend trains this model fastest, measured when the model loads: each runnable candidate is started in turn
// and times the same small piece of this model's training step (a feed-forward block and a slice of the vocabulary
// head, forward and backward, at the model's own widths and weight layout). The ranking in backend.ts is a guess from
// what the probes can see (a real GPU or a software rasteriser); this replaces the guess with a measurement where two
// or more backends could run. Written by hand: tfjs picks a backend by registration priority, never by speed.
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './add-n';
import { hiddenSize, isGpt2, type ModelConfig } from './types';

/** The widths the probe uses, from a model config. */
export interface ProbeShape {
  width: number; // C
  inner: number; // feed-forward width
  vocab: number; // vocabulary rows in the head slice (at most HEAD_ROWS)
  linearLayout: boolean; // nn.Linear [out, in] weights (Llama family) rather than GPT-2's Conv1D [in, out]
}

/** Token rows the feed-forward block sees, and rows the head slice sees. */
const ROWS = 32;
const HEAD_TOKENS = 16;
/** Vocabulary rows in the head slice: enough to show how each backend handles a long, thin product. */
const HEAD_ROWS = 8192;

export function probeShape(config: ModelConfig): ProbeShape {
  const width = hiddenSize(config);
  return {
    width,
    inner: isGpt2(config) ? 4 * width : config.intermediate_size,
    vocab: Math.min(config.vocab_size, HEAD_ROWS),
    linearLayout: !isGpt2(config),
  };
}

/** The probe's tensors on the current backend, and one forward-and-backward pass that ends in a single readback. */
function makeWork(s: ProbeShape): { run(): Promise<void>; dispose(): void } {
  const init = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.02, 'float32', seed);
  const up = init(s.linearLayout ? [s.inner, s.width] : [s.width, s.inner], 1);
  const down = init(s.linearLayout ? [s.width, s.inner] : [s.inner, s.width], 2);
  const head = init([s.vocab, s.width], 3);
  const x = init([ROWS, s.width], 4);
  const linear = (v: tf.Tensor, w: tf.Tensor) => tf.matMul(v, w, false, s.linearLayout);
  const loss = (xv: tf.Tensor, upW: tf.Tensor) => {
    const h = linear(tf.tanh(linear(xv, upW)), down);
    const z = tf.matMul(tf.slice(h, [0, 0], [HEAD_TOKENS, -1]), head, false, true);
    return tf.add(tf.sum(tf.square(h)), tf.logSumExp(z)) as tf.Scalar;
  };
  const grads = tf.grads(loss);
  return {
    async run() {
      const total = tf.tidy(() => sumTensors(grads([x, up]).map((g) => tf.sum(g))));
      await total.data();
      total.dispose();
    },
    dispose: () => tf.dispose([up, down, head, x]),
  };
}

export interface RaceEntry {
  name: string; // backend name
  label: string; // what runs it, in words
  ms: number | null; // best timed pass; null when it could not run
  error?: string;
}

/** A candidate slower than this many times the best so far is timed once, not twice. */
const FAR_BEHIND = 3;

/**
 * Starts each candidate backend, runs the probe once to warm up (shader compilation, kernel set-up) and then times
 * it (best of two). Leaves whichever backend ran last active: the caller sets the winner.
 */
export async function raceBackends(candidates: { name: string; label: string }[], shape: ProbeShape): Promise<RaceEntry[]> {
  const out: RaceEntry[] = [];
  for (const c of candidates) {
    const ok = await tf.setBackend(c.name).catch(() => false);
    if (!ok || tf.getBackend() !== c.name) {
      out.push({ ...c, ms: null, error: 'failed to start' });
      continue;
    }
    let work: ReturnType<typeof makeWork> | null = null;
    try {
      await tf.ready();
      work = makeWork(shape);
      await work.run();
      const best = Math.min(...out.map((e) => e.ms ?? Infinity));
      let ms = Infinity;
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        await work.run();
        ms = Math.min(ms, performance.now() - t0);
        if (ms > FAR_BEHIND * best) break;
      }
      out.push({ ...c, ms });
    } catch (e) {
      out.push({ ...c, ms: null, error: e instanceof Error ? e.message : String(e) });
    } finally {
      work?.dispose();
    }
  }
  return out;
}

/** The race's entries fastest first; those that could not run last, in their given order. */
export function byTime(entries: RaceEntry[]): RaceEntry[] {
  return [...entries].sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity));
}

/** The race in words: "timed at load on this model's shapes: wasm 41 ms, webgl on SwiftShader 190 ms". */
export function raceWords(entries: RaceEntry[]): string {
  const part = (e: RaceEntry) => `${e.label} ${e.ms === null ? `could not run (${e.error})` : `${e.ms < 10 ? e.ms.toFixed(1) : Math.round(e.ms)} ms`}`;
  return `timed at load on this model's shapes: ${byTime(entries).map(part).join(', ')}`;
}
