// Tensor engine op values against results computed by hand (issue "Tensor engine").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/tensor/index.js';
import type { Tensor } from '../src/tensor/index.js';

/** A float32 tensor from nested-free data and a shape. */
const t = (data: number[], shape?: number[]) => torch.tensor(data, shape);
const t64 = (data: number[], shape?: number[]) => torch.tensor(Float64Array.from(data), shape ?? [data.length]);

/** Asserts shape and values (row-major) within tol. */
function expectTensor(actual: Tensor, shape: number[], values: number[], tol = 1e-6, what = ''): void {
  assert.deepEqual(actual.shape, shape, `${what} shape`);
  const a = actual.toArray();
  assert.equal(a.length, values.length, `${what} length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - values[i]) <= tol * Math.max(1, Math.abs(values[i])), `${what}[${i}]: got ${a[i]}, expected ${values[i]}`);
  }
}

describe('creation', () => {
  test('zeros, ones, full, scalar: shape, dtype, values', () => {
    expectTensor(torch.zeros([2, 3]), [2, 3], [0, 0, 0, 0, 0, 0]);
    expectTensor(torch.ones([3]), [3], [1, 1, 1]);
    expectTensor(torch.full([2, 2], 2.5), [2, 2], [2.5, 2.5, 2.5, 2.5]);
    const s = torch.scalar(7, { dtype: 'float64' });
    assert.deepEqual(s.shape, []);
    assert.equal(s.dtype, 'float64');
    assert.equal(s.item(), 7);
    assert.equal(torch.zeros([2], { dtype: 'int64' }).dtype, 'int64');
    assert.equal(torch.ones([2], { dtype: 'uint8' }).dtype, 'uint8');
    assert.equal(torch.zeros([2, 3, 4]).numel, 24);
    assert.equal(torch.zeros([2, 3, 4]).ndim, 3);
    assert.equal(torch.zeros([2, 3, 4]).size(-1), 4);
    assert.equal(torch.zeros([2]).device, 'cpu');
  });

  test('tensor() from typed arrays keeps their dtype; number arrays keep float64 precision when asked', () => {
    assert.equal(torch.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(torch.tensor(new BigInt64Array([1n, 2n])).dtype, 'int64');
    assert.equal(torch.tensor(new Float64Array([1, 2])).dtype, 'float64');
    assert.equal(torch.tensor([1, 2]).dtype, 'float32');
    const x = torch.tensor([0.1, 1 / 3], [2], { dtype: 'float64' });
    assert.equal(x.dtype, 'float64');
    assert.deepEqual(x.toArray(), [0.1, 1 / 3]); // not rounded through float32
    assert.deepEqual(torch.tensor([3, -4], [2], { dtype: 'int64' }).toArray(), [3, -4]);
    assert.deepEqual(t([1, 2, 3, 4, 5, 6], [2, 3]).shape, [2, 3]);
  });

  test('arange and linspace', () => {
    expectTensor(torch.arange(5), [5], [0, 1, 2, 3, 4]);
    expectTensor(torch.arange(1, 2, 0.25), [4], [1, 1.25, 1.5, 1.75]);
    expectTensor(torch.arange(3, -3, -2), [3], [3, 1, -1]);
    expectTensor(torch.linspace(0, 1, 5), [5], [0, 0.25, 0.5, 0.75, 1]);
    expectTensor(torch.linspace(-1, 1, 3, { dtype: 'float64' }), [3], [-1, 0, 1]);
    assert.equal(torch.arange(4, undefined, 1, { dtype: 'int64' }).dtype, 'int64');
  });

  test('meshgrid ij and xy', () => {
    const [a, b] = torch.meshgrid([t([1, 2, 3]), t([10, 20])], 'ij');
    expectTensor(a, [3, 2], [1, 1, 2, 2, 3, 3]);
    expectTensor(b, [3, 2], [10, 20, 10, 20, 10, 20]);
    const [x, y] = torch.meshgrid([t([1, 2, 3]), t([10, 20])], 'xy');
    expectTensor(x, [2, 3], [1, 2, 3, 1, 2, 3]);
    expectTensor(y, [2, 3], [10, 10, 10, 20, 20, 20]);
  });

  test('rand, randn and uniform have the right range and moments', () => {
    torch.manualSeed(123);
    const n = 20000;
    const u = torch.rand([n]).toArray();
    assert.ok(Math.min(...u) >= 0 && Math.max(...u) < 1);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(u) - 0.5) < 0.01);
    const g = torch.randn([n]).toArray();
    const gm = mean(g);
    const gv = mean(g.map((v) => (v - gm) ** 2));
    assert.ok(Math.abs(gm) < 0.03 && Math.abs(gv - 1) < 0.05, `randn mean ${gm} var ${gv}`);
    const w = torch.uniform([n], -2, 3).toArray();
    assert.ok(Math.min(...w) >= -2 && Math.max(...w) < 3);
    assert.ok(Math.min(...w) < -1.99 && Math.max(...w) > 2.99, 'uniform fills the whole range');
    assert.ok(Math.abs(mean(w) - 0.5) < 0.05);
    const w64 = torch.uniform([4], 5, 6, { dtype: 'float64' });
    assert.equal(w64.dtype, 'float64');
    assert.ok(w64.toArray().every((v) => v >= 5 && v < 6));
  });

  test('manualSeed makes rand, randn and uniform repeat exactly', () => {
    const draw = (seed: number) => {
      torch.manualSeed(seed);
      return [torch.rand([50]).toArray(), torch.randn([3, 7]).toArray(), torch.uniform([40], -0.5, 0.5).toArray(),
        torch.rand([5], { dtype: 'float64' }).toArray()];
    };
    const a = draw(42), b = draw(42), c = draw(43);
    assert.deepEqual(a, b);
    for (let k = 0; k < a.length; k++) assert.notDeepEqual(a[k], c[k], `seed 43 differs for draw ${k}`);
  });
});

describe('arithmetic and broadcasting', () => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  test('tensor-tensor with broadcasting', () => {
    expectTensor(a.add(t([10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]);
    expectTensor(a.sub(t([1, 2], [2, 1])), [2, 3], [0, 1, 2, 2, 3, 4]);
    expectTensor(t([1, 2], [2, 1]).mul(t([3, 4, 5], [1, 3])), [2, 3], [3, 4, 5, 6, 8, 10]);
    expectTensor(a.div(t([1, 2, 4])), [2, 3], [1, 1, 0.75, 4, 2.5, 1.5]);
    expectTensor(t([2, 3]).pow(t([3, 2])), [2], [8, 9]);
    expectTensor(t([1, 5, 3]).maximum(t([4, 2, 3])), [3], [4, 5, 3]);
    expectTensor(t([1, 5, 3]).minimum(t([4, 2, 3])), [3], [1, 2, 3]);
  });
  test('tensor-scalar', () => {
    expectTensor(a.add(1), [2, 3], [2, 3, 4, 5, 6, 7]);
    expectTensor(a.sub(0.5), [2, 3], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    expectTensor(a.mul(-2), [2, 3], [-2, -4, -6, -8, -10, -12]);
    expectTensor(a.div(4), [2, 3], [0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    expectTensor(a.pow(2), [2, 3], [1, 4, 9, 16, 25, 36]);
    expectTensor(a.rsub(10), [2, 3], [9, 8, 7, 6, 5, 4]);
    expectTensor(a.neg(), [2, 3], [-1, -2, -3, -4, -5, -6]);
    expectTensor(a.square(), [2, 3], [1, 4, 9, 16, 25, 36]);
    expectTensor(t([2, 4, 0.5]).reciprocal(), [3], [0.5, 0.25, 2]);
    assert.equal(a.add(1).dtype, 'float32', 'a JS number does not promote float32 to float64');
  });
  test('scalars promote like Python numbers (int tensor * 0.5 is float)', () => {
    const i = torch.tensor(new Int32Array([1, 2, 3]));
    const h = i.mul(0.5);
    assert.equal(h.dtype, 'float32');
    expectTensor(h, [3], [0.5, 1, 1.5]);
    assert.equal(i.add(1).dtype, 'int32', 'an integral number keeps an int tensor int');
    expectTensor(i.add(1), [3], [2, 3, 4]);
    expectTensor(i.ge(1.5), [3], [0, 1, 1]);
    expectTensor(i.lt(2.5), [3], [1, 1, 0]);
  });
  test('matmul', () => {
    // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
    expectTensor(a.matmul(t([1, 0, 0, 1, 1, 1], [3, 2])), [2, 2], [4, 5, 10, 11]);
    expectTensor(a.matmul(t([1, 1, 1])), [2], [6, 15]);
    // batched: [2,1,3] x [3,1]
    expectTensor(a.reshape(2, 1, 3).matmul(t([1, 0, -1], [3, 1])), [2, 1, 1], [-2, -2]);
  });
});

describe('comparisons and where', () => {
  const x = t([1, 2, 3, 4]);
  const y = t([4, 2, 1, 5]);
  test('comparisons give bool tensors', () => {
    const gt = x.gt(y);
    assert.equal(gt.dtype, 'bool');
    expectTensor(gt, [4], [0, 0, 1, 0]);
    expectTensor(x.ge(y), [4], [0, 1, 1, 0]);
    expectTensor(x.lt(y), [4], [1, 0, 0, 1]);
    expectTensor(x.le(y), [4], [1, 1, 0, 1]);
    expectTensor(x.eq(y), [4], [0, 1, 0, 0]);
    expectTensor(x.ne(y), [4], [1, 0, 1, 1]);
    expectTensor(x.gt(2), [4], [0, 0, 1, 1]);
    expectTensor(x.eq(3), [4], [0, 0, 1, 0]);
    expectTensor(x.gt(1).logicalAnd(x.lt(4)), [4], [0, 1, 1, 0]);
    expectTensor(x.lt(2).logicalOr(x.gt(3)), [4], [1, 0, 0, 1]);
    expectTensor(x.gt(2).logicalNot(), [4], [1, 1, 0, 0]);
    expectTensor(t([1, NaN, Infinity]).isnan(), [3], [0, 1, 0]);
    expectTensor(t([1, NaN, Infinity]).isfinite(), [3], [1, 0, 0]);
  });
  test('where with tensors, numbers and broadcasting', () => {
    const c = x.gt(y);
    expectTensor(torch.where(c, x, y), [4], [4, 2, 3, 5]);
    expectTensor(torch.where(c, 1, y), [4], [4, 2, 1, 5]);
    expectTensor(torch.where(c, x, -1), [4], [-1, -1, 3, -1]);
    expectTensor(torch.where(c, 7, 8), [4], [8, 8, 7, 8]);
    expectTensor(torch.where(t([1, 0], [2, 1]).gt(0), t([1, 2, 3]), 0), [2, 3], [1, 2, 3, 0, 0, 0]);
  });
});

describe('reductions', () => {
  // [[1, 5, 2], [8, 3, 4]]
  const a = t([1, 5, 2, 8, 3, 4], [2, 3]);
  test('sum and mean over all, one and several dims, with keepdim', () => {
    expectTensor(a.sum(), [], [23]);
    expectTensor(a.sum(0), [3], [9, 8, 6]);
    expectTensor(a.sum(1), [2], [8, 15]);
    expectTensor(a.sum(1, true), [2, 1], [8, 15]);
    expectTensor(a.sum([0, 1]), [], [23]);
    expectTensor(a.sum(-1), [2], [8, 15]);
    expectTensor(a.mean(), [], [23 / 6]);
    expectTensor(a.mean(0), [3], [4.5, 4, 3]);
    expectTensor(a.mean(1, true), [2, 1], [8 / 3, 5]);
    expectTensor(t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]).mean([1, 2], true), [2, 1, 1], [2.5, 6.5]);
  });
  test('max and min', () => {
    expectTensor(a.max(), [], [8]);
    expectTensor(a.min(), [], [1]);
    expectTensor(a.max(0), [3], [8, 5, 4]);
    expectTensor(a.max(1, true), [2, 1], [5, 8]);
    expectTensor(a.min(1), [2], [1, 3]);
    expectTensor(a.min(0, true), [1, 3], [1, 3, 2]);
    expectTensor(a.argmax(), [], [3]);
    expectTensor(a.argmax(1), [2], [1, 0]);
  });
  test('var, biased and unbiased', () => {
    // rows: [1,5,2] mean 8/3, squared deviations 25/9 + 49/9 + 4/9 = 78/9
    expectTensor(a.var(1), [2], [78 / 9 / 2, 14 / 2]);
    expectTensor(a.var(1, { unbiased: false }), [2], [78 / 9 / 3, 14 / 3]);
    expectTensor(a.var(1, { unbiased: false, keepdim: true }), [2, 1], [78 / 27, 14 / 3]);
    expectTensor(a.var(0, { unbiased: true }), [3], [24.5, 2, 2]);
    // all: mean 23/6, sum sq dev = 119 - 23^2/6 = 185/6
    expectTensor(a.var(), [], [185 / 6 / 5], 1e-6);
    expectTensor(a.var(undefined, { unbiased: false }), [], [185 / 36], 1e-6);
  });
  test('median (lower middle for even counts, as PyTorch)', () => {
    expectTensor(a.median(1), [2], [2, 4]);
    expectTensor(a.median(0), [3], [1, 3, 2]); // two values: the lower one
    expectTensor(a.median(1, true), [2, 1], [2, 4]);
    expectTensor(a.median(), [], [3]);
    expectTensor(t([4, 1, 3, 2]).median(), [], [2]);
  });
  test('any, all and cumsum', () => {
    const b = t([0, 1, 0, 0], [2, 2]).gt(0);
    expectTensor(b.any(), [], [1]);
    expectTensor(b.all(), [], [0]);
    expectTensor(b.any(1), [2], [1, 0]);
    expectTensor(t([1, 1, 1, 0]).gt(0).all(0), [], [0]);
    expectTensor(t([1, 2, 3, 4]).cumsum(0), [4], [1, 3, 6, 10]);
    expectTensor(a.cumsum(1), [2, 3], [1, 6, 8, 8, 11, 15]);
    expectTensor(a.cumsum(0), [2, 3], [1, 5, 2, 9, 8, 6]);
  });
});

describe('elementwise functions', () => {
  test('abs, sqrt, exp, log, pow', () => {
    expectTensor(t([-2, 0, 3]).abs(), [3], [2, 0, 3]);
    expectTensor(t([4, 9, 0.25]).sqrt(), [3], [2, 3, 0.5]);
    expectTensor(t([0, 1, -1]).exp(), [3], [1, Math.E, 1 / Math.E]);
    expectTensor(t([1, Math.E, 0.5]).log(), [3], [0, 1, Math.log(0.5)]);
    expectTensor(t([4, 9]).pow(0.5), [2], [2, 3]);
    expectTensor(t([2, -3]).pow(3), [2], [8, -27]);
    expectTensor(t([1, 2]).pow(-1), [2], [1, 0.5]);
  });
  test('clamp with min, max or both', () => {
    const x = t([-2, -0.5, 0.5, 2]);
    expectTensor(x.clamp(-1, 1), [4], [-1, -0.5, 0.5, 1]);
    expectTensor(x.clamp(0), [4], [0, 0, 0.5, 2]);
    expectTensor(x.clamp(null, 0), [4], [-2, -0.5, 0, 0]);
  });
  test('sigmoid, tanh, leakyRelu, relu', () => {
    expectTensor(t([0, Math.log(3), -Math.log(3)]).sigmoid(), [3], [0.5, 0.75, 0.25]);
    // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
    expectTensor(t([0, Math.log(2), -Math.log(2)]).tanh(), [3], [0, 0.6, -0.6]);
    expectTensor(t([-2, 0, 3]).leakyRelu(0.2), [3], [-0.4, 0, 3]);
    expectTensor(torch.leakyRelu(t([-10, 1])), [2], [-0.1, 1]);
    expectTensor(t([-1, 2]).relu(), [2], [0, 2]);
    expectTensor(torch.sigmoid(t([0])), [1], [0.5]);
  });
  test('floor, ceil, round, sign, sin, cos', () => {
    expectTensor(t([-1.5, 0.4, 1.6]).floor(), [3], [-2, 0, 1]);
    expectTensor(t([-1.5, 0.4, 1.6]).ceil(), [3], [-1, 1, 2]);
    expectTensor(t([-1.6, 0.4, 2.5]).round(), [3], [-2, 0, 2]); // half to even
    expectTensor(t([-3, 0, 2]).sign(), [3], [-1, 0, 1]);
    expectTensor(t([0, Math.PI / 2]).sin(), [2], [0, 1]);
    expectTensor(t([0, Math.PI]).cos(), [2], [1, -1]);
  });
});

describe('conv2d', () => {
  // x = [[1,2,3],[4,5,6],[7,8,9]]
  const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
  test('plain 2x2 kernel with bias', () => {
    const w = t([1, 2, 3, 4], [1, 1, 2, 2]);
    // top-left window 1*1 + 2*2 + 3*4 + 4*5 = 37, then 47, 67, 77
    expectTensor(torch.conv2d(x, w), [1, 1, 2, 2], [37, 47, 67, 77]);
    expectTensor(torch.conv2d(x, w, t([10])), [1, 1, 2, 2], [47, 57, 77, 87]);
  });
  test('stride 2 with zero padding 1', () => {
    // padded 5x5; windows rows {-1,0},{1,2} x cols {-1,0},{1,2}
    expectTensor(torch.conv2d(x, torch.ones([1, 1, 2, 2]), null, { stride: 2, padding: 1 }), [1, 1, 2, 2], [1, 5, 11, 28]);
    // stride [1, 2]: rows at every position, columns every other
    expectTensor(torch.conv2d(x, torch.ones([1, 1, 2, 2]), null, { stride: [1, 2] }), [1, 1, 2, 1], [12, 24]);
  });
  test('dilation 2', () => {
    // taps at (0,0), (0,2), (2,0), (2,2): 1*1 + 2*3 + 3*7 + 4*9
    expectTensor(torch.conv2d(x, t([1, 2, 3, 4], [1, 1, 2, 2]), null, { dilation: 2 }), [1, 1, 1, 1], [64]);
    // with padding 1: output 3x3; centre = 64, corner (0,0) sees only x[1][1] * 4 = 20
    const y = torch.conv2d(x, t([1, 2, 3, 4], [1, 1, 2, 2]), null, { dilation: 2, padding: 1 });
    expectTensor(y, [1, 1, 3, 3], [20, 3 * 4 + 4 * 6, 3 * 5, 2 * 2 + 4 * 8, 64, 1 * 2 + 3 * 8, 2 * 5, 1 * 4 + 2 * 6, 1 * 5]);
  });
  test('groups', () => {
    // ch0 = [[1,2],[3,4]], ch1 = [[5,6],[7,8]]
    const x2 = t([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    // depthwise: ch0 * 2, ch1 * -1
    expectTensor(torch.conv2d(x2, t([2, -1], [2, 1, 1, 1]), null, { groups: 2 }), [1, 2, 2, 2], [2, 4, 6, 8, -5, -6, -7, -8]);
    // groups=1 sums both channels
    expectTensor(torch.conv2d(x2, t([1, 1], [1, 2, 1, 1])), [1, 1, 2, 2], [6, 8, 10, 12]);
    // groups=2, two outputs per group, 2x2 kernels: group 0 sees only ch0, group 1 only ch1
    const w = t([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, -1, 0, 0], [4, 1, 2, 2]);
    expectTensor(torch.conv2d(x2, w, t([0, 0, 100, 0]), { groups: 2 }), [1, 4, 1, 1], [10, 1, 108, -1]);
  });
});

describe('padding', () => {
  // [[1,2,3],[4,5,6]], padding [left 2, right 1, top 1, bottom 0]
  const x = t([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
  test('reflect', () => {
    expectTensor(torch.pad(x, [2, 1, 1, 0], 'reflect'), [1, 1, 3, 6], [
      6, 5, 4, 5, 6, 5,
      3, 2, 1, 2, 3, 2,
      6, 5, 4, 5, 6, 5,
    ]);
  });
  test('replicate', () => {
    expectTensor(torch.pad(x, [2, 1, 1, 0], 'replicate'), [1, 1, 3, 6], [
      1, 1, 1, 2, 3, 3,
      1, 1, 1, 2, 3, 3,
      4, 4, 4, 5, 6, 6,
    ]);
  });
  test('constant', () => {
    expectTensor(torch.pad(x, [2, 1, 1, 0], 'constant', 9), [1, 1, 3, 6], [
      9, 9, 9, 9, 9, 9,
      9, 9, 1, 2, 3, 9,
      9, 9, 4, 5, 6, 9,
    ]);
    expectTensor(torch.pad(x, [0, 0, 0, 1]), [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 0, 0, 0]);
  });
});

describe('batchNorm', () => {
  // batch of 1, ch0 = [1,2,3,4] (mean 2.5, biased var 1.25), ch1 = [2,4,6,8] (mean 5, var 5)
  const x = t([1, 2, 3, 4, 2, 4, 6, 8], [1, 2, 2, 2]);
  test('training mode normalises with the batch statistics (biased variance)', () => {
    const y = torch.batchNorm(x, { eps: 0 });
    const a = 1 / Math.sqrt(1.25), b = 1 / Math.sqrt(5);
    expectTensor(y, [1, 2, 2, 2], [-1.5 * a, -0.5 * a, 0.5 * a, 1.5 * a, -3 * b, -1 * b, 1 * b, 3 * b], 1e-5);
  });
  test('weight, bias, eps and running statistics', () => {
    const runningMean = torch.zeros([2]);
    const runningVar = torch.ones([2]);
    const y = torch.batchNorm(x, { weight: t([2, 1]), bias: t([0, 10]), runningMean, runningVar, eps: 0.75, momentum: 0.1 });
    const a = 2 / Math.sqrt(1.25 + 0.75), b = 1 / Math.sqrt(5 + 0.75);
    expectTensor(y, [1, 2, 2, 2], [-1.5 * a, -0.5 * a, 0.5 * a, 1.5 * a, 10 - 3 * b, 10 - b, 10 + b, 10 + 3 * b], 1e-5);
    // running stats: 0.9 * old + 0.1 * batch, the variance unbiased (5/3 and 20/3)
    expectTensor(runningMean, [2], [0.25, 0.5], 1e-6);
    expectTensor(runningVar, [2], [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 20 / 3], 1e-6);
  });
  test('statistics pool over the batch and spatial dims', () => {
    // two images, one channel: values 0 and 2 -> mean 1, var 1
    const y = torch.batchNorm(t([0, 0, 2, 2], [2, 1, 1, 2]), { eps: 0 });
    expectTensor(y, [2, 1, 1, 2], [-1, -1, 1, 1]);
  });
  test('eval mode uses the running statistics', () => {
    const y = torch.batchNorm(x, { runningMean: t([1, 2]), runningVar: t([4, 16]), training: false, eps: 0 });
    expectTensor(y, [1, 2, 2, 2], [0, 0.5, 1, 1.5, 0, 0.5, 1, 1.5]);
  });
});

describe('pooling', () => {
  const x = torch.arange(16).reshape(1, 1, 4, 4); // rows [0..3], [4..7], [8..11], [12..15]
  test('avgPool2d', () => {
    expectTensor(torch.avgPool2d(x, 2), [1, 1, 2, 2], [2.5, 4.5, 10.5, 12.5]);
    expectTensor(torch.avgPool2d(x, 3, { stride: 1 }), [1, 1, 2, 2], [5, 6, 9, 10]);
    const s = t([1, 2, 3, 4], [1, 1, 2, 2]);
    // kernel 2, stride 1, padding 1 -> 3x3; sums of the windows: 1 3 2 / 4 10 6 / 3 7 4
    expectTensor(torch.avgPool2d(s, 2, { stride: 1, padding: 1 }), [1, 1, 3, 3], [1, 3, 2, 4, 10, 6, 3, 7, 4].map((v) => v / 4));
    expectTensor(torch.avgPool2d(s, 2, { stride: 1, padding: 1, countIncludePad: false }), [1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
  test('maxPool2d', () => {
    expectTensor(torch.maxPool2d(x, 2), [1, 1, 2, 2], [5, 7, 13, 15]);
    expectTensor(torch.maxPool2d(x, 3, { stride: 1 }), [1, 1, 2, 2], [10, 11, 14, 15]);
    expectTensor(torch.maxPool2d(x, 2, { stride: 2, padding: 1 }), [1, 1, 3, 3], [0, 2, 3, 8, 10, 11, 12, 14, 15]);
    expectTensor(torch.maxPool2d(t([-1, -5, -3, -2], [1, 1, 2, 2]), 2), [1, 1, 1, 1], [-1]);
  });
});

describe('interpolate', () => {
  // [[1,2],[3,7]]: bilinear value at (y, x) in source pixels is 1 + x + 2y + 3xy
  const x = t([1, 2, 3, 7], [1, 1, 2, 2]);
  test('bilinear 2x2 -> 4x4, alignCorners true', () => {
    // sample positions 0, 1/3, 2/3, 1 on both axes
    expectTensor(torch.interpolate(x, [4, 4], { alignCorners: true }), [1, 1, 4, 4], [
      1, 4 / 3, 5 / 3, 2,
      5 / 3, 7 / 3, 3, 11 / 3,
      7 / 3, 10 / 3, 13 / 3, 16 / 3,
      3, 13 / 3, 17 / 3, 7,
    ], 1e-6);
  });
  test('bilinear 2x2 -> 4x4, alignCorners false (half-pixel, edges clamped)', () => {
    // sample positions (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to 0 .. 1
    expectTensor(torch.interpolate(x, [4, 4], { alignCorners: false }), [1, 1, 4, 4], [
      1, 1.25, 1.75, 2,
      1.5, 1.9375, 2.8125, 3.25,
      2.5, 3.3125, 4.9375, 5.75,
      3, 4, 6, 7,
    ], 1e-6);
    // default is alignCorners false
    expectTensor(torch.interpolate(x, [4, 4]), [1, 1, 4, 4], torch.interpolate(x, [4, 4], { alignCorners: false }).toArray());
  });
  test('bilinear downsampling and non-square sizes', () => {
    // 4 -> 2 with half-pixel centres samples at 0.5 and 2.5: the means of pixel pairs
    expectTensor(torch.interpolate(t([0, 2, 4, 6], [1, 1, 1, 4]), [1, 2]), [1, 1, 1, 2], [1, 5]);
    expectTensor(torch.interpolate(t([0, 3], [1, 1, 1, 2]), [1, 4], { alignCorners: true }), [1, 1, 1, 4], [0, 1, 2, 3]);
  });
  test('nearest', () => {
    expectTensor(torch.interpolate(x, [4, 4], { mode: 'nearest' }), [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 7, 7, 3, 3, 7, 7]);
    // 2 -> 3: source index floor(i * 2/3) = 0, 0, 1
    expectTensor(torch.interpolate(x, [2, 3], { mode: 'nearest' }), [1, 1, 2, 3], [1, 1, 2, 3, 3, 7]);
  });
});

describe('shape ops', () => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  test('cat and stack', () => {
    expectTensor(torch.cat([a, t([7, 8, 9], [1, 3])], 0), [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectTensor(torch.cat([a, t([7, 8], [2, 1])], 1), [2, 4], [1, 2, 3, 7, 4, 5, 6, 8]);
    expectTensor(torch.cat([a, a], -1), [2, 6], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    expectTensor(torch.stack([t([1, 2]), t([3, 4])], 0), [2, 2], [1, 2, 3, 4]);
    expectTensor(torch.stack([t([1, 2]), t([3, 4])], 1), [2, 2], [1, 3, 2, 4]);
  });
  test('narrow, slice, indexSelect', () => {
    expectTensor(a.narrow(1, 1, 2), [2, 2], [2, 3, 5, 6]);
    expectTensor(a.narrow(0, 1, 1), [1, 3], [4, 5, 6]);
    expectTensor(torch.arange(10).slice(0, 1, 8, 3), [3], [1, 4, 7]);
    expectTensor(a.slice(1, 0, 3, 2), [2, 2], [1, 3, 4, 6]);
    expectTensor(a.indexSelect(1, torch.tensor(new BigInt64Array([2n, 0n, 2n]))), [2, 3], [3, 1, 3, 6, 4, 6]);
    expectTensor(a.indexSelect(0, torch.tensor(new Int32Array([1]))), [1, 3], [4, 5, 6]);
  });
  test('flip and rot90', () => {
    expectTensor(a.flip(1), [2, 3], [3, 2, 1, 6, 5, 4]);
    expectTensor(a.flip(0), [2, 3], [4, 5, 6, 1, 2, 3]);
    expectTensor(a.flip([0, 1]), [2, 3], [6, 5, 4, 3, 2, 1]);
    // counter-clockwise, as torch.rot90: [[1,2,3],[4,5,6]] -> [[3,6],[2,5],[1,4]]
    expectTensor(a.rot90(), [3, 2], [3, 6, 2, 5, 1, 4]);
    expectTensor(a.rot90(2), [2, 3], [6, 5, 4, 3, 2, 1]);
    expectTensor(a.rot90(3), [3, 2], [4, 1, 5, 2, 6, 3]);
    expectTensor(a.rot90(-1), [3, 2], [4, 1, 5, 2, 6, 3]);
    expectTensor(a.reshape(1, 1, 2, 3).rot90(1, [2, 3]), [1, 1, 3, 2], [3, 6, 2, 5, 1, 4]);
  });
  test('reshape, view, permute, transpose, contiguous', () => {
    expectTensor(a.reshape(3, 2), [3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(a.reshape([-1]), [6], [1, 2, 3, 4, 5, 6]);
    expectTensor(a.view(3, -1), [3, 2], [1, 2, 3, 4, 5, 6]);
    const p = a.permute(1, 0);
    expectTensor(p, [3, 2], [1, 4, 2, 5, 3, 6]);
    expectTensor(p.contiguous(), [3, 2], [1, 4, 2, 5, 3, 6]);
    expectTensor(p.contiguous().reshape(6), [6], [1, 4, 2, 5, 3, 6]);
    expectTensor(a.transpose(0, 1), [3, 2], [1, 4, 2, 5, 3, 6]);
    const c = torch.arange(24).reshape(2, 3, 4).permute([2, 0, 1]);
    assert.deepEqual(c.shape, [4, 2, 3]);
    expectTensor(c.narrow(0, 1, 1), [1, 2, 3], [1, 5, 9, 13, 17, 21]);
  });
  test('squeeze, unsqueeze, expand, repeat, clone, detach', () => {
    assert.deepEqual(torch.zeros([1, 2, 1]).squeeze().shape, [2]);
    assert.deepEqual(torch.zeros([1, 2, 1]).squeeze(0).shape, [2, 1]);
    assert.deepEqual(torch.zeros([2]).unsqueeze(0).shape, [1, 2]);
    expectTensor(t([1, 2]).unsqueeze(1).expand(2, 3), [2, 3], [1, 1, 1, 2, 2, 2]);
    expectTensor(t([1, 2]).repeat(2, 2), [2, 4], [1, 2, 1, 2, 1, 2, 1, 2]);
    const c = a.clone();
    c.copy_(torch.zeros([2, 3]));
    expectTensor(a, [2, 3], [1, 2, 3, 4, 5, 6], 0, 'clone is a copy');
    expectTensor(c, [2, 3], [0, 0, 0, 0, 0, 0]);
  });
  test('dtype and host transfer', () => {
    const x = t([1.5, -2.5]);
    assert.ok(x.dataSync() instanceof Float32Array);
    assert.equal(x.toType('float64').dtype, 'float64');
    assert.deepEqual(x.toType('int32').toArray(), [1, -2]);
    assert.ok(torch.tensor(new Float64Array([1, 2])).toFloat32Array() instanceof Float32Array);
    assert.deepEqual(x.float().toArray(), [1.5, -2.5]);
    assert.deepEqual(x.cpu().toArray(), [1.5, -2.5]);
    assert.deepEqual(torch.tensor(new BigInt64Array([5n])).toArray(), [5]);
    assert.equal(t([3]).item(), 3);
    assert.match(x.toString(), /shape=\[2\], dtype=float32, device=cpu/);
  });
});

describe('autograd basics', () => {
  test('noGrad, requiresGrad, detach, grad accumulation', () => {
    const w = t64([1, 2]).requiresGrad_();
    assert.equal(w.requiresGrad, true);
    assert.equal(w.grad, undefined);
    const y = torch.noGrad(() => w.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(w.mul(2).detach().requiresGrad, false);
    w.mul(w).sum().backward();
    expectTensor(w.grad!, [2], [2, 4]);
    w.mul(3).sum().backward();
    expectTensor(w.grad!, [2], [5, 7], 0, 'gradients accumulate');
    w.zeroGrad();
    assert.equal(w.grad, undefined);
    w.sum().backward(undefined);
    expectTensor(w.grad!, [2], [1, 1]);
    w.zeroGrad();
    w.mul(2).backward(t64([1, -1]));
    expectTensor(w.grad!, [2], [2, -2], 0, 'backward with an explicit gradient');
  });
});
