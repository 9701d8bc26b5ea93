// n runs of a plan as one (core/replicas.ts): the copies' names, inputs and terms, each copy's
// result untouched by what the other copies are given, and runCopies' results per copy.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, type Image } from '../src/image/image.js';
import { replicate, runCopies, copyName } from '../src/core/replicas.js';
import { run, type Plan } from '../src/core/run.js';

const noisy = (w: number, h: number, seed: number): Image => {
  const img = createImage(w, h, 3);
  let s = seed;
  for (let i = 0; i < img.data.length; i++) { s = (s * 1103515245 + 12345) % 2 ** 31; img.data[i] = (s % 1000) / 1000; }
  return img;
};

/** A small two-layer blend with a hint term and a cost on the mask: every kind of term replicate renames. */
const plan = (input: Image): Plan => {
  const noise = { channels: 2, scale: 0.1 };
  const box = createImage(input.width, input.height, 1, 1);
  return {
    inputs: [input],
    layers: [{ name: 'clean', net: 'A', channels: 3, noise }, { name: 'm', net: 'D', channels: 1, noise }],
    given: { box, W: createImage(input.width, input.height, 3, 1) },
    mixtures: [{ kind: 'blend', mask: 'm', a: 'W', b: 'clean', maskWithin: 'box' }],
    phases: [{ name: 'joint', iterations: 4, lr: 1e-3, terms: [{ kind: 'reconstruction', metric: 'l1', weight: 0.5 },
      { kind: 'hint-reconstruction', layer: 'clean', hint: 'box' }, { kind: 'match', layer: 'm', target: 0, metric: 'l1', weight: { steps: [[0, 0.05]] } }] }],
    keepBest: false,
  };
};

describe('runs as one (replicas)', () => {
  test('replicate: n copies of layers, inputs and mixtures; per-layer terms per copy at 1/n; the reconstruction once', () => {
    const p = replicate(plan(noisy(32, 32, 1)), 3);
    assert.deepEqual(p.layers.map((l) => [l.name, l.inputs]), [['clean#0', [0]], ['m#0', [0]], ['clean#1', [1]], ['m#1', [1]], ['clean#2', [2]], ['m#2', [2]]]);
    assert.equal(p.inputs.length, 3);
    assert.deepEqual(p.mixtures[2], { kind: 'blend', mask: 'm#2', a: 'W', b: 'clean#2', maskWithin: 'box' });
    const terms = p.phases[0].terms;
    assert.equal(terms.filter((t) => t.kind === 'reconstruction').length, 1);
    assert.deepEqual(terms.filter((t) => t.kind === 'hint-reconstruction').map((t) => [t.kind === 'hint-reconstruction' && t.layer, t.weight]),
      [['clean#0', 1 / 3], ['clean#1', 1 / 3], ['clean#2', 1 / 3]]);
    assert.deepEqual(terms.find((t) => t.kind === 'match')!.weight, { steps: [[0, 0.05 / 3]] });
    assert.equal(replicate(plan(noisy(32, 32, 1)), 1).layers.length, 2);
    assert.throws(() => replicate({ ...plan(noisy(32, 32, 1)), batch: 1 }, 2), /mini-batches/);
    assert.equal(copyName('m', 2), 'm#2');
  });

  test('a copy trains as if alone: what another copy is given does not change it', async () => {
    const a = noisy(32, 32, 1);
    const withOther = async (other: Image) => {
      const p = replicate(plan(a), 2);
      return run({ ...p, inputs: [a, other] }, { seed: 3, threads: 1 });
    };
    const [x, y] = [await withOther(noisy(32, 32, 2)), await withOther(noisy(32, 32, 9))];
    const diff = (u: Image, v: Image) => Math.max(...u.data.map((t, i) => Math.abs(t - v.data[i])));
    assert.ok(diff(x.layers['clean#0'][0], y.layers['clean#0'][0]) < 1e-5, 'copy 0 alike');
    assert.ok(diff(x.layers['m#0'][0], y.layers['m#0'][0]) < 1e-5);
    assert.ok(diff(x.layers['clean#1'][1], y.layers['clean#1'][1]) > 1e-3, 'copy 1 differs (it was given another image)');
  });

  test('runCopies: one result per copy under the layer names, each its own reconstruction and PSNR, time shared out', async () => {
    const a = noisy(32, 32, 4);
    const previews: string[][] = [];
    const rs = await runCopies(plan(a), 3, { seed: 1, threads: 1, previewEvery: 2, onPreview: (p) => previews.push(Object.keys(p.images).sort()) });
    assert.equal(rs.length, 3);
    for (const r of rs) {
      assert.deepEqual(Object.keys(r.layers).sort(), ['clean', 'm']);
      assert.equal(r.layers.clean.length, 1);
      assert.equal(r.reconstructions.length, 1);
      assert.equal(r.iterations, 4);
      assert.ok(Number.isFinite(r.psnr));
      assert.deepEqual(Object.keys(r.history[3].terms).sort(), ['hint(clean)', 'match(m)', 'reconstruction(l1)']);
    }
    assert.notDeepEqual(rs[0].layers.clean[0].data, rs[1].layers.clean[0].data, 'copies start from their own weights');
    assert.notEqual(rs[0].history[3].terms['hint(clean)'], rs[1].history[3].terms['hint(clean)']);
    assert.ok(Math.abs(rs[0].seconds - rs[1].seconds) < 1e-9);
    assert.ok(previews.length > 0 && previews.every((k) => k.join() === 'clean,m,reconstruction'), JSON.stringify(previews));
  });
});
