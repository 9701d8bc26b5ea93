// Finite-difference checks of every differentiable op's backward (issue "Tensor engine").
// float64 throughout; central differences; relative tolerance 1e-5.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/tensor/index.js';
import type { Tensor } from '../src/tensor/index.js';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let seed = 1;
/** A float64 tensor of uniform values in [lo, hi). */
function randT(shape: number[], lo = -1, hi = 1): Tensor {
  const r = rng(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  return torch.tensor(Float64Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
}
/** A float64 tensor of distinct values (no ties, gaps >= 0.05), shuffled: for max, median, maxPool. */
function distinctT(shape: number[]): Tensor {
  const r = rng(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.02);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return torch.tensor(Float64Array.from(v), shape);
}
/** Values with |x| in [0.2, 1.2): away from the kinks of abs, leakyRelu at 0. */
function awayFromZero(shape: number[]): Tensor {
  const r = rng(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  return torch.tensor(Float64Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.2 + r())), shape);
}

interface GradCheckOptions { eps?: number; rtol?: number; atol?: number }

/**
 * Compares the autograd gradient of L = sum(fn(inputs) * R) (R a fixed random weighting, so
 * no gradient can hide in a symmetric sum) with central differences, for every element of every
 * input. Inputs must be float64; they are copied, so the caller's tensors are left alone.
 * Throws an AssertionError naming the first element that disagrees.
 */
function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], { eps = 1e-6, rtol = 1e-5, atol = 1e-8 }: GradCheckOptions = {}): void {
  torch.tidy(() => {
    for (const x of inputs) assert.equal(x.dtype, 'float64', 'gradCheck inputs must be float64');
    const data = inputs.map((x) => Float64Array.from(x.dataSync() as Float64Array));
    const shapes = inputs.map((x) => x.shape);
    const leaves = data.map((d, k) => torch.tensor(d, shapes[k]).requiresGrad_());
    const out = fn(...leaves);
    assert.equal(out.dtype, 'float64', 'fn must keep float64');
    assert.ok(out.requiresGrad, 'fn output is not connected to the inputs');
    const r = rng(987);
    const weights = torch.tensor(Float64Array.from({ length: out.numel }, () => 0.5 + r()), out.shape);
    const loss = (o: Tensor) => o.mul(weights).sum();
    loss(out).backward();
    const analytic = leaves.map((l, k) => {
      const g = l.grad;
      return g ? g.toArray() : new Array<number>(data[k].length).fill(0);
    });
    const at = (k: number, j: number, delta: number): number => torch.tidy(() => torch.noGrad(() => {
      const d = Float64Array.from(data[k]);
      d[j] += delta;
      const xs = data.map((dd, m) => torch.tensor(m === k ? d : dd, shapes[m]));
      return loss(fn(...xs)).item();
    }));
    let largest = 0;
    for (let k = 0; k < data.length; k++) {
      for (let j = 0; j < data[k].length; j++) {
        const numeric = (at(k, j, eps) - at(k, j, -eps)) / (2 * eps);
        const a = analytic[k][j];
        largest = Math.max(largest, Math.abs(numeric));
        assert.ok(Math.abs(a - numeric) <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)),
          `input ${k} element ${j}: autograd ${a} vs finite difference ${numeric}`);
      }
    }
    assert.ok(largest > 1e-6, 'every gradient is zero: the check would prove nothing');
  });
}

describe('gradCheck itself', () => {
  test('passes a correct gradient and catches a wrong one', () => {
    gradCheck((x) => x.mul(x), [randT([5])]);
    // detach hides one factor from autograd: the gradient becomes x instead of 2x
    assert.throws(() => gradCheck((x) => x.mul(x.detach()), [randT([5])]), /autograd .* vs finite difference/);
    // a constant output has nothing to check
    assert.throws(() => gradCheck((x) => x.mul(0).add(1), [randT([3])]), /every gradient is zero/);
  });
});

