// The scatter-add embedding gradient must equal tf.gather's own gradient (UnsortedSegmentSum) on cpu,
// including ids that repeat, where rows must be summed rather than overwritten.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookup } from './embedding';
import { mulberry32, normalArray } from './random';
import { useCpu, values } from './test-utils';

beforeAll(useCpu);

describe('embeddingLookup', () => {
  const V = 11;
  const C = 5;
  const table = tf.tensor(normalArray(V * C, 1, mulberry32(2)), [V, C]);
  const ids = tf.tensor2d([[4, 4, 0, 10], [4, 7, 7, 1]], [2, 4], 'int32'); // 4 three times, 7 twice, most rows unused
  const dyData = normalArray(2 * 4 * C, 1, mulberry32(3));

  it('looks up the same rows as tf.gather', () => {
    const got = embeddingLookup(table, ids);
    expect(got.shape).toEqual([2, 4, C]);
    expect(values(got)).toEqual(values(tf.gather(table, ids)));
  });

  it('has the gradient of tf.gather, summing repeated ids', () => {
    const dy = tf.tensor(dyData, [2, 4, C]);
    const ours = tf.grad((t: tf.Tensor) => embeddingLookup(t, ids))(table, dy);
    const theirs = tf.grad((t: tf.Tensor) => tf.gather(t, ids))(table, dy);
    expect(Array.from(values(ours))).toEqual(Array.from(values(theirs)).map((v) => expect.closeTo(v, 6)));
    // Independent of tfjs: row 4 gets dy at (0,0), (0,1), (1,0); row 3 gets nothing.
    const row = (r: number) => Array.from(values(ours).slice(r * C, r * C + C));
    const dyAt = (b: number, t: number) => Array.from(dyData.slice((b * 4 + t) * C, (b * 4 + t + 1) * C));
    const want4 = dyAt(0, 0).map((v, k) => v + dyAt(0, 1)[k] + dyAt(1, 0)[k]);
    row(4).forEach((v, k) => expect(v).toBeCloseTo(want4[k], 5));
    expect(row(3)).toEqual([0, 0, 0, 0, 0]);
  });
});
