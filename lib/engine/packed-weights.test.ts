// Packing frozen weights to f16 pairs / int8 quads: bit patterns worked by hand, round-trip error bounds, byte counts,
// and the cpu fallback of packedMatMul (forward and dx) against matMul with the dequantized weight.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockedProduct, packedMatMul } from './kernels/packed-matmul-webgpu';
import {
  bytesOf, disposePacked, packF16, packHost, packInt8, packLinears, packWeight, quantizeInt8, roundTrip, unpackHost,
  type PackedFormat, type PackedLayout,
} from './packed-weights';
import { disposeWeights, initWeights } from './model';
import { parseModelConfig } from './model-config';
import { linearModules } from './params';
import { mulberry32, normalArray } from './random';
import { tinyRawConfig } from './test-checkpoints';
import { relErr, tinyConfig, useCpu, values } from './test-utils';

beforeAll(useCpu);

const u32 = (x: number) => x >>> 0;

describe('f16 packing', () => {
  it.each([
    [1.0, 0x3c00], [-2.0, 0xc000], [65504, 0x7bff], [0.5, 0x3800], [0, 0], [-0, 0x8000],
    [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65519, 0x7bff],
  ])('%s -> f16 bits %i (decimal)', (v, bits) => {
    expect(u32(packF16(Float32Array.of(v), 1, 1)[0])).toBe(bits); // one element: the high half is padding (0)
  });

  it('puts the first element of a pair in the low half, and pads an odd row with zero', () => {
    const words = packF16(Float32Array.of(1, -2, 0.5, 65504, 1), 1, 5);
    expect(Array.from(words, u32)).toEqual([0xc0003c00, 0x7bff3800, 0x00003c00]);
  });

  it('refuses weights f16 cannot hold', () => {
    expect(() => packF16(Float32Array.of(1, 65520), 1, 2)).toThrow(/outside f16/);
    expect(() => packF16(Float32Array.of(NaN), 1, 1)).toThrow(/outside f16/);
  });

  it('round-trips within 2^-11 relative in the normal range, exactly for values f16 holds', () => {
    const rng = mulberry32(3);
    const w = Float32Array.from({ length: 999 }, () => (rng() - 0.5) * 2 ** Math.floor(rng() * 28 - 12)); // 2^-13 .. 2^15
    const back = roundTrip(w, 27, 37, 'f16');
    let worst = 0;
    w.forEach((x, i) => { if (Math.abs(x) >= 2 ** -14) worst = Math.max(worst, Math.abs(back[i] - x) / Math.abs(x)); });
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    expect(Array.from(roundTrip(back, 27, 37, 'f16'))).toEqual(Array.from(back)); // f16 values are fixed points
  });
});

describe('int8 packing', () => {
  it('quantizes symmetrically with scale max|row| / 127 and packs bytes from the lowest up', () => {
    // One output row [4 in]: max 2.54 -> scale 0.02; q = 127, -64 (-1.28/0.02), 1 (0.026/0.02 -> 1.3), -127 (clamped).
    const { words, scales } = packInt8(Float32Array.of(2.54, -1.28, 0.026, -2.54), 1, 4, 'out-in');
    expect(scales[0]).toBeCloseTo(0.02, 7);
    expect(u32(words[0])).toBe(u32((0x81 << 24) | (0x01 << 16) | (0xc0 << 8) | 0x7f));
  });

  it('takes one scale per output channel in either layout', () => {
    const w = Float32Array.of(1, -4, 2, 0.5, 8, -1); // [2, 3]
    expect(Array.from(packInt8(w, 2, 3, 'out-in').scales)).toEqual([4 / 127, 8 / 127].map(Math.fround));
    expect(Array.from(packInt8(w, 2, 3, 'in-out').scales)).toEqual([1 / 127, 8 / 127, 2 / 127].map(Math.fround));
  });

  it('round-trips within scale / 2 per element (plus float32 rounding of q * scale), zero rows to zero', () => {
    const rng = mulberry32(5);
    for (const layout of ['out-in', 'in-out'] as PackedLayout[]) {
      const [rows, cols] = [13, 22];
      const w = Float32Array.from(normalArray(rows * cols, 0.05, rng));
      w.fill(0, 0, cols); // row 0 all zero
      const p = packHost(w, rows, cols, 'int8', layout);
      const back = unpackHost(p);
      w.forEach((x, i) => {
        const s = p.scales![layout === 'out-in' ? Math.floor(i / cols) : i % cols];
        expect(Math.abs(back[i] - x)).toBeLessThanOrEqual((s / 2) * (1 + 2 ** -20) + 2 ** -24 * Math.abs(x));
      });
      if (layout === 'out-in') expect(Array.from(back.slice(0, cols))).toEqual(new Array(cols).fill(0));
    }
    expect(quantizeInt8(-0.5, 1)).toBe(-1); // ties away from zero, symmetric
    expect(quantizeInt8(0.5, 1)).toBe(1);
  });
});

