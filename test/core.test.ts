// The decomposition core: schedules, augmentation, noise, losses and the trainer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/tensor/index.js';
import { valueAt } from '../src/core/schedule.js';
import { transform, TRANSFORMS } from '../src/core/augment.js';
import { makeNoise } from '../src/core/noise.js';
import { exclusionLoss } from '../src/losses/exclusion.js';
import { binaryMask, darkChannelLoss, smoothness } from '../src/losses/regularisers.js';
import { maskedDistance, maskedL1 } from '../src/losses/reconstruction.js';
import { train, TrainingError } from '../src/core/trainer.js';
import type { Decomposition } from '../src/core/spec.js';

describe('schedules', () => {
  test('constant, steps and linear', () => {
    assert.equal(valueAt(0.5, 100), 0.5);
    assert.equal(valueAt(undefined, 3, 7), 7);
    const s = { steps: [[0, 1], [1000, 0]] as [number, number][] };
    assert.equal(valueAt(s, 999), 1);
    assert.equal(valueAt(s, 1000), 0);
    const l = { linear: [[0, 0], [100, 1]] as [number, number][] };
    assert.equal(valueAt(l, 50), 0.5);
    assert.equal(valueAt(l, 500), 1);
  });
});

describe('8-fold augmentation', () => {
  test('eight distinct transforms of a non-symmetric image, identity first', () => {
    torch.tidy(() => {
      const x = torch.arange(16).reshape(1, 1, 4, 4);
      const seen = new Set<string>();
      for (let a = 0; a < TRANSFORMS; a++) seen.add(transform(x, a).toArray().join(','));
      assert.equal(seen.size, 8);
      assert.deepEqual(transform(x, 0).toArray(), x.toArray());
    });
  });
  test('non-square inputs swap height and width under odd rotations', () => {
    torch.tidy(() => assert.deepEqual(transform(torch.zeros([1, 3, 8, 16]), 1).shape, [1, 3, 16, 8]));
  });
});

