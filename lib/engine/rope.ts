// Rotary position embeddings for the Llama family: rope_theta and the scaling variants transformers applies to the
// inverse frequencies ('linear', 'llama3'), read from config.json's rope_scaling or rope_parameters.
import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './model-load-error';

/** HF-compatible rope_scaling, normalised: 'linear' divides every frequency by factor; 'llama3' only the low ones. */
export interface RopeScaling {
  rope_type: 'linear' | 'llama3';
  factor: number;
  low_freq_factor?: number; // llama3
  high_freq_factor?: number; // llama3
  original_max_position_embeddings?: number; // llama3
}

type Raw = Record<string, unknown>;

function positive(s: Raw, key: string): number {
  const v = s[key];
  if (typeof v !== 'number' || !(v > 0)) throw new ModelLoadError(`config.json: RoPE scaling needs a positive ${key}`);
  return v;
}

/** theta and scaling from rope_theta / rope_scaling (transformers 4) or rope_parameters (transformers 5). */
export function parseRope(raw: Raw): { theta: number; scaling: RopeScaling | null } {
  const params = (raw.rope_parameters ?? null) as Raw | null;
  const s = (raw.rope_scaling ?? raw.rope_parameters ?? null) as Raw | null;
  const theta = raw.rope_theta ?? params?.rope_theta ?? 10000;
  if (typeof theta !== 'number' || !(theta > 0)) throw new ModelLoadError('config.json: rope_theta must be a positive number');
  const type = s ? (s.rope_type ?? s.type ?? 'default') : 'default';
  if (type === 'default') return { theta, scaling: null };
  if (type === 'linear') return { theta, scaling: { rope_type: 'linear', factor: positive(s!, 'factor') } };
  if (type === 'llama3') {
    const keys = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const;
    const scaling = { rope_type: 'llama3' as const, ...Object.fromEntries(keys.map((k) => [k, positive(s!, k)])) };
    return { theta, scaling: scaling as RopeScaling };
  }
  throw new ModelLoadError(`config.json: RoPE scaling "${String(type)}" is not supported yet (default, linear and llama3 are)`);
}

/** inv_freq[j] = theta^(-2j/D) for j < D/2, rounded to float32 as torch computes it, then scaled. */
export function inverseFrequencies(D: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const inv = Float64Array.from({ length: D / 2 }, (_, j) => Math.fround(1 / theta ** ((2 * j) / D)));
  if (!scaling) return inv;
  if (scaling.rope_type === 'linear') return inv.map((f) => f / scaling.factor);
  // transformers' _compute_llama3_parameters: long wavelengths divided by factor, short ones kept, smooth between.
  const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: ctx } = scaling as Required<RopeScaling>;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < ctx / hi) return f;
    if (wavelen > ctx / lo) return f / factor;
    const smooth = (ctx / wavelen - lo) / (hi - lo);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin tables [T, D] for positions 0..T-1, each half repeated (HF's rotate_half layout). */
export function ropeTables(T: number, D: number, theta: number, scaling: RopeScaling | null = null): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const inv = inverseFrequencies(D, theta, scaling);
  const cos = new Float32Array(T * D);
  const sin = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < D / 2; j++) {
      const angle = t * inv[j];
      cos[t * D + j] = cos[t * D + j + D / 2] = Math.cos(angle);
      sin[t * D + j] = sin[t * D + j + D / 2] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [T, D]), sin: tf.tensor2d(sin, [T, D]) };
}