it('counts device bytes for the planner', () => {
  expect(bytesOf('f32', 768, 2304)).toBe(768 * 2304 * 4);
  expect(bytesOf('f16', 768, 2304)).toBe(768 * 2304 * 2);
  expect(bytesOf('f16', 3, 5)).toBe(3 * 3 * 4); // odd cols pad to a whole word
  expect(bytesOf('int8', 768, 2304, 'in-out')).toBe(768 * 576 * 4 + 2304 * 4);
  expect(bytesOf('int8', 2304, 768, 'out-in')).toBe(2304 * 192 * 4 + 2304 * 4);
});

describe('packedMatMul off webgpu (cpu): matMuls over blocks of widened rows, gradient for x only', () => {
  const cases: [PackedFormat, PackedLayout, number, number, number][] = [
    ['f16', 'out-in', 5, 37, 19], ['f16', 'in-out', 5, 37, 19], ['int8', 'out-in', 4, 33, 10], ['int8', 'in-out', 3, 9, 14],
  ];
  it.each(cases)('%s %s: x [%d, %d] -> [N, %d]', async (format, layout, N, inDim, outDim) => {
    const rng = mulberry32(11);
    const [rows, cols] = layout === 'out-in' ? [outDim, inDim] : [inDim, outDim];
    const wf = Float32Array.from(normalArray(rows * cols, 0.2, rng));
    const dense = tf.tensor2d(roundTrip(wf, rows, cols, format, layout), [rows, cols]);
    const source = tf.tensor2d(wf, [rows, cols]);
    const bytesBefore = tf.memory().numBytes;
    const w = await packWeight(source, format, layout);
    expect(tf.memory().numBytes - bytesBefore).toBe(bytesOf(format, rows, cols, layout)); // what the planner counts
    source.dispose();
    const x = tf.tensor2d(normalArray(N * inDim, 1, rng), [N, inDim]);
    const dy = tf.tensor2d(normalArray(N * outDim, 1, rng), [N, outDim]);
    const plain = (a: tf.Tensor2D) => tf.matMul(a, dense, false, layout === 'out-in');
    const [yRef, dxRef] = [plain(x), tf.grad((a) => tf.sum(tf.mul(plain(a as tf.Tensor2D), dy)))(x)];
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const y = packedMatMul(x, w);
    const dx = tf.grad((a) => tf.sum(tf.mul(packedMatMul(a as tf.Tensor2D, w), dy)))(x);
    expect(y.shape).toEqual([N, outDim]);
    expect(relErr(values(y), values(yRef))).toBeLessThan(1e-6);
    expect(relErr(values(dx), values(dxRef))).toBeLessThan(1e-6);
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before); // nothing left behind by the forward or the custom gradient
    expect(tf.memory().numBytes).toBe(bytes); // and no float32 copy of the weight is kept
    // Forced into blocks of 2 and 3 rows (a last, shorter block included): the same products.
    for (const blockRows of [2, 3]) {
      for (const [pass, a, ref] of [['forward', x, yRef], ['dx', dy, dxRef]] as const) {
        const got = blockedProduct(a, w, pass, blockRows * cols);
        expect(relErr(values(got), values(ref)), `${pass}, ${blockRows}-row blocks`).toBeLessThan(1e-6);
        got.dispose();
      }
    }
    tf.dispose([yRef, dxRef]);
    tf.dispose([x, dy, dense]);
    disposePacked(w);
  });

  it('rejects an input whose width is not the weight\'s', async () => {
    const [zeros, x] = [tf.zeros([4, 6]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D];
    const w = await packWeight(zeros, 'f16', 'out-in');
    expect(() => packedMatMul(x, w)).toThrow(/x \[2, 4\]/);
    tf.dispose([zeros, x]);
    disposePacked(w);
  });
});

describe('packLinears', () => {
  it.each([
    ['gpt2', tinyConfig(), 'in-out'],
    ['llama', parseModelConfig(tinyRawConfig('llama', {})), 'out-in'],
  ] as const)('%s: every block linear, in its checkpoint layout, the same product as its rounded f32 weight', async (_, config, layout) => {
    const weights = initWeights(config, 3);
    const packed = await packLinears(config, weights, 'int8');
    expect([...packed.keys()]).toEqual([...linearModules(config).keys()]);
    for (const [path, p] of packed) {
      const w = weights.get(`${path}.weight`) as tf.Tensor2D;
      expect([p.layout, p.rows, p.cols]).toEqual([layout, ...w.shape]);
      tf.tidy(() => {
        const dense = tf.tensor2d(roundTrip(values(w), p.rows, p.cols, 'int8', layout), w.shape);
        const x = tf.randomNormal([3, layout === 'out-in' ? p.cols : p.rows], 0, 1, 'float32', 4) as tf.Tensor2D;
        expect(relErr(values(packedMatMul(x, p)), values(tf.matMul(x, dense, false, layout === 'out-in')))).toBeLessThan(1e-6);
      });
      disposePacked(p);
    }
    disposeWeights(weights);
  });
});
