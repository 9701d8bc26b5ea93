// Deterministic memory release: tidy() scopes, and a long DIP training run that must not grow.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/tensor/index.js';
import type { Tensor } from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { skip } from '../src/nn/skip.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const STEPS = 2000, FIRST_MARK = 200, BOUND_MB = 24; // catches a leaked 1x3x32x32 tensor per step (+113 MB); loose enough for a busy machine

/**
 * 2,000 training steps of a config-A DIP net (2 noise channels, 32x32, Adam), each step in
 * tidy(), yielding to the event loop between steps as the trainer does. Returns the RSS (after a
 * full GC) at step 200 and at step 2000, and the first and last loss.
 * Verified to fail when one tensor per step leaks (kept in an array): keeping the net output
 * (1x3x32x32) grew RSS by 108 MB, keeping the perturbed input (1x2x32x32) by 17.3 MB; without a
 * leak it grows 1.4-2.7 MB under tcmalloc and shrinks under plain glibc.
 */
async function trainAndMeasure(): Promise<{ at200: number; at2000: number; v8At200: number; v8At2000: number; first: number; last: number; allocator: string }> {
  torch.manualSeed(0);
  const net = skip('A', 2, 3);
  const params = net.parameters();
  const opt = new torch.Adam(params, { lr: 1e-3 });
  const z = torch.keep(torch.uniform([1, 2, 32, 32], -0.05, 0.05));
  const target = torch.keep(torch.rand([1, 3, 32, 32]));
  // After full GCs around a turn of the event loop (which runs the finalization callbacks).
  const rssMB = async () => {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss / 2 ** 20, v8: m.heapTotal / 2 ** 20 };
  };
  let at200 = { rss: 0, v8: 0 }, first = 0, last = 0;
  for (let i = 1; i <= STEPS; i++) {
    const loss = torch.tidy(() => {
      opt.zeroGrad();
      const out = net.forward(z.add(torch.randn([1, 2, 32, 32]).mul(0.01)));
      const l = out.sub(target).square().mean();
      l.backward();
      opt.step();
      return l.item();
    });
    if (i === 1) first = loss;
    last = loss;
    if (i === FIRST_MARK) at200 = await rssMB();
    await new Promise((r) => setImmediate(r));
  }
  const at2000 = await rssMB();
  torch.dispose([params, z, target]);
  return { at200: at200.rss, at2000: at2000.rss, v8At200: at200.v8, v8At2000: at2000.v8, first, last, allocator: torch.engineInfo().allocator };
}

const TCMALLOC = ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4'].find((p) => existsSync(p));

