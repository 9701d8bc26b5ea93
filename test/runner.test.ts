// The runner: device, threads and seed are settings of a run, not of the process; every tensor a
// run makes is freed; a plan over host images gives host images back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { createImage } from '../src/image/image.js';
import { run, repeat } from '../src/core/run.js';
import { workingSize } from '../src/core/working-size.js';
import { segment } from '../src/tasks/segment.js';
import { squareScene } from './support/images.js';

const plan = () => ({
  inputs: [squareScene(32, 32)],
  layers: [{ name: 'y', net: 'A' as const, channels: 3, noise: { channels: 2, scale: 0.1 } }],
  mixtures: [{ kind: 'sum' as const, layers: ['y'] }],
  phases: [{ name: 'fit', iterations: 2, lr: 1e-3, terms: [{ kind: 'reconstruction' as const }] }],
});

describe('runner', () => {
  test('a task leaves the thread count and the default device as they were, and reports what it used', async () => {
    const before = torch.getNumThreads();
    torch.setNumThreads(1);
    try {
      const r = await segment(squareScene(48, 48), { size: 64, iterations: 1, threads: 2 });
      assert.equal(r.report.engine.threads, 2, 'the report states the threads the run used');
      assert.equal(r.report.engine.device, 'cpu');
      assert.equal(torch.getNumThreads(), 1, 'the process keeps its own thread count');
      assert.equal(torch.defaultDevice(), 'cpu');
    } finally {
      torch.setNumThreads(before);
    }
  });

  test("a task leaves the random generator's sequence where it was", async () => {
    torch.manualSeed(42);
    const expected = torch.tidy(() => torch.randn([4]).toFloat32Array());
    torch.manualSeed(42);
    await segment(squareScene(48, 48), { size: 64, iterations: 1, seed: 7 });
    assert.deepEqual(torch.tidy(() => torch.randn([4]).toFloat32Array()), expected);
  });

  test('a failed run (an unusable device) still puts everything back', async () => {
    const before = torch.getNumThreads();
    await assert.rejects(run(plan(), { device: 'cuda:7', threads: 1 }), /cuda|CUDA/);
    assert.equal(torch.getNumThreads(), before);
    assert.equal(torch.defaultDevice(), 'cpu');
  });

  test('runs started together take turns, each with its own settings', async () => {
    const [a, b] = await Promise.all([run(plan(), { threads: 1, seed: 3 }), run(plan(), { threads: 2, seed: 3 })]);
    assert.equal(a.threads, 1);
    assert.equal(b.threads, 2);
    assert.deepEqual(a.layers.y[0].data.length, 32 * 32 * 3, 'host images at the working size');
  });

  test('the same seed and thread count give the same result', async () => {
    const [a, b] = [await run(plan(), { threads: 1, seed: 5 }), await run(plan(), { threads: 1, seed: 5 })];
    assert.deepEqual(a.layers.y[0].data, b.layers.y[0].data);
    const c = await run(plan(), { threads: 1, seed: 6 });
    assert.notDeepEqual(a.layers.y[0].data, c.layers.y[0].data);
  });

  test('a run frees every tensor it made', async () => {
    await run(plan(), { threads: 1 }); // warm-up: lazy native state
    const n = native.liveTensors();
    await run({ ...plan(), given: { unused: createImage(32, 32, 1) } }, { threads: 1 });
    assert.equal(native.liveTensors(), n);
    await assert.rejects(run({ ...plan(), layers: [] }, { threads: 1 }));
    assert.equal(native.liveTensors(), n, 'and when the run fails');
  });

  test('repeat: runs share one time budget and stop after a run stopped by a signal', async () => {
    const seen: number[] = [];
    const done = await repeat(3, { maxSeconds: 100 }, 'run', async (k, s) => {
      seen.push(s.maxSeconds!);
      return { report: { seconds: 40, stopReason: k === 1 ? 'aborted' : 'completed' } };
    });
    assert.equal(done.length, 2, 'the series ends with the aborted run');
    assert.deepEqual(seen, [100, 60]);
    const budget = await repeat(3, { maxSeconds: 50 }, 'run', async () => ({ report: { seconds: 30, stopReason: 'completed' } }));
    assert.equal(budget.length, 2, 'no run starts once the budget is spent');
  });

  test('the working size comes from the networks: multiples of 2^levels, at least what the deepest level needs', () => {
    assert.deepEqual(workingSize(300, 200, 256, ['A']), { width: 256, height: 168 });
    assert.deepEqual(workingSize(300, 200, 256, ['B']), { width: 256, height: 160 });
    assert.deepEqual(workingSize(1000, 100, 256, ['C', 'D']), { width: 256, height: 96 }, "config C's 5x5 kernels need 3 px at its deepest level");
    assert.throws(() => workingSize(100, 100, 32, ['B']), /too small/);
    assert.equal(createImage(1, 1, 1).data.length, 1);
  });
});