describe('elementwise arithmetic (with broadcasting)', () => {
  test('add, sub, mul, div', () => {
    gradCheck((a, b) => a.add(b), [randT([2, 3]), randT([3])]);
    gradCheck((a, b) => a.sub(b), [randT([2, 1]), randT([1, 3])]);
    gradCheck((a, b) => a.mul(b), [randT([2, 3]), randT([2, 1])]);
    gradCheck((a, b) => a.div(b), [randT([2, 3]), randT([3], 0.5, 2)]);
    gradCheck((a) => a.add(2).mul(-3).sub(0.5).div(4).rsub(1), [randT([4])]);
  });
  test('pow: tensor exponent, scalar exponent', () => {
    gradCheck((a, b) => a.pow(b), [randT([2, 3], 0.5, 2), randT([2, 3], -1.5, 2.5)]);
    gradCheck((a) => a.pow(3), [randT([5])]);
    gradCheck((a) => a.pow(-0.5), [randT([5], 0.5, 2)]);
    gradCheck((a) => a.square(), [randT([5])]);
  });
  test('maximum, minimum, neg, reciprocal', () => {
    gradCheck((a, b) => a.maximum(b).add(a.minimum(b).mul(2)), [distinctT([6]), distinctT([6]).add(0.01)]);
    gradCheck((a) => a.neg().add(a.reciprocal()), [randT([5], 0.5, 2)]);
  });
  test('matmul: 2D, matrix-vector, batched', () => {
    gradCheck((a, b) => a.matmul(b), [randT([2, 3]), randT([3, 4])]);
    gradCheck((a, b) => a.matmul(b), [randT([3, 2]), randT([2])]);
    gradCheck((a, b) => a.matmul(b), [randT([2, 2, 3]), randT([3, 2])]);
  });
});

describe('unary functions', () => {
  test('abs (away from 0)', () => gradCheck((x) => x.abs(), [awayFromZero([8])]));
  test('sqrt', () => gradCheck((x) => x.sqrt(), [randT([6], 0.3, 3)]));
  test('exp', () => gradCheck((x) => x.exp(), [randT([6])]));
  test('log', () => gradCheck((x) => x.log(), [randT([6], 0.3, 3)]));
  test('sigmoid', () => gradCheck((x) => x.sigmoid(), [randT([6], -3, 3)]));
  test('tanh', () => gradCheck((x) => x.tanh(), [randT([6], -2, 2)]));
  test('leakyRelu (both slopes, away from 0)', () => {
    gradCheck((x) => x.leakyRelu(0.2), [awayFromZero([8])]);
    // In place on a non-leaf (as after BN in a conv block): autograd differentiates through the result.
    gradCheck((x) => x.mul(1.5).leakyRelu_(0.2), [awayFromZero([8])]);
    gradCheck((x) => torch.leakyRelu(x), [awayFromZero([8])]);
  });
  test('clamp: inside, below and above the bounds', () => {
    // values at -0.9 .. 0.9 in steps of 0.2: none within 0.05 of the bounds +-0.45
    const x = torch.tensor(Float64Array.from({ length: 10 }, (_, i) => -0.9 + 0.2 * i));
    gradCheck((v) => v.clamp(-0.45, 0.45), [x]);
    gradCheck((v) => v.clamp(0.05), [x]);
    gradCheck((v) => v.clamp(null, 0.05), [x]);
  });
  test('sin, cos, relu', () => {
    gradCheck((x) => x.sin().add(x.cos()), [randT([5], -3, 3)]);
    gradCheck((x) => x.relu(), [awayFromZero([6])]);
  });
});

describe('reductions', () => {
  test('sum: all, one dim, several dims, keepdim', () => {
    gradCheck((x) => x.sum(), [randT([2, 3])]);
    gradCheck((x) => x.sum(1), [randT([2, 3, 2])]);
    gradCheck((x) => x.sum([0, 2], true), [randT([2, 3, 2])]);
  });
  test('mean', () => {
    gradCheck((x) => x.mean(), [randT([2, 3])]);
    gradCheck((x) => x.mean(0, true), [randT([3, 2])]);
    gradCheck((x) => x.mean([1, 2]), [randT([2, 2, 3])]);
  });
  test('max and min (distinct values)', () => {
    gradCheck((x) => x.max(), [distinctT([3, 4])]);
    gradCheck((x) => x.max(1), [distinctT([3, 4])]);
    gradCheck((x) => x.max(0, true), [distinctT([3, 4])]);
    gradCheck((x) => x.min(), [distinctT([3, 4])]);
    gradCheck((x) => x.min(1, true), [distinctT([3, 4])]);
  });
  test('var: unbiased and biased, all and over dims', () => {
    gradCheck((x) => x.var(), [randT([2, 3])]);
    gradCheck((x) => x.var(undefined, { unbiased: false }), [randT([2, 3])]);
    gradCheck((x) => x.var(1), [randT([3, 4])]);
    gradCheck((x) => x.var([0, 2], { unbiased: false, keepdim: true }), [randT([2, 3, 2])]);
  });
  test('median: all (odd and even counts) and over a dim', () => {
    gradCheck((x) => x.median(), [distinctT([5])]);
    gradCheck((x) => x.median(), [distinctT([2, 3])]);
    gradCheck((x) => x.median(1), [distinctT([3, 4])]);
    gradCheck((x) => x.median(0, true), [distinctT([5, 2])]);
  });
  test('cumsum', () => {
    gradCheck((x) => x.cumsum(0), [randT([5])]);
    gradCheck((x) => x.cumsum(1), [randT([2, 4])]);
  });
});

