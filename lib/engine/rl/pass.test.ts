// The completion pass against the plain forward: log-softmax(logits / temperature) of every completion token,
// and the value head reading the hidden state the token is predicted from.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, forward, hiddenStates, initWeights } from '../model';
import { tinyConfig, useCpu } from '../test-utils';
import { completionPass, initValueHead } from './pass';

beforeAll(useCpu);

describe('completionPass', () => {
  it.each([1, 0.7])('temperature %s: log-probabilities and values of the completion tokens', (T) => {
    const config = tinyConfig();
    const weights = initWeights(config, 3);
    // Two rows: prompt [4, 5] then completion [6, 7]; prompt [8] then completion [9], padded.
    const ids = Int32Array.from([4, 5, 6, 7, 8, 9, 0, 0]);
    const mask = Float32Array.from([0, 0, 1, 1, 0, 1, 0, 0]);
    const head = initValueHead(config, 1);
    const out = completionPass(config, weights, { ids, mask, N: 2, T: 4 }, {}, head, T);
    const logits = forward(config, weights, tf.tensor2d(ids, [2, 4], 'int32')).arraySync() as number[][][];
    const hidden = hiddenStates(config, weights, tf.tensor2d(ids, [2, 4], 'int32')).arraySync() as number[][][];
    const w = head.weight.dataSync();
    const b = head.bias.dataSync()[0];
    // Token at (row, t) is predicted from position t - 1.
    const wanted = [[0, 2], [0, 3], [1, 1]].map(([n, t]) => {
      const z = logits[n][t - 1].map((x) => x / T);
      const max = Math.max(...z);
      const lse = max + Math.log(z.reduce((a, x) => a + Math.exp(x - max), 0));
      const value = hidden[n][t - 1].reduce((a, h, c) => a + h * w[c], b);
      return { logp: z[ids[n * 4 + t]] - lse, value };
    });
    const logp = out.logp.dataSync();
    const values = out.values!.dataSync();
    wanted.forEach((x, i) => {
      expect(logp[i]).toBeCloseTo(x.logp, 4);
      expect(values[i]).toBeCloseTo(x.value, 5);
    });
    tf.dispose([out.logp, out.values!, head.weight, head.bias]);
    disposeWeights(weights);
  });
});
