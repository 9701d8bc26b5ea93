// Optimizers against their closed forms (issue "Tensor engine").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/tensor/index.js';
import type { Tensor } from '../src/tensor/index.js';

const param = (values: number[]) => torch.keep(torch.tensor(Float64Array.from(values)).requiresGrad_());
const constant = (values: number[]) => torch.tensor(Float64Array.from(values));

function assertClose(actual: number[], expected: number[], tol = 1e-12, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

/** One training step of loss(w) with optimizer opt, in its own scope. */
function step(opt: torch.Adam | torch.SGD, loss: () => Tensor): void {
  torch.tidy(() => {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  });
}

describe('Adam', () => {
  test('first 3 steps match the bias-corrected closed form (constant gradient, non-default betas and eps)', () => {
    const w0 = [0.5, -1, 2], c = [0.3, -2, 0.01];
    const lr = 0.1, b1 = 0.8, b2 = 0.9, eps = 0.05;
    const w = param(w0);
    const cT = constant(c);
    const opt = new torch.Adam([w], { lr, betas: [b1, b2], eps });
    const expected = [...w0];
    for (let t = 1; t <= 3; t++) {
      step(opt, () => w.mul(cT).sum()); // gradient = c, every step
      for (let i = 0; i < c.length; i++) {
        // m_t = (1 - b1^t) c, v_t = (1 - b2^t) c^2 (geometric sums), bias-corrected back to c and c^2
        const m = (1 - b1 ** t) * c[i], v = (1 - b2 ** t) * c[i] ** 2;
        const mHat = m / (1 - b1 ** t), vHat = v / (1 - b2 ** t);
        expected[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      assertClose(w.toArray(), expected, 1e-12, `step ${t}`);
    }
    // eps matters: the small-gradient coordinate moved much less than lr per step
    assert.ok(Math.abs(w.toArray()[2] - w0[2]) < 0.3 * 3 * lr);
    // without bias correction the first step would be lr * (1-b1) c / (sqrt(1-b2) |c| + eps): clearly different
    const uncorrected = w0[0] - (lr * (1 - b1) * c[0]) / (Math.sqrt(1 - b2) * Math.abs(c[0]) + eps);
    assert.ok(Math.abs(uncorrected - (w0[0] - (lr * c[0]) / (Math.abs(c[0]) + eps))) > 1e-3);
  });

  test('matches a step-by-step reference when the gradient changes (loss = sum(c w^2 / 2), weight decay)', () => {
    const w0 = [1, -2, 0.5, 3], c = [1, 0.5, 4, -0.2];
    const lr = 0.05, b1 = 0.85, b2 = 0.95, eps = 1e-6, wd = 0.1;
    const w = param(w0);
    const cT = constant(c);
    const opt = new torch.Adam([w], { lr, betas: [b1, b2], eps, weightDecay: wd });
    const ref = [...w0], m = [0, 0, 0, 0], v = [0, 0, 0, 0];
    for (let t = 1; t <= 5; t++) {
      step(opt, () => cT.mul(w.square()).sum().div(2));
      for (let i = 0; i < 4; i++) {
        const g = c[i] * ref[i] + wd * ref[i]; // L2 weight decay added to the gradient (Adam, not AdamW)
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        ref[i] -= (lr * m[i] / (1 - b1 ** t)) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      }
      assertClose(w.toArray(), ref, 1e-10, `step ${t}`);
    }
  });

  test('defaults are lr 1e-3, betas (0.9, 0.999), eps 1e-8', () => {
    const w = param([1]);
    const opt = new torch.Adam([w]);
    assert.equal(opt.getLr(), 1e-3);
    step(opt, () => w.mul(constant([2])).sum());
    assertClose(w.toArray(), [1 - 1e-3 * 2 / (2 + 1e-8)]);
  });
});

describe('SGD', () => {
  test('plain SGD: w -= lr * g', () => {
    const w = param([1, 2]);
    const opt = new torch.SGD([w], { lr: 0.5 });
    step(opt, () => w.mul(constant([1, -4])).sum());
    assertClose(w.toArray(), [0.5, 4]);
  });

  test('momentum matches the closed form for 3 steps (constant gradient)', () => {
    const w0 = [1, -1], c = [2, -0.5], lr = 0.1, mu = 0.7;
    const w = param(w0);
    const cT = constant(c);
    const opt = new torch.SGD([w], { lr, momentum: mu });
    let travelled = 0; // sum over steps of the buffer factor 1 + mu + ... + mu^(t-1)
    for (let t = 1; t <= 3; t++) {
      step(opt, () => w.mul(cT).sum());
      travelled += (1 - mu ** t) / (1 - mu);
      assertClose(w.toArray(), w0.map((v, i) => v - lr * c[i] * travelled), 1e-12, `step ${t}`);
    }
    // 3 steps: factors 1, 1.7, 2.19
    assertClose([travelled], [1 + 1.7 + 2.19]);
  });

  test('weight decay adds wd * w to the gradient', () => {
    const w = param([2]);
    const opt = new torch.SGD([w], { lr: 0.1, weightDecay: 0.5 });
    step(opt, () => w.mul(constant([1])).sum());
    assertClose(w.toArray(), [2 - 0.1 * (1 + 0.5 * 2)]);
  });
});

describe('parameter groups, learning rate, zeroGrad', () => {
  test('groups step with their own learning rates; unset ones use the default', () => {
    const a = param([1]), b = param([1]), c = param([1]);
    const opt = new torch.SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.01 }, { params: [c] }], { lr: 0.5 });
    assert.equal(opt.getLr(0), 0.1);
    assert.equal(opt.getLr(1), 0.01);
    assert.equal(opt.getLr(2), 0.5);
    step(opt, () => a.add(b).add(c).mul(2).sum()); // every gradient is 2
    assertClose([a.item(), b.item(), c.item()], [1 - 0.2, 1 - 0.02, 1 - 1]);
  });

  test('Adam groups with their own learning rates', () => {
    const a = param([0]), b = param([0]);
    const opt = new torch.Adam([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.001 }]);
    step(opt, () => a.add(b).sum());
    // the first Adam step is lr * g / (|g| + eps) ~ lr
    assertClose([a.item(), b.item()], [-0.1 / (1 + 1e-8), -0.001 / (1 + 1e-8)]);
  });

  test('setLr changes the step size, for all groups or one', () => {
    const a = param([0]), b = param([0]);
    const opt = new torch.SGD([{ params: [a] }, { params: [b] }], { lr: 1 });
    const loss = () => a.add(b).sum(); // gradients 1
    step(opt, loss);
    assertClose([a.item(), b.item()], [-1, -1]);
    opt.setLr(0.25);
    assert.equal(opt.getLr(0), 0.25);
    assert.equal(opt.getLr(1), 0.25);
    step(opt, loss);
    assertClose([a.item(), b.item()], [-1.25, -1.25]);
    opt.setLr(2, 1);
    assert.equal(opt.getLr(0), 0.25);
    assert.equal(opt.getLr(1), 2);
    step(opt, loss);
    assertClose([a.item(), b.item()], [-1.5, -3.25]);
    assert.throws(() => opt.setLr(1, 2), /group 2 does not exist: this optimizer has groups 0 to 1/);
    assert.throws(() => opt.getLr(-1), /group -1 does not exist/);
  });

  test('a group\'s own betas are used (PyTorch\'s [beta1, beta2] form)', () => {
    // Step 2 with gradient 1 then 3: m2 = b1 (1 - b1) + 3 (1 - b1), so the step depends on b1.
    const run = (groupBetas?: [number, number]) => {
      const w = param([0]);
      const opt = new torch.Adam([{ params: [w], ...(groupBetas ? { betas: groupBetas } : {}) }], { lr: 0.1 });
      step(opt, () => w.sum());
      step(opt, () => w.mul(3).sum());
      return w.item();
    };
    const b1 = 0.5, b2 = 0.9;
    const m = (b1 * (1 - b1) * 1 + (1 - b1) * 3) / (1 - b1 ** 2), v = (b2 * (1 - b2) * 1 + (1 - b2) * 9) / (1 - b2 ** 2);
    assertClose([run([b1, b2])], [-0.1 / (1 + 1e-8) - (0.1 * m) / (Math.sqrt(v) + 1e-8)], 1e-12);
    assert.notEqual(run([b1, b2]), run());
    assert.throws(() => new torch.Adam([{ params: [param([0])], betas: [0.9] }]), /betas must be two numbers/);
  });

  test('setLr on Adam scales the step', () => {
    const w = param([0]);
    const opt = new torch.Adam([w], { lr: 0.1 });
    step(opt, () => w.sum());
    opt.setLr(0.01);
    step(opt, () => w.sum());
    // constant gradient 1: each step is lr / (1 + eps)
    assertClose(w.toArray(), [-(0.1 + 0.01) / (1 + 1e-8)]);
  });

  test('zeroGrad clears the gradients; without it they accumulate', () => {
    const w = param([1, 2]);
    const opt = new torch.SGD([w], { lr: 0 });
    w.mul(constant([3, 4])).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [3, 4]);
    w.mul(constant([3, 4])).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [6, 8], 'accumulates');
    opt.zeroGrad();
    assert.equal(w.grad, undefined);
    w.mul(constant([1, 1])).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [1, 1], 'fresh after zeroGrad');
  });

  test('a step without gradients leaves the parameters alone; an empty group is refused', () => {
    const w = param([1]);
    const opt = new torch.Adam([w], { lr: 0.1 });
    opt.step();
    assert.deepEqual(w.toArray(), [1]);
    assert.throws(() => new torch.SGD([{ params: [] }]), /empty parameter group/);
  });
});
