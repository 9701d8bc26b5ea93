// minCut (Boykov-Kolmogorov) against the Dinic implementation it replaced: the same minimal
// source set, at the same cost.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minCut, type GridCut } from '../src/image/graph-cut.js';
import { dinicMinCut } from './support/dinic.js';
import { rng } from './support/images.js';

/** The cut's cost on minCut's graph: terminal costs less their shared part (Infinity as 1e9), plus the pair costs across it. */
function cutCost(g: GridCut, label: Uint8Array): number {
  const { width: w, height: h } = g;
  const cap = (v: number) => (Number.isFinite(v) ? Math.max(0, v) : 1e9);
  let cost = 0;
  for (let i = 0; i < w * h; i++) {
    const f = cap(g.fgCost[i]), b = cap(g.bgCost[i]);
    cost += (label[i] ? f : b) - Math.min(f, b);
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    const diff = (j: number, scale: number) => { const c = g.pair(i, j) * scale; if (c > 0 && label[i] !== label[j]) cost += c; };
    if (x + 1 < w) diff(i + 1, 1);
    if (y + 1 < h) diff(i + w, 1);
    if (x + 1 < w && y + 1 < h) diff(i + w + 1, Math.SQRT1_2);
    if (x > 0 && y + 1 < h) diff(i + w - 1, Math.SQRT1_2);
  }
  return cost;
}

/** A w x h cut with random costs: a mix of uniform values, small integers (ties), zeros and Infinity. */
function randomCut(w: number, h: number, seed: number): GridCut {
  const r = rng(seed), n = w * h;
  const cost = () => {
    const k = r();
    return k < 0.05 ? Infinity : k < 0.15 ? 0 : k < 0.5 ? Math.floor(4 * r()) : 3 * r();
  };
  const fgCost = Float32Array.from({ length: n }, cost), bgCost = Float32Array.from({ length: n }, cost);
  // Pair costs, some zero or negative (no edge) and some tied.
  const weights = new Map<number, number>();
  const pair = (i: number, j: number) => {
    const key = i * n + j;
    let c = weights.get(key);
    if (c === undefined) {
      const k = r();
      c = k < 0.1 ? 0 : k < 0.15 ? -1 : k < 0.5 ? Math.floor(3 * r()) : 2 * r();
      weights.set(key, c);
    }
    return c;
  };
  return { width: w, height: h, fgCost, bgCost, pair };
}

describe('minCut (Boykov-Kolmogorov)', () => {
  test('a tie goes to the background: the minimal source set (solved by hand)', () => {
    // Pixel 0 must be fg, pixel 2 wants bg strongly; pixel 1 costs 2 either way, so cutting 0-1
    // or 1-2 (cost 1 each) ties at a total of 3, and the minimal source set leaves pixel 1 bg.
    const g: GridCut = {
      width: 3, height: 1, fgCost: Float32Array.of(0, 2, 5), bgCost: Float32Array.of(Infinity, 2, 0), pair: () => 1,
    };
    const label = minCut(g);
    assert.deepEqual([...label], [1, 0, 0]);
    assert.equal(cutCost(g, label), 1); // the energy 3 less pixel 1's shared cost 2
  });

  test('a 2x2 grid with diagonal edges (solved by hand)', () => {
    // The top-left pixel must be fg, the others cost 1 as fg and nothing as bg. Cutting it alone
    // costs its three edges, 1 + 1 + sqrt(1/2) = 2.71; all fg costs 3; any other set costs more.
    const g: GridCut = {
      width: 2, height: 2, fgCost: Float32Array.of(0, 1, 1, 1), bgCost: Float32Array.of(Infinity, 0, 0, 0), pair: () => 1,
    };
    const label = minCut(g);
    assert.deepEqual([...label], [1, 0, 0, 0]);
    assert.ok(Math.abs(cutCost(g, label) - (2 + Math.SQRT1_2)) < 1e-12);
  });

  test('the same labels and cost as Dinic on random grids', () => {
    const sizes = [[1, 1], [1, 9], [13, 1], [7, 5], [40, 30], [100, 80]];
    let seed = 1;
    for (const [w, h] of sizes) {
      for (let trial = 0; trial < (w * h > 1000 ? 3 : 20); trial++) {
        const g = randomCut(w, h, seed++);
        const want = dinicMinCut(g), got = minCut(g);
        assert.deepEqual(got, want, `${w}x${h} seed ${seed - 1}`);
        const a = cutCost(g, got), b = cutCost(g, want);
        assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${w}x${h} seed ${seed - 1}: cost ${a} vs ${b}`);
      }
    }
  });

  test('the same labels as Dinic on a smooth soft mask, as cutMask makes it', () => {
    // Long flow paths and a boundary decided by the edges: data costs -log p of a blurred disc,
    // pair costs low across a noisy circle.
    const w = 90, h = 70, n = w * h, r = rng(5);
    const fgCost = new Float32Array(n), bgCost = new Float32Array(n), z = new Float64Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, d = Math.hypot(x - 45, y - 35);
      const p = Math.min(1 - 1e-3, Math.max(1e-3, 1 / (1 + Math.exp((d - 25) / 6))));
      fgCost[i] = -Math.log(p); bgCost[i] = -Math.log(1 - p);
      z[i] = (d < 22 + 4 * r() ? 1 : 0) + 0.1 * r();
    }
    const g: GridCut = { width: w, height: h, fgCost, bgCost, pair: (i, j) => 3 * Math.exp(-4 * (z[i] - z[j]) ** 2) };
    assert.deepEqual(minCut(g), dinicMinCut(g));
  });
});
