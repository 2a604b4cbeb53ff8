// Packed sequences in the forward pass: from per-token segment ids (one example per segment, PAD_SEGMENT = -1 on
// padding), the additive attention mask that is causal and same-segment, and positions that restart per segment.
import * as tf from '@tensorflow/tfjs';

/** Segment ids as given to forward: host Int32Array [B*T] row-major, or a tensor [B, T]. */
export type Segments = Int32Array | tf.Tensor2D;

/** Masks and positions of one packed batch, built once per forward and shared by every layer. */
export interface PackedAttention {
  mask: tf.Tensor4D; // [B, 1, T, T] additive: 0 where key j may be seen from query i, -1e9 elsewhere
  positions: tf.Tensor2D; // [B, T] int32, 0 at each segment's first token
}

function segmentTensor(segments: Segments, B: number, T: number): tf.Tensor2D {
  if (!(segments instanceof Int32Array)) {
    if (segments.shape[0] !== B || segments.shape[1] !== T) throw new Error(`segments shape [${segments.shape}] does not match ids [${B}, ${T}]`);
    return tf.cast(segments, 'int32');
  }
  if (segments.length !== B * T) throw new Error(`segments has ${segments.length} entries, ids have ${B * T}`);
  return tf.tensor2d(segments, [B, T], 'int32');
}

/**
 * allowed[b, i, j] = (j <= i and seg[b, i] == seg[b, j] and seg[b, i] != PAD) or i == j: padding sees only itself,
 * so every softmax row keeps one finite entry. Segments must be contiguous runs (as packExamples writes them):
 * then the count of allowed keys in row i, minus one, is token i's position inside its example.
 */
export function packedAttention(segments: Segments, B: number, T: number): PackedAttention {
  return tf.tidy(() => {
    const seg = segmentTensor(segments, B, T); // [B, T]
    const q = tf.reshape(seg, [B, T, 1]);
    const k = tf.reshape(seg, [B, 1, T]);
    const idx = tf.range(0, T, 1, 'int32');
    const causal = tf.greaterEqual(tf.reshape(idx, [T, 1]), tf.reshape(idx, [1, T])); // [T, T]: j <= i
    const diag = tf.equal(tf.reshape(idx, [T, 1]), tf.reshape(idx, [1, T])); // [T, T]
    const same = tf.logicalAnd(tf.equal(q, k), tf.greaterEqual(q, 0)); // [B, T, T]; PAD_SEGMENT = -1
    const allowed = tf.logicalOr(tf.logicalAnd(same, causal), diag); // [B, T, T]
    const mask = tf.where(allowed, tf.zeros([B, T, T]), tf.fill([B, T, T], -1e9));
    // Summed in float32 (exact below 2^24): int32 reductions are not native on every backend.
    const positions = tf.sub(tf.sum(tf.cast(allowed, 'float32'), -1), 1) as tf.Tensor2D; // [B, T]
    return { mask: tf.reshape(mask, [B, 1, T, T]) as tf.Tensor4D, positions: tf.cast(positions, 'int32') as tf.Tensor2D };
  });
}