describe('network ops', () => {
  test('conv2d: plain, with bias', () => {
    gradCheck((x, w, b) => torch.conv2d(x, w, b), [randT([1, 2, 4, 4]), randT([3, 2, 3, 3]), randT([3])]);
  });
  test('conv2d: stride and padding', () => {
    gradCheck((x, w, b) => torch.conv2d(x, w, b, { stride: 2, padding: 1 }), [randT([2, 2, 5, 5]), randT([2, 2, 3, 3]), randT([2])]);
    gradCheck((x, w) => torch.conv2d(x, w, null, { stride: [1, 2], padding: [0, 1] }), [randT([1, 1, 4, 5]), randT([2, 1, 2, 3])]);
  });
  test('conv2d: dilation', () => {
    gradCheck((x, w, b) => torch.conv2d(x, w, b, { dilation: 2, padding: 2 }), [randT([1, 2, 5, 5]), randT([2, 2, 3, 3]), randT([2])]);
  });
  test('conv2d: groups (grouped and depthwise) with stride and dilation', () => {
    gradCheck((x, w, b) => torch.conv2d(x, w, b, { groups: 2, stride: 2, dilation: 2, padding: 1 }),
      [randT([1, 4, 6, 6]), randT([4, 2, 3, 3]), randT([4])]);
    gradCheck((x, w) => torch.conv2d(x, w, null, { groups: 3 }), [randT([1, 3, 4, 4]), randT([3, 1, 2, 2])]);
  });
  test('conv2d: 1x1 kernel, as the skip and head convs', () => {
    gradCheck((x, w, b) => torch.conv2d(x, w, b), [randT([1, 3, 3, 3]), randT([2, 3, 1, 1]), randT([2])]);
  });
  test('pad: reflect and replicate (and constant)', () => {
    gradCheck((x) => torch.pad(x, [2, 1, 1, 2], 'reflect'), [randT([1, 2, 3, 4])]);
    gradCheck((x) => torch.pad(x, [2, 1, 1, 3], 'replicate'), [randT([1, 2, 3, 4])]);
    gradCheck((x) => torch.pad(x, [1, 0, 2, 1], 'constant', 0.5), [randT([1, 1, 3, 3])]);
  });
  test('batchNorm, training mode, with weight and bias', () => {
    gradCheck((x, w, b) => torch.batchNorm(x, { weight: w, bias: b, training: true }),
      [randT([2, 3, 2, 2]), randT([3], 0.5, 1.5), randT([3])]);
    // batch of one, as DIP, and the running statistics passed along
    gradCheck((x, w, b) => torch.batchNorm(x, { weight: w, bias: b, runningMean: torch.zeros([2], { dtype: 'float64' }),
      runningVar: torch.ones([2], { dtype: 'float64' }), training: true, eps: 1e-3 }), [randT([1, 2, 3, 3]), randT([2]), randT([2])]);
  });
  test('batchNorm without affine parameters', () => {
    gradCheck((x) => torch.batchNorm(x), [randT([1, 2, 3, 2])]);
  });
  test('avgPool2d: plain, strided, padded with and without counting the padding', () => {
    gradCheck((x) => torch.avgPool2d(x, 2), [randT([1, 2, 4, 4])]);
    gradCheck((x) => torch.avgPool2d(x, 3, { stride: 1 }), [randT([1, 1, 4, 5])]);
    gradCheck((x) => torch.avgPool2d(x, 2, { stride: 1, padding: 1 }), [randT([1, 1, 3, 3])]);
    gradCheck((x) => torch.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [randT([1, 1, 4, 4])]);
  });
  test('maxPool2d: plain, overlapping, padded (distinct values)', () => {
    gradCheck((x) => torch.maxPool2d(x, 2), [distinctT([1, 2, 4, 4])]);
    gradCheck((x) => torch.maxPool2d(x, 3, { stride: 1 }), [distinctT([1, 1, 4, 5])]);
    gradCheck((x) => torch.maxPool2d(x, 2, { stride: 2, padding: 1 }), [distinctT([1, 1, 3, 3])]);
  });
  test('interpolate bilinear, alignCorners true', () => {
    gradCheck((x) => torch.interpolate(x, [5, 7], { alignCorners: true }), [randT([1, 2, 3, 3])]);
    gradCheck((x) => torch.interpolate(x, [8, 8], { alignCorners: true }), [randT([1, 1, 4, 4])]);
  });
  test('interpolate bilinear, alignCorners false (up and down)', () => {
    gradCheck((x) => torch.interpolate(x, [5, 7], { alignCorners: false }), [randT([1, 2, 3, 3])]);
    gradCheck((x) => torch.interpolate(x, [2, 3], { alignCorners: false }), [randT([1, 1, 5, 5])]);
  });
  test('interpolate nearest', () => {
    gradCheck((x) => torch.interpolate(x, [6, 4], { mode: 'nearest' }), [randT([1, 2, 3, 2])]);
    gradCheck((x) => torch.interpolate(x, [2, 2], { mode: 'nearest' }), [randT([1, 1, 5, 4])]);
  });
});