if (process.env.DD_MEMORY_CHILD === '1') {
  // The child side of the test below: train, print the measurements, nothing else.
  console.log(`DD_RESULT ${JSON.stringify(await trainAndMeasure())}`);
} else {
  describe('tidy scopes', () => {
    test('tidy frees what it does not return', () => {
      let a!: Tensor, b!: Tensor;
      const r = torch.tidy(() => {
        a = torch.ones([3]);
        b = a.mul(2);
        return b.add(1);
      });
      assert.equal(a.isDisposed, true);
      assert.equal(b.isDisposed, true);
      assert.equal(r.isDisposed, false);
      assert.deepEqual(r.toArray(), [3, 3, 3]);
      r.dispose();
      assert.equal(r.isDisposed, true);
    });

    test('nested results (arrays, objects, Maps) come back intact; the rest is freed', () => {
      let scratch!: Tensor;
      const out = torch.tidy(() => {
        scratch = torch.zeros([2]);
        return { list: [torch.ones([1]), { deep: torch.full([1], 2) }], map: new Map([['k', torch.full([1], 3)]]), n: 4, s: 'x' };
      });
      assert.equal(scratch.isDisposed, true);
      assert.deepEqual((out.list[0] as Tensor).toArray(), [1]);
      assert.deepEqual((out.list[1] as { deep: Tensor }).deep.toArray(), [2]);
      assert.deepEqual(out.map.get('k')!.toArray(), [3]);
      assert.equal(out.n, 4);
      torch.dispose(out);
      assert.equal((out.list[0] as Tensor).isDisposed, true);
      assert.equal(out.map.get('k')!.isDisposed, true);
    });

    test('tidy disposes everything on throw and rethrows', () => {
      let made!: Tensor;
      assert.throws(() => torch.tidy(() => {
        made = torch.ones([2]);
        throw new Error('boom');
      }), /boom/);
      assert.equal(made.isDisposed, true);
      // an engine error inside tidy too
      let before!: Tensor;
      assert.throws(() => torch.tidy(() => {
        before = torch.ones([2, 3]);
        return before.matmul(torch.ones([4, 5]));
      }), /cannot be multiplied/);
      assert.equal(before.isDisposed, true);
    });

    test('nested tidy: the inner result moves to the outer scope and is freed with it', () => {
      let inner!: Tensor, innerScratch!: Tensor;
      const r = torch.tidy(() => {
        inner = torch.tidy(() => {
          innerScratch = torch.ones([2]);
          return innerScratch.add(1);
        });
        assert.equal(innerScratch.isDisposed, true);
        assert.equal(inner.isDisposed, false);
        return inner.sum();
      });
      assert.equal(inner.isDisposed, true, 'the inner result belonged to the outer scope');
      assert.equal(r.item(), 4);
    });

    test('keep() lets a tensor outlive its scope; tensors made outside are never touched', () => {
      const outside = torch.ones([2]);
      let kept!: Tensor;
      torch.tidy(() => {
        kept = torch.keep(outside.mul(5));
        outside.add(1);
      });
      assert.equal(outside.isDisposed, false);
      assert.equal(kept.isDisposed, false);
      assert.deepEqual(kept.toArray(), [5, 5]);
    });

    test('gradients read inside tidy are freed with it; the parameter keeps its own', () => {
      const w = torch.keep(torch.ones([2]).requiresGrad_());
      let g!: Tensor;
      torch.tidy(() => {
        w.mul(3).sum().backward();
        g = w.grad!;
      });
      assert.equal(g.isDisposed, true);
      assert.deepEqual(w.grad!.toArray(), [3, 3]);
    });

    test('dispose frees the native tensor at once; a stale handle stays dead when its slot is reused', () => {
      const before = native.liveTensors();
      const t = torch.ones([1000]);
      const h = t.handle;
      assert.equal(native.liveTensors(), before + 1);
      t.dispose();
      assert.equal(native.liveTensors(), before);
      assert.equal(native.isFreed(h), true);
      const u = torch.zeros([3]); // may take the freed slot
      assert.equal(native.isFreed(h), true, 'the old handle does not alias the new tensor');
      assert.throws(() => native.unary('abs', h), /Tensor used after it was freed/);
      assert.deepEqual(u.toArray(), [0, 0, 0]);
      u.dispose();
    });

    test('a tensor never disposed is freed by the GC once unreachable', async () => {
      const before = native.liveTensors();
      (() => {
        for (let i = 0; i < 20; i++) torch.ones([10]); // made outside any scope and dropped
        for (let i = 0; i < 20; i++) torch.tidy(() => torch.ones([10]).add(1)); // results of the outermost tidy
        for (let i = 0; i < 10; i++) torch.tidy(() => { torch.keep(torch.ones([10])); }); // kept, then dropped
      })();
      assert.equal(native.liveTensors(), before + 50);
      for (let k = 0; k < 50 && native.liveTensors() > before; k++) {
        gc();
        await new Promise((r) => setTimeout(r, 20)); // FinalizationRegistry callbacks run between tasks, when V8 gets to them
      }
      // <=: garbage tensors of earlier tests may be collected as well
      assert.ok(native.liveTensors() <= before, `${native.liveTensors() - before} of the 50 dropped tensors are still alive`);
    });

    test('tidyAsync scopes an async function', async () => {
      let a!: Tensor;
      const r = await torch.tidyAsync(async () => {
        a = torch.ones([2]);
        await new Promise((res) => setImmediate(res));
        return a.add(1);
      });
      assert.equal(a.isDisposed, true);
      assert.deepEqual(r.toArray(), [2, 2]);
      let b!: Tensor;
      await assert.rejects(torch.tidyAsync(async () => {
        b = torch.ones([1]);
        throw new Error('async boom');
      }), /async boom/);
      assert.equal(b.isDisposed, true);
      // a nested tidyAsync's result belongs to the enclosing scope and is freed with it
      let inner!: Tensor;
      const outer = await torch.tidyAsync(async () => {
        inner = await torch.tidyAsync(async () => torch.ones([2]));
        assert.equal(inner.isDisposed, false);
        return inner.sum();
      });
      assert.equal(inner.isDisposed, true);
      assert.equal(outer.item(), 2);
    });
  });

  describe('a long training run', () => {
    // In a fresh child process under a returning allocator (tcmalloc when installed, else plain glibc),
    // so the measure does not depend on how the test runner was started: the addon's tuned glibc
    // never returns freed memory, so its RSS is a high-water mark, not live memory.
    test(`${STEPS} DIP steps: RSS after step ${STEPS} within ${BOUND_MB} MB of RSS after step ${FIRST_MARK}`, { timeout: 60_000 }, (t) => {
      // One thread: a 32x32 net gains nothing from two, and OpenMP barriers crawl on a busy machine.
      const env: NodeJS.ProcessEnv = { ...process.env, DD_MEMORY_CHILD: '1', DOUBLE_DIP_NO_RELAUNCH: '1', DOUBLE_DIP_THREADS: '1', OMP_NUM_THREADS: '1' };
      delete env.NODE_TEST_CONTEXT; // the child is a plain script, not a test-runner subprocess
      const others = (env.LD_PRELOAD ?? '').split(':').filter((p) => p && !p.includes('tcmalloc'));
      if (TCMALLOC) env.LD_PRELOAD = [TCMALLOC, ...others].join(':');
      else { env.DOUBLE_DIP_GLIBC_MALLOC = 'default'; if (others.length) env.LD_PRELOAD = others.join(':'); else delete env.LD_PRELOAD; }
      // A fixed young generation: V8 otherwise grows it (up to +32 MB of RSS) as it sees fit, which is not a leak.
      const r = spawnSync(process.execPath, ['--max-semi-space-size=2', fileURLToPath(import.meta.url)], { env, encoding: 'utf8', timeout: 55_000 });
      const line = r.stdout.split('\n').find((l) => l.startsWith('DD_RESULT '));
      assert.ok(r.status === 0 && line, `the training child failed (status ${r.status}): ${r.stderr}`);
      const m = JSON.parse(line.slice('DD_RESULT '.length)) as Awaited<ReturnType<typeof trainAndMeasure>>;
      t.diagnostic(`allocator ${m.allocator}: RSS ${m.at200.toFixed(1)} MB at step ${FIRST_MARK}, ${m.at2000.toFixed(1)} MB at step ${STEPS} ` +
        `(V8 heap ${m.v8At200.toFixed(1)} -> ${m.v8At2000.toFixed(1)} MB); loss ${m.first.toFixed(4)} -> ${m.last.toFixed(4)}`);
      assert.ok(m.last < m.first, `training makes progress: loss ${m.first} -> ${m.last}`);
      assert.ok(m.at2000 - m.at200 < BOUND_MB,
        `RSS grew ${(m.at2000 - m.at200).toFixed(1)} MB between steps ${FIRST_MARK} and ${STEPS} (${m.at200.toFixed(1)} -> ${m.at2000.toFixed(1)} MB)`);
    });
  });
}