describe('noise', () => {
  test('uniform noise is scaled and shared noise has one copy', () => {
    torch.tidy(() => {
      torch.manualSeed(0);
      const z = makeNoise({ channels: 4, scale: 0.1 }, 3, 8, 8);
      assert.deepEqual(z.shape, [1, 4, 8, 8]);
      assert.ok(z.abs().max().item() <= 0.05 + 1e-7);
    });
  });
  test('drift noise changes little from frame to frame (paper eq. 5)', () => {
    torch.tidy(() => {
      const z = makeNoise({ channels: 2, scale: 1, perInput: 'drift', drift: 0.01 }, 5, 8, 8);
      assert.deepEqual(z.shape, [5, 2, 8, 8]);
      const step = z.narrow(0, 1, 4).sub(z.narrow(0, 0, 4)).abs().max().item();
      assert.ok(step <= 0.005 + 1e-6, `step ${step}`);
      assert.ok(z.narrow(0, 0, 1).var().item() > 0.05);
    });
  });
  test('meshgrid noise holds the coordinates', () => {
    torch.tidy(() => {
      const z = makeNoise({ channels: 2, kind: 'meshgrid' }, 1, 4, 5);
      assert.deepEqual(z.shape, [1, 2, 4, 5]);
      assert.deepEqual(z.narrow(1, 0, 1).narrow(2, 0, 1).reshape(5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    });
  });
});

describe('losses', () => {
  test('exclusion loss is small for layers with edges in different places, larger for the same edges', () => {
    torch.tidy(() => {
      const [y, x] = torch.meshgrid([torch.linspace(0, 1, 32), torch.linspace(0, 1, 32)]);
      const vertical = x.gt(0.5).float().expand(1, 3, 32, 32).contiguous();
      const horizontal = y.gt(0.5).float().expand(1, 3, 32, 32).contiguous();
      const apart = exclusionLoss(vertical, horizontal).item();
      const same = exclusionLoss(vertical, vertical).item();
      assert.ok(apart < 0.01, `apart ${apart}`);
      assert.ok(same > 10 * apart, `same ${same} apart ${apart}`);
      // A one-channel map (an opacity) against a colour layer: every pair of channels counts.
      const edge = x.gt(0.5).float().view(1, 1, 32, 32);
      const mixedSame = exclusionLoss(edge, vertical).item(), mixedApart = exclusionLoss(edge, horizontal).item();
      assert.ok(Math.abs(mixedSame - same) < 1e-4, `mixed ${mixedSame} vs ${same}`);
      assert.ok(mixedApart < 0.01, `mixed apart ${mixedApart}`);
    });
  });
  test('exclusion loss has finite gradients', () => {
    torch.tidy(() => {
      const a = torch.rand([1, 3, 16, 16]).requiresGrad_();
      exclusionLoss(a, torch.rand([1, 3, 16, 16])).backward();
      assert.equal(a.grad!.isfinite().all().item(), 1);
    });
  });
  test('binary-mask regulariser prefers binary masks; smoothness prefers flat maps', () => {
    torch.tidy(() => {
      assert.ok(binaryMask(torch.full([1, 1, 8, 8], 0.5)).item() > binaryMask(torch.rand([1, 1, 8, 8]).round()).item());
      assert.ok(Math.abs(binaryMask(torch.ones([1, 1, 4, 4])).item() - 2) < 1e-4);
      assert.ok(smoothness(torch.full([1, 3, 16, 16], 0.3)).item() < 1e-10);
      assert.ok(smoothness(torch.rand([1, 3, 16, 16])).item() > 1e-3);
    });
  });
  test('dark channel loss: the patch minimum over colours, averaged; haze lifts it', () => {
    torch.tidy(() => {
      // One dark pixel darkens every patch that contains it.
      const x = torch.full([1, 3, 8, 8], 0.6).add(torch.tensor(Array.from({ length: 192 }, (_, i) => (i === 64 + 27 ? -0.5 : 0)), [1, 3, 8, 8]));
      assert.ok(Math.abs(darkChannelLoss(x, 3).item() - (0.6 - 0.5 * 9 / 64)) < 1e-5, 'a 3x3 neighbourhood of one green pixel reads 0.1');
      const clear = torch.rand([1, 3, 16, 16]), hazy = clear.mul(0.5).add(0.45);
      assert.ok(darkChannelLoss(hazy).item() > darkChannelLoss(clear).item() + 0.3);
    });
  });
  test('dark channel loss counted by a map: pixels weighted by it, no gradient into it', () => {
    torch.tidy(() => {
      const x = torch.rand([1, 3, 8, 8]).requiresGrad_(), by = torch.tensor(Array.from({ length: 64 }, (_, i) => (i < 32 ? 1 : 0)), [1, 1, 8, 8]).requiresGrad_();
      assert.ok(Math.abs(darkChannelLoss(x, 3, torch.ones([1, 1, 8, 8])).item() - darkChannelLoss(x, 3).item()) < 1e-6, 'a map of ones changes nothing');
      assert.ok(darkChannelLoss(x, 3, torch.zeros([1, 1, 8, 8])).item() === 0, 'a map of zeros silences it');
      const top = darkChannelLoss(x, 3, by), bottom = darkChannelLoss(x, 3, by.rsub(1).detach());
      assert.ok(Math.abs(top.item() + bottom.item() - darkChannelLoss(x, 3).item()) < 1e-6, 'the two halves add up to the whole');
      top.backward();
      assert.ok(x.grad, 'the layer gets a gradient');
      assert.equal(by.grad, undefined, 'the map is held fixed');
    });
  });
  test('masked L1 looks only where the hint is on', () => {
    torch.tidy(() => {
      const h = torch.tensor([1, 1, 0, 0], [1, 1, 2, 2]);
      const a = torch.tensor([1, 1, 5, 5], [1, 1, 2, 2]), b = torch.tensor([1, 1, 0, 0], [1, 1, 2, 2]);
      assert.equal(maskedL1(a, b, h).item(), 0);
    });
  });
  test('masked L1 and MSE are means over the pixels where the map is on', () => {
    torch.tidy(() => {
      const h = torch.tensor([1, 1, 0, 0], [1, 1, 2, 2]);
      const a = torch.tensor([3, 1, 5, 5], [1, 1, 2, 2]), b = torch.tensor([1, 0, 0, 0], [1, 1, 2, 2]);
      assert.ok(Math.abs(maskedDistance(a, b, h, 'l1').item() - 1.5) < 1e-6, '(2 + 1) / 2');
      assert.ok(Math.abs(maskedDistance(a, b, h, 'mse').item() - 2.5) < 1e-6, '(4 + 1) / 2');
      assert.equal(maskedDistance(a, b, h).item(), maskedL1(a, b, h).item());
    });
  });
});

function fitOne(iterations: number, extra: Partial<Decomposition> = {}): Decomposition {
  torch.manualSeed(3);
  const inputs = torch.keep(torch.rand([1, 3, 32, 32]).mul(0.5).add(0.25));
  return {
    inputs,
    layers: [{ name: 'y', net: 'A', channels: 3, noise: { channels: 2, scale: 0.1 } }],
    mixtures: [{ kind: 'sum', layers: ['y'] }],
    phases: [{ name: 'fit', iterations, lr: 0.01, terms: [{ kind: 'reconstruction', metric: 'mse' }] }],
    ...extra,
  };
}

describe('trainer', () => {
  test('fits an image and returns the best iterate', async () => {
    const d = fitOne(60);
    const progress: number[] = [];
    const r = await train(d, { seed: 1, onProgress: (p) => progress.push(p.loss) });
    assert.equal(r.iterations, 60);
    assert.equal(r.stopReason, 'completed');
    assert.ok(progress[59] < progress[0] * 0.8, `loss ${progress[0]} -> ${progress[59]}`);
    assert.ok(r.psnr >= Math.max(...r.history.map((h) => h.psnr)) - 1, 'best iterate kept');
    assert.deepEqual(r.layers.y[0].shape, [1, 3, 32, 32]);
    torch.dispose([d.inputs, r.layers, r.reconstructions]);
  });

  test('is deterministic for a seed on CPU', async () => {
    const run = async (seed: number) => {
      const d = fitOne(10);
      const r = await train(d, { seed });
      const v = r.layers.y[0].toArray();
      torch.dispose([d.inputs, r.layers, r.reconstructions]);
      return v;
    };
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('stops on abort and on the time budget, keeping a result', async () => {
    const controller = new AbortController();
    const d = fitOne(1000);
    const r = await train(d, { signal: controller.signal, onProgress: (p) => { if (p.iteration === 5) controller.abort(); } });
    assert.equal(r.stopReason, 'aborted');
    assert.equal(r.iterations, 5); // the steps trained: the abort came during step 5's progress
    assert.ok(r.reconstructions[0].isfinite().all().item());
    const r2 = await train(d, { maxSeconds: 0 });
    assert.equal(r2.stopReason, 'time');
    torch.dispose([d.inputs, r.layers, r.reconstructions, r2.layers, r2.reconstructions]);
  });

  test('stops once the reconstruction PSNR passes the phase threshold', async () => {
    const d = fitOne(500);
    d.phases[0].stopAbovePsnr = 15;
    const r = await train(d);
    assert.equal(r.stopReason, 'psnr');
    assert.ok(r.iterations < 500);
    torch.dispose([d.inputs, r.layers, r.reconstructions]);
  });

  test('reading the loss every N steps (as on CUDA) trains the same steps; history, progress, stops and errors go by the reads', async () => {
    const seen: number[] = [];
    const sparse = fitOne(25, { keepBest: false }), dense = fitOne(25, { keepBest: false });
    const r = await train(sparse, { seed: 1, readEvery: 10, onProgress: (p) => seen.push(p.iteration) });
    const all = await train(dense, { seed: 1 });
    assert.equal(r.iterations, 25);
    assert.deepEqual(seen, [10, 20, 25]); // and the phase's last step
    assert.deepEqual(r.history.map((h) => h.iteration), [10, 20, 25]);
    assert.equal(all.history.length, 25);
    assert.deepEqual(r.layers.y[0].toArray(), all.layers.y[0].toArray(), 'reads changed the training');
    assert.equal(r.history[1].loss, all.history[19].loss);

    const stopping = fitOne(500);
    stopping.phases[0].stopAbovePsnr = 15;
    const s = await train(stopping, { readEvery: 7 });
    assert.equal(s.stopReason, 'psnr');
    assert.equal(s.iterations % 7, 0);

    const bad = fitOne(5, { given: { bad: torch.keep(torch.full([1, 3, 32, 32], NaN)) } });
    bad.phases[0].terms.push({ kind: 'match', layer: 'y', target: 'bad', metric: 'l1' });
    await assert.rejects(train(bad, { readEvery: 3 }), (e: Error) => e instanceof TrainingError && /NaN at iteration 3/.test(e.message));
    await assert.rejects(train(bad, { readEvery: 0 }), /readEvery must be a whole number >= 1, got 0/);
    torch.dispose([sparse.inputs, dense.inputs, stopping.inputs, bad.inputs, bad.given, r.layers, r.reconstructions, all.layers, all.reconstructions,
      s.layers, s.reconstructions]);
  });

  test('a NaN loss is a clear error', async () => {
    const d = fitOne(5, { given: { bad: torch.keep(torch.full([1, 3, 32, 32], NaN)) } });
    d.phases[0].terms.push({ kind: 'match', layer: 'y', target: 'bad', metric: 'l1' });
    await assert.rejects(train(d), (e: Error) => e instanceof TrainingError && /diverged.*NaN.*iteration 1/.test(e.message));
    torch.dispose([d.inputs, d.given]);
  });

  test('bad descriptions are rejected with the reason', async () => {
    const d = fitOne(5);
    await assert.rejects(train({ ...d, mixtures: [] }), /1 inputs but 0 mixtures/);
    await assert.rejects(train({ ...d, mixtures: [{ kind: 'sum', layers: ['nope'] }] }), /Unknown layer or given map "nope"/);
    d.inputs.dispose();
  });

  test('a match term within a given map pulls the layer only there', async () => {
    // Target 1 on the left half, 0 on the right; counted on the left half only, a weak pull to
    // 0.3 everywhere decides the right half.
    const left = torch.keep(torch.cat([torch.ones([1, 1, 32, 16]), torch.zeros([1, 1, 32, 16])], 3));
    const d = fitOne(150, {
      layers: [{ name: 'm', net: 'A', channels: 1, noise: { channels: 2, scale: 0.1 } }],
      given: { target: left, left },
      mixtures: [{ kind: 'sum', layers: ['m'] }],
      phases: [{ name: 'fit', iterations: 150, lr: 0.01, terms: [
        { kind: 'match', layer: 'm', target: 'target', metric: 'mse', within: 'left' },
        { kind: 'match', layer: 'm', target: 0.3, metric: 'mse', weight: 0.05 },
      ] }],
      keepBest: false,
    });
    const r = await train(d);
    const m = r.layers.m[0].toFloat32Array();
    let l = 0, rt = 0;
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) (x < 16 ? (l += m[y * 32 + x]) : (rt += m[y * 32 + x]));
    l /= 512; rt /= 512;
    assert.ok(l > 0.8, `left half ${l.toFixed(3)} pulled to the target 1`);
    assert.ok(rt > 0.08 && rt < 0.6, `right half ${rt.toFixed(3)} left to the weak pull to 0.3, not the target 0`);
    torch.dispose([d.inputs, left, r.layers, r.reconstructions]);
  });

  test('a map layer made at low resolution is upsampled to the inputs and stays smooth', async () => {
    const d = fitOne(3, {
      layers: [{ name: 'y', net: 'B', channels: 3, size: [64, 64], noise: { channels: 2, kind: 'meshgrid' } }],
      phases: [{ name: 'fit', iterations: 3, augment: 'all', terms: [{ kind: 'reconstruction' }] }],
    });
    const big = torch.keep(torch.rand([1, 3, 128, 192]));
    d.inputs.dispose();
    const r = await train({ ...d, inputs: big });
    assert.deepEqual(r.layers.y[0].shape, [1, 3, 128, 192]);
    // Bilinear upsampling by 2-3x: neighbouring pixels differ far less than in the noise-like input.
    const rough = (t: torch.Tensor) => torch.tidy(() => t.narrow(3, 1, 191).sub(t.narrow(3, 0, 191)).abs().mean().item());
    assert.ok(rough(r.layers.y[0]) < rough(big) / 5);
    torch.dispose([big, r.layers, r.reconstructions]);
  });

  test('an exclusion term across two inputs compares layer 1 at one input with layer 2 at another', async () => {
    torch.manualSeed(0);
    const inputs = torch.keep(torch.rand([2, 3, 32, 32]));
    const spec = (at?: [number, number]): Decomposition => ({
      inputs,
      layers: [
        { name: 'c1', net: 'A', channels: 3, noise: { channels: 2 }, inputs: [0] },
        { name: 'c2', net: 'A', channels: 3, noise: { channels: 2 }, inputs: [1] },
      ],
      mixtures: [{ kind: 'sum', layers: ['c1'] }, { kind: 'sum', layers: ['c2'] }],
      phases: [{ name: 'p', iterations: 1, lr: 0, augment: 'none', terms: [{ kind: 'exclusion', layers: ['c1', 'c2'], ...(at ? { at } : {}) }] }],
    });
    // Without `at` no input has both layers: nothing to optimise.
    await assert.rejects(train(spec()), /no active loss term/);
    const r = await train(spec([0, 1]));
    const expected = torch.tidy(() => exclusionLoss(r.layers.c1[0], r.layers.c2[1]).item());
    assert.ok(Math.abs(r.history[0].terms['exclusion(c1,c2)'] - expected) < 1e-5, `${JSON.stringify(r.history[0].terms)} vs ${expected}`);
    torch.dispose([inputs, r.layers, r.reconstructions]);
  });

  test('two mixtures share layers and learn one coefficient each', async () => {
    torch.manualSeed(0);
    const inputs = torch.keep(torch.rand([2, 3, 32, 32]));
    const r = await train({
      inputs,
      layers: [
        { name: 'a', net: 'A', channels: 3, noise: { channels: 2 } },
        { name: 'b', net: 'A', channels: 3, noise: { channels: 2 } },
        { name: 'm', net: 'A', channels: 1, output: 'scalar', range: [0.1, 0.9], size: [16, 16], noise: { channels: 2, perInput: 'independent' } },
      ],
      mixtures: [{ kind: 'blend', mask: 'm', a: 'a', b: 'b' }, { kind: 'blend', mask: 'm', a: 'a', b: 'b' }],
      phases: [{ name: 'p', iterations: 4, augment: 'all', terms: [{ kind: 'reconstruction' }, { kind: 'exclusion', layers: ['a', 'b'], weight: 0.1 }] }],
    });
    assert.equal(r.reconstructions.length, 2);
    const [m0, m1] = r.layers.m.map((t) => t.item());
    for (const m of [m0, m1]) assert.ok(m > 0.1 && m < 0.9);
    assert.notEqual(m0, m1);
    torch.dispose([inputs, r.layers, r.reconstructions]);
  });
});

describe('iterations asked for are iterations run', () => {
  test('phase lengths add up to the total, longest phases kept when the total is below the number of phases', async () => {
    const { phaseLengths, scalePhases } = await import('../src/tasks/common.js');
    for (const [planned, total] of [[[500, 1500], 1], [[500, 1500], 2], [[500, 1500], 2000], [[100, 1000, 100], 2], [[100, 1000, 100], 3],
      [[100, 1000, 100], 7], [[300, 700], 999], [[1, 1, 1, 1], 3]] as [number[], number][]) {
      const n = phaseLengths(planned, total);
      assert.equal(n.reduce((a, b) => a + b, 0), total, `${planned} -> ${total}: ${n}`);
      if (total >= planned.length) assert.ok(n.every((k) => k >= 1), `${planned} -> ${total}: ${n}`);
    }
    assert.deepEqual(phaseLengths([500, 1500], 2000), [500, 1500]);
    assert.deepEqual(phaseLengths([500, 1500], 1), [0, 1]);
    const phases = [{ name: 'a', iterations: 500, terms: [] }, { name: 'b', iterations: 1500, terms: [] }];
    assert.deepEqual(scalePhases(phases as never, 1).map((p) => [p.name, p.iterations]), [['b', 1]]);
  });
});