describe('shape and selection ops', () => {
  test('cat and stack', () => {
    gradCheck((a, b) => torch.cat([a, b], 1), [randT([2, 2]), randT([2, 3])]);
    gradCheck((a, b) => torch.cat([b, a, b], 0), [randT([1, 3]), randT([2, 3])]);
    gradCheck((a, b) => torch.stack([a, b], 1), [randT([2, 3]), randT([2, 3])]);
  });
  test('narrow and slice', () => {
    gradCheck((x) => x.narrow(1, 1, 2), [randT([2, 4])]);
    gradCheck((x) => x.slice(0, 1, 6, 2), [randT([7])]);
  });
  test('indexSelect (with a repeated index)', () => {
    gradCheck((x) => x.indexSelect(1, torch.tensor(new BigInt64Array([2n, 0n, 2n]))), [randT([2, 3])]);
  });
  test('flip and rot90', () => {
    gradCheck((x) => x.flip([0, 1]), [randT([2, 3])]);
    gradCheck((x) => x.rot90(1, [2, 3]), [randT([1, 1, 2, 3])]);
    gradCheck((x) => x.rot90(3), [randT([2, 3])]);
  });
  test('permute, transpose, reshape, contiguous, expand, repeat, squeeze, unsqueeze, clone', () => {
    gradCheck((x) => x.permute(2, 0, 1).contiguous(), [randT([2, 3, 2])]);
    gradCheck((x) => x.transpose(0, 1).reshape(6), [randT([2, 3])]);
    gradCheck((x) => x.reshape(3, 2), [randT([2, 3])]);
    gradCheck((x) => x.unsqueeze(0).expand(3, 2).add(x.repeat(3, 1).mul(2)), [randT([2])]);
    gradCheck((x) => x.squeeze().clone(), [randT([1, 3, 1])]);
  });
  test('where (tensor and number branches, broadcast condition)', () => {
    const cond = torch.tensor(new Uint8Array([1, 0, 1, 1, 0, 0]), [2, 3]).gt(0);
    gradCheck((a, b) => torch.where(cond, a, b), [randT([2, 3]), randT([2, 3])]);
    gradCheck((a) => torch.where(cond, a, 0.5), [randT([2, 3])]);
    gradCheck((b) => torch.where(cond, -1, b), [randT([2, 3])]);
    gradCheck((a, b) => torch.where(torch.tensor(new Uint8Array([1, 0]), [2, 1]).gt(0), a, b), [randT([3]), randT([2, 3])]);
  });
});

describe('a composite: one DIP level', () => {
  test('reflect pad -> strided conv -> BN -> LeakyReLU -> bilinear up -> cat -> 1x1 conv -> sigmoid', () => {
    gradCheck((x, w1, b1, g, beta, w2, b2) => {
      const h = torch.batchNorm(torch.conv2d(torch.pad(x, [1, 1, 1, 1], 'reflect'), w1, b1, { stride: 2 }), { weight: g, bias: beta }).leakyRelu(0.2);
      const up = torch.interpolate(h, [4, 4], { alignCorners: true });
      return torch.conv2d(torch.cat([x, up], 1), w2, b2).sigmoid();
    }, [randT([1, 2, 4, 4]), randT([2, 2, 3, 3]), randT([2]), randT([2], 0.5, 1.5), randT([2]), randT([1, 4, 1, 1]), randT([1])]);
  });
});
