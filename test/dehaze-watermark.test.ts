// Dehazing (dark channel prior, Double-DIP) and watermark removal, on tiny synthetic images
// made here: outputs, sizes, invariants and the errors users see.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { channelMeans, colourImage, createImage, type Image } from '../src/image/image.js';
import { writeImage } from '../src/io/image-file.js';
import { DEHAZE_RECIPE, dehaze, dehazing } from '../src/tasks/dehaze.js';
import { VIDEO_RECIPE } from '../src/tasks/video.js';
import * as torch from '../src/tensor/index.js';
import { dehazeDcp } from '../src/tasks/dcp.js';
import { recoverScene, SOLVE_BELOW, solveClean } from '../src/image/solve.js';
import { KEEP_BELOW, WATERMARK_DEFAULTS, WATERMARK_RECIPE, WHITE, median, multiWatermark, removeWatermark, singleWatermark } from '../src/tasks/watermark.js';
import { CORE_FRACTION, OPACITY_FLOOR, coreThickness, fillCore, followMarkEdges, keepNearCore, markCore, opacityBound, opacityLevel } from '../src/image/opacity.js';
import { markContext } from '../src/image/mask.js';
import { fitMark, markColours, opacityFor } from '../src/image/mark-refit.js';
import { boxMask } from '../src/image/hints.js';

const A_TRUE: [number, number, number] = [0.8, 0.85, 0.9];

/** A colourful scene whose every small patch has a dark channel near 0 (saturated colours, dark spots). */
function scene(w: number, h: number, seed = 1): Image {
  const img = createImage(w, h, 3);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const palette = [[0.9, 0.2, 0.05], [0.1, 0.6, 0.15], [0.15, 0.25, 0.8], [0.85, 0.8, 0.1], [0.05, 0.05, 0.05], [0.6, 0.1, 0.5]];
  const cell = 6;
  const colours = Array.from({ length: Math.ceil(w / cell) * Math.ceil(h / cell) }, () => palette[Math.floor(rnd() * palette.length)]);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const c = colours[Math.floor(y / cell) * Math.ceil(w / cell) + Math.floor(x / cell)];
    for (let k = 0; k < 3; k++) img.data[(y * w + x) * 3 + k] = c[k];
  }
  return img;
}

/** I = t J + (1 - t) A with depth growing upwards: t from ~0.9 (bottom) to ~0.05 (top). */
function hazy(J: Image): { I: Image; t: Float32Array } {
  const { width: w, height: h } = J;
  const I = createImage(w, h, 3), t = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    t[i] = Math.exp(-3 * (1 - y / (h - 1)) - 0.1);
    for (let c = 0; c < 3; c++) I.data[i * 3 + c] = t[i] * J.data[i * 3 + c] + (1 - t[i]) * A_TRUE[c];
  }
  return { I, t };
}

function psnr(a: Image, b: Image): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  return -10 * Math.log10(se / a.data.length);
}

describe('dehaze', () => {
  test('the dark channel prior raises PSNR on a synthetic hazy image', () => {
    const J = scene(96, 96), { I } = hazy(J);
    const r = dehazeDcp(I);
    const before_ = psnr(I, J), after_ = psnr(r.images.dehazed, J);
    assert.ok(after_ > before_ + 3, `DCP ${after_.toFixed(2)} dB vs hazy ${before_.toFixed(2)} dB`);
    assert.equal(r.report.method, 'dcp');
    assert.equal(r.images.transmission.channels, 1);
  });

  test('dehazing works at DEHAZE_RECIPE.size unless --size is given, and solves J* at the input size', async () => {
    const J = scene(200, 150, 7), { I } = hazy(J);
    const r = await dehaze(I, { iterations: 1 });
    assert.equal(DEHAZE_RECIPE.size, 128);
    assert.deepEqual(r.report.processedSize, { width: 128, height: 96 });
    assert.equal((r.report.settings as { size: number }).size, 128);
    assert.deepEqual([r.images.dehazed.width, r.images.dehazed.height], [200, 150]);
    const given = await dehaze(I, { iterations: 1, size: 192 });
    assert.deepEqual(given.report.processedSize, { width: 192, height: 160 });
  });

  test('double-dip runs a few iterations and writes outputs at the input size, A0 near the true airlight', async () => {
    const J = scene(80, 72, 7), { I } = hazy(J);
    const r = await dehaze(I, { iterations: 2, size: 64 });
    assert.equal(r.report.method, 'double-dip');
    assert.equal(r.report.iterations, 2);
    for (const [name, ch] of [['dehazed', 3], ['transmission', 1], ['airlight', 3]] as const) {
      const img = r.images[name];
      assert.deepEqual([img.width, img.height, img.channels], [80, 72, ch], name);
      assert.ok(img.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `${name} in [0, 1]`);
    }
    assert.ok(r.images.transmission.data.every((v) => v >= 0.1 - 1e-6), 'transmission clipped at 0.1');
    const A0 = r.report.A0 as number[];
    A0.forEach((v, c) => assert.ok(Math.abs(v - A_TRUE[c]) < 0.05, `A0 ${A0} vs ${A_TRUE}`));
    assert.match(String(r.report.airlightEstimator), /^dark channel/);
  });

  test('the default recipe: a coarse airlight pulled to A0, a transmission hint, the dark channel prior on J; all can be turned off', () => {
    const input = [createImage(384, 256, 3)], tDcp = createImage(384, 256, 1, 1);
    const d = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400 }, tDcp);
    assert.deepEqual(d.layers.find((l) => l.name === 'A')?.size, [64, 96]);
    const terms = d.phases[0].terms;
    const match = (layer: string) => terms.find((t) => t.kind === 'match' && t.layer === layer)?.weight;
    assert.ok(terms.some((t) => t.kind === 'dark-channel' && t.layer === 'J' && t.by === 't'), 'the dark channel prior on J, counted by t');
    const everywhere = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400, darkChannelByT: false }, tDcp).phases[0].terms;
    assert.ok(everywhere.some((t) => t.kind === 'dark-channel' && t.by === undefined));
    assert.deepEqual(match('A'), { steps: [[0, 1], [150, 1]] });
    assert.deepEqual(match('t'), { steps: [[0, 1], [150, 0.1]] }); // the hint share, 0.375 of the run
    // Video dehazing passes the reference's quarter.
    const quarter = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400 }, tDcp, VIDEO_RECIPE.dehazeMatchUntil).phases[0].terms;
    assert.deepEqual(quarter.find((t) => t.kind === 'match' && t.layer === 't')?.weight, { steps: [[0, 1], [100, 0.1]] });
    const ref = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400, darkChannel: 0, airlightGrid: 1, airlightPull: 0, transmissionHint: 0 }, tDcp);
    assert.equal(ref.layers.find((l) => l.name === 'A')?.size, undefined);
    assert.ok(!ref.phases[0].terms.some((t) => t.kind === 'dark-channel'));
    assert.deepEqual(ref.phases[0].terms.filter((t) => t.kind === 'match').map((t) => t.weight), [{ steps: [[0, 1], [150, 0]] }]);
  });

  test('the transmission hint pulls t to the dark channel prior\'s transmission, on the given schedule', async () => {
    const input = [createImage(64, 64, 3)], tDcp = createImage(64, 64, 1, 1);
    const d = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400, transmissionHint: 2, transmissionHintAfter: 0.5 }, tDcp);
    assert.equal(d.given?.tDcp, tDcp);
    const hint = d.phases[0].terms.find((t) => t.kind === 'match' && t.layer === 't');
    assert.deepEqual(hint, { kind: 'match', layer: 't', target: 'tDcp', metric: 'mse', weight: { steps: [[0, 2], [150, 0.5]] } });
    const off = dehazing(input, [0.8, 0.8, 0.8], { iterations: 400, transmissionHint: 0 }, tDcp);
    assert.ok(!off.phases[0].terms.some((t) => t.kind === 'match' && t.layer === 't'));
    assert.equal(off.given, undefined);
    // End to end: the hint is computed from the input and recorded in the report.
    const J = scene(64, 64, 5), { I } = hazy(J);
    const r = await dehaze(I, { iterations: 2, size: 64, transmissionHint: 1, transmissionHintAfter: 0.1 });
    assert.deepEqual((r.report.recipe as Record<string, number>).transmissionHint, 1);
    assert.deepEqual((r.report.recipe as Record<string, number>).transmissionHintAfter, 0.1);
    assert.ok(r.report.finalLosses['match(t)'] !== undefined, JSON.stringify(r.report.finalLosses));
  });

  test('two passes: the second runs on the first\'s result; transmissions multiply, iterations add', async () => {
    const J = scene(64, 64, 5), { I } = hazy(J);
    const one = await dehaze(I, { iterations: 2, size: 64 });
    const two = await dehaze(I, { iterations: 2, size: 64, passes: 2 });
    assert.equal(two.report.passes, 2);
    assert.equal(two.report.iterations, 4);
    assert.equal((two.report.passPsnr as number[]).length, 2);
    assert.deepEqual(two.report.A0, one.report.A0, 'A0 reported is the first pass\'s estimate on the input');
    // Same seed, same first pass: t1 * t2 <= t1 everywhere.
    assert.ok(two.images.transmission.data.every((v, i) => v <= one.images.transmission.data[i] + 1e-6));
    // A given airlight is the input's: the report keeps it, and says so, whatever the second pass estimated on J*.
    const given = await dehaze(I, { iterations: 2, size: 64, passes: 2, airlight: [0.7, 0.75, 0.8] });
    assert.deepEqual(given.report.A0, [0.7, 0.75, 0.8]);
    assert.equal(given.report.airlightEstimator, 'given');
    await assert.rejects(dehaze(I, { passes: 0 }), /Expected an integer from 1 to 3 for passes but received 0/);
  });

  test('a given airlight is used as it is: DCP\'s A, Double-DIP\'s A0; a bad one is refused before any work', async () => {
    const J = scene(64, 64, 3), { I } = hazy(J);
    const estimated = dehazeDcp(I), given = dehazeDcp(I, { airlight: A_TRUE });
    assert.match(String(estimated.report.airlightEstimator), /^dark channel/);
    assert.deepEqual(given.report.A0, A_TRUE);
    assert.equal(given.report.airlightEstimator, 'given');
    assert.ok(given.images.airlight.data.every((v, i) => Math.abs(v - A_TRUE[i % 3]) < 1e-6), 'airlight.png is the given colour');
    assert.notDeepEqual(given.images.dehazed.data, estimated.images.dehazed.data, 'the given A changed the result');
    const viaTask = await dehaze(I, { method: 'dcp', airlight: A_TRUE });
    assert.deepEqual(viaTask.images.dehazed.data, given.images.dehazed.data, 'dehaze({ method: dcp, airlight }) passes it on');
    const dd = await dehaze(I, { iterations: 2, size: 64, airlight: [0.5, 0.6, 0.7] });
    assert.deepEqual(dd.report.A0, [0.5, 0.6, 0.7]);
    assert.equal(dd.report.airlightEstimator, 'given');
    for (const bad of [[0, 0.5, 0.5], [0.5, 0.5], [0.5, 0.5, 1.2], [NaN, 0.5, 0.5]]) {
      await assert.rejects(dehaze(I, { iterations: 2, size: 64, airlight: bad as never }), /Expected \[r, g, b\] with each above 0 and at most 1 for airlight/);
      await assert.rejects(dehaze(I, { method: 'dcp', airlight: bad as never }), /Expected \[r, g, b\] with each above 0 and at most 1 for airlight/);
    }
  });

  test('an unknown method is refused', async () => {
    await assert.rejects(dehaze(scene(64, 64), { method: 'magic' as never }), /Expected one of double-dip, dcp for method but received "magic"/);
  });
});

describe('watermark', () => {
  test('one image + box: pixels outside the box are the input, exactly', async () => {
    const img = scene(72, 64, 3);
    const box = { x: 20, y: 16, width: 24, height: 20 };
    const r = await removeWatermark([img], { box, iterations: 2, size: 64 });
    const clean = r.images.clean;
    assert.deepEqual([clean.width, clean.height], [72, 64]);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 72; x++) {
      if (x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height) continue;
      for (let c = 0; c < 3; c++) assert.equal(clean.data[(y * 72 + x) * 3 + c], img.data[(y * 72 + x) * 3 + c]);
    }
    for (let y = 0; y < 64; y++) for (let x = 0; x < 72; x++) {
      const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      if (!inside) assert.equal(r.images.alpha.data[y * 72 + x], 0, 'alpha is zero outside the box');
    }
    // Two iterations leave a doubtful result: then the attempt is kept beside the input returned.
    const keys = Object.keys(r.images).sort();
    assert.deepEqual(keys.filter((k) => k !== 'clean-attempt'), ['alpha', 'clean', 'clean-net', 'watermark']);
    assert.equal(keys.includes('clean-attempt'), r.report.confidence === 'low');
    assert.ok(r.images.watermark.data.every((v) => v === 1), 'one image: the mark is white unless told otherwise');
    assert.deepEqual(r.report.markColour, [1, 1, 1]);
    assert.ok('match(m)' in r.report.finalLosses, 'the opacity carries an L1 (sparsity) cost in the joint phase');
  });

  test('one image: the mark colour is given (no W layer) or learned by a DIP; clean net gives the DIP output', async () => {
    const img = scene(64, 64, 5);
    const box = { x: 16, y: 16, width: 24, height: 20 };
    const input = createImage(64, 64, 3), region = createImage(64, 64, 1);
    const fixed = singleWatermark(input, region, { markColour: [1, 0.5, 0] });
    assert.deepEqual(fixed.layers.map((l) => l.name), ['clean', 'm']);
    assert.deepEqual(channelMeans(fixed.given!.W as Image), [1, 0.5, 0]);
    assert.deepEqual(singleWatermark(input, region, { markColour: 'learn' }).layers.map((l) => l.name), ['clean', 'W', 'm']);
    const learned = await removeWatermark([img], { box, iterations: 2, size: 64, markColour: 'learn', clean: 'net' });
    assert.deepEqual(Object.keys(learned.images).sort().filter((k) => k !== 'clean-attempt'), ['alpha', 'clean', 'watermark']);
    assert.ok(new Set(learned.images.watermark.data).size > 1, 'a learned mark is an image');
    await assert.rejects(removeWatermark([img], { box, markColour: [2, 0, 0] }), /Expected 'learn' or \[r, g, b\] with each from 0 to 1 for markColour but received \[2, 0, 0\]/);
  });

  test("one image: the opacity is clipped at the mark's level, the mode of its histogram (opacity free keeps it)", async () => {
    // A mark at 0.4 with soft edges, faint noise, and a few leaks well above the level.
    const alpha = createImage(40, 20, 1);
    for (let i = 0; i < 800; i++) alpha.data[i] = i % 40 < 20 ? 0.4 + 0.01 * Math.sin(i) : 0.02 * (i % 3);
    for (let i = 0; i < 40; i++) alpha.data[i * 20 + 5] = 0.9;
    for (let i = 0; i < 30; i++) alpha.data[i * 25 + 21] = 0.2;
    const level = opacityLevel(alpha)!;
    assert.ok(Math.abs(level - 0.4) <= 0.011, `level ${level}`);
    assert.equal(opacityLevel(createImage(8, 8, 1)), null, 'nothing above the floor: no level');
    // Faint leaks just above the floor outnumber the mark's pixels two to one, but carry less opacity.
    const faint = createImage(30, 30, 1);
    for (let i = 0; i < 900; i++) faint.data[i] = i < 600 ? 0.12 : 0.45;
    assert.ok(Math.abs(opacityLevel(faint)! - 0.45) <= 0.011, `level ${opacityLevel(faint)}`);
    const img = scene(64, 64, 7);
    const box = { x: 16, y: 16, width: 24, height: 20 };
    const uniform = await removeWatermark([img], { box, iterations: 3, size: 64, runs: 1 });
    const free = await removeWatermark([img], { box, iterations: 3, size: 64, runs: 1, opacity: 'free' });
    assert.equal(uniform.report.opacity, 'uniform');
    const l = uniform.report.opacityLevel as number | null;
    const maxFree = Math.max(...free.images.alpha.data), maxUniform = Math.max(...uniform.images.alpha.data);
    assert.ok(l !== null && l > OPACITY_FLOOR && maxFree > l, `level ${l}, free max ${maxFree}`);
    assert.ok(maxUniform <= l + 1e-6, `alpha ${maxUniform} above the level ${l}`);
    // 64 px worked at 96: the rim and the filter radius are one pixel.
    const region = boxMask(box, 64, 64);
    const bound = opacityBound(img, WHITE);
    const possible = { ...free.images.alpha, data: free.images.alpha.data.map((v, i) => Math.min(v, bound.data[i])) };
    assert.equal(opacityLevel(possible), l, 'the level of the opacity within its bound');
    const expected = followMarkEdges(img, fillCore(keepNearCore(possible, l, 1), bound, l), l, 1);
    assert.ok(expected.data.every((v, i) => Math.abs(v * region.data[i] - uniform.images.alpha.data[i]) < 1e-6),
      'the same run, within the bound, kept near its core, its core filled, following the edges, clipped, zero outside the box');
    await assert.rejects(removeWatermark([img], { box, opacity: 'some' as never }), /Expected one of uniform, free for opacity but received "some"/);
  });

  test('one image: the opacity is at most what leaves the clean image within 0..1', () => {
    // I = a W + (1 - a) C. White mark: a <= min_c I_c. A dark red pixel cannot hold a strong white mark.
    const input = createImage(3, 1, 3);
    input.data.set([0.6, 0.1, 0.1, 0.9, 0.8, 0.7, 0, 0, 0]);
    const white = opacityBound(input, WHITE);
    assert.deepEqual([...white.data].map((v) => +v.toFixed(6)), [0.1, 0.7, 0]);
    // The bound is tight: a pixel marked at a over a clean colour with a channel at 0 (or at 1, for a dark mark).
    const a = 0.35, W: [number, number, number] = [0.2, 0.9, 0.5], C = [0.4, 0, 0.7], D = [0.5, 0.3, 1];
    const marked = createImage(2, 1, 3);
    for (let c = 0; c < 3; c++) { marked.data[c] = a * W[c] + (1 - a) * C[c]; marked.data[3 + c] = a * W[c] + (1 - a) * D[c]; }
    const b = opacityBound(marked, W);
    assert.ok(Math.abs(b.data[0] - a) < 1e-6 && Math.abs(b.data[1] - a) < 1e-6, `bound ${[...b.data]} for opacity ${a}`);
    // Solving the clean image at the bound stays in range.
    const t = { ...b, data: b.data.map((v) => 1 - v) };
    const solved = recoverScene(marked, t, colourImage(2, 1, W), 0.1);
    assert.ok(solved.data.every((v, i) => Math.abs(v - [...C, ...D][i]) < 1e-5), `solved ${[...solved.data]}`);
  });

  test("one image: opacity farther than the rim from the mark's core is dropped", () => {
    // A 6 x 4 stroke at the level 0.4, its antialiased rim at 0.15, a leak along an image edge at
    // 0.25 far from it, a faint veil of 0.03 everywhere else.
    const alpha = createImage(30, 20, 1, 0.03);
    const at = (x: number, y: number, v: number) => { alpha.data[y * 30 + x] = v; };
    for (let y = 5; y < 9; y++) for (let x = 5; x < 11; x++) at(x, y, 0.4);
    for (let x = 4; x < 12; x++) { at(x, 4, 0.15); at(x, 9, 0.15); }
    for (let y = 2; y < 18; y++) at(24, y, 0.25);
    const kept = keepNearCore(alpha, 0.4, 1);
    const v = (x: number, y: number) => kept.data[y * 30 + x];
    assert.equal(v(7, 6), alpha.data[6 * 30 + 7], 'core kept');
    assert.equal(v(7, 4), alpha.data[4 * 30 + 7], 'rim kept');
    assert.equal(v(4, 4), alpha.data[4 * 30 + 4], 'rim corner kept');
    assert.equal(v(24, 10), 0, 'leak far from the core dropped');
    assert.equal(v(7, 2), 0, 'two pixels out: dropped');
    assert.equal(v(20, 15), 0, 'faint veil dropped');
    // A 2 px rim keeps one more ring; a core fraction below the leak's opacity makes the leak core (kept at thickness 1).
    assert.equal(keepNearCore(alpha, 0.4, 2).data[3 * 30 + 7], alpha.data[3 * 30 + 7]);
    assert.equal(keepNearCore(alpha, 0.4, 1, 0.5, 1).data[10 * 30 + 24], alpha.data[10 * 30 + 24]);
    assert.equal(keepNearCore(alpha, 0.4, 1, 0.5).data[10 * 30 + 24], 0, 'as core, the 1 px leak is still no stroke');
    assert.ok(CORE_FRACTION * 0.4 > 0.25, 'the default fraction leaves a leak at 0.25 out of the core');
    // A line one pixel wide at the level (the DIP tracing a bright rim) is no stroke: dropped, but
    // for the rim next to a real stroke; at thickness 1 it would be core.
    const traced = { ...alpha, data: alpha.data.slice() };
    for (let x = 5; x < 28; x++) traced.data[14 * 30 + x] = 0.4;
    for (let y = 9; y < 14; y++) traced.data[y * 30 + 8] = 0.4;
    const opened = keepNearCore(traced, 0.4, 1);
    assert.equal(opened.data[14 * 30 + 20], 0, 'a 1 px line far from the core dropped');
    assert.equal(opened.data[9 * 30 + 8], traced.data[9 * 30 + 8], 'a 1 px line within the rim of a stroke kept');
    assert.equal(opened.data[11 * 30 + 8], 0, 'and dropped beyond the rim');
    assert.equal(opened.data[6 * 30 + 7], traced.data[6 * 30 + 7], 'the 2+ px stroke kept');
    assert.equal(keepNearCore(traced, 0.4, 1, CORE_FRACTION, 1).data[14 * 30 + 20], traced.data[14 * 30 + 20]);
  });

  test("one image: the core is opened only for a mark in thick strokes", () => {
    // Bold: 4 px strokes plus a 1 px traced line (7% of the core). Thin: 1 px strokes only.
    const bold = createImage(40, 20, 1), thin = createImage(40, 20, 1);
    for (const x0 of [2, 12, 22]) for (let y = 2; y < 16; y++) for (let x = x0; x < x0 + 4; x++) bold.data[y * 40 + x] = 0.4;
    for (let x = 0; x < 12; x++) bold.data[18 * 40 + x] = 0.4;
    for (const x0 of [2, 8, 14, 20]) for (let y = 2; y < 16; y++) thin.data[y * 40 + x0] = 0.4;
    for (let x = 2; x < 21; x++) thin.data[9 * 40 + x] = 0.4;
    assert.equal(coreThickness(bold, 0.4), 2);
    assert.equal(coreThickness(thin, 0.4), 1, 'a thin font keeps its strokes');
    assert.equal(coreThickness(bold, 0.4, 1), 1);
    assert.equal(coreThickness(createImage(5, 5, 1), 0.4), 1, 'no core');
  });

  test("one image: the mark's core is set to the level, within the bound", () => {
    // A 5 x 4 stroke learned unevenly (0.3-0.42 for a level of 0.4), its rim at 0.1, a pixel of the
    // stroke over a dark spot (bound 0.2).
    const alpha = createImage(12, 10, 1), bound = createImage(12, 10, 1, 1);
    for (let y = 3; y < 7; y++) for (let x = 3; x < 8; x++) alpha.data[y * 12 + x] = 0.3 + 0.03 * ((x + y) % 5);
    for (let x = 2; x < 9; x++) { alpha.data[2 * 12 + x] = 0.1; alpha.data[7 * 12 + x] = 0.1; }
    bound.data[4 * 12 + 5] = 0.2;
    alpha.data[4 * 12 + 5] = 0.2;
    const core = markCore(alpha, 0.4);
    assert.equal(core.data[3 * 12 + 3], 1);
    assert.equal(core.data[2 * 12 + 3], 0, 'the rim is no core');
    const filled = fillCore(alpha, bound, 0.4);
    assert.ok(Math.abs(filled.data[5 * 12 + 6] - 0.4) < 1e-6, `core at the level: ${filled.data[5 * 12 + 6]}`);
    assert.ok(Math.abs(filled.data[4 * 12 + 5] - 0.2) < 1e-6, 'within the bound');
    assert.equal(filled.data[2 * 12 + 4], alpha.data[2 * 12 + 4], 'the rim as learned');
    assert.equal(filled.data[0], 0);
  });

  test("one image: the opacity follows the mark's edges in the input, within 0 and the level", () => {
    // The input has a bright stroke at x 10..13; the learned opacity is the stroke blurred 3 px wide.
    // (Where the input is flat the filter only smooths: it sharpens where the mark shows.)
    const w = 24, h = 8, input = createImage(w, h, 3, 0.3), alpha = createImage(w, h, 1);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      if (x >= 10 && x < 14) for (let c = 0; c < 3; c++) input.data[(y * w + x) * 3 + c] = 0.65;
      alpha.data[y * w + x] = Math.max(0, 0.5 - 0.5 * Math.max(0, Math.max(10 - x, x - 13)) / 3);
    }
    const out = followMarkEdges(input, alpha, 0.45, 2);
    const at = (x: number) => out.data[4 * w + x], was = (x: number) => alpha.data[4 * w + x];
    // Across the stroke's edge (x 9 | 10) the opacity steps more sharply than the learned one.
    assert.ok(at(10) - at(9) > 1.3 * (Math.min(0.45, was(10)) - was(9)), `edge step ${at(10) - at(9)} vs ${was(10) - was(9)}`);
    assert.ok(at(9) < 0.7 * was(9) && at(14) < 0.7 * was(14), 'the rim just outside the stroke fades');
    for (const x of [10, 11, 12, 13]) assert.ok(at(x) > 0.44, `inside the stroke the opacity stays at the level: ${at(x)}`);
    assert.ok(out.data.every((v) => v >= 0 && v <= 0.45), 'within 0 and the level');
  });

  test('one image: only the mark and its surroundings are processed; the rest is the input', async () => {
    const img = scene(200, 120, 6);
    const box = { x: 150, y: 20, width: 30, height: 16 };
    const context = markContext(boxMask(box, 200, 120));
    assert.deepEqual(context, { x: 118, y: 0, width: 82, height: 68 }, 'box grown by 32 px (at least), within the image');
    const r = await removeWatermark([img], { box, iterations: 2, size: 64 });
    assert.deepEqual(r.report.processedRegion, context);
    for (const name of ['clean', 'clean-net', 'alpha', 'watermark']) assert.deepEqual([r.images[name].width, r.images[name].height], [200, 120], name);
    for (let y = 0; y < 120; y++) for (let x = 0; x < 200; x++) {
      const i = y * 200 + x, inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      if (!inside) for (let c = 0; c < 3; c++) assert.equal(r.images.clean.data[i * 3 + c], img.data[i * 3 + c]);
      if (!inside) assert.equal(r.images.alpha.data[i], 0);
    }
    assert.ok(r.images.watermark.data.every((v) => v === 1), 'the given white mark fills the whole image');
  });

  test('one image, a check fires: the clean image returned is the input, the attempt kept as clean-attempt', async () => {
    // A black region: a white mark cannot be there (opacity bound 0), so nothing is removed.
    const img = scene(64, 64, 5), box = { x: 16, y: 16, width: 24, height: 20 };
    for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) img.data.fill(0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const r = await removeWatermark([img], { box, iterations: 2, size: 64, runs: 1 });
    assert.equal(r.report.confidence, 'low');
    assert.match(r.report.concerns!.join(' '), /nothing was removed.*The clean image returned is the input itself; the attempted removal is kept as clean-attempt/);
    assert.deepEqual([...r.images.clean.data], [...img.data]);
    assert.deepEqual([r.images['clean-attempt'].width, r.images['clean-attempt'].height], [64, 64]);
  });

  test('one image, an opacity level no white mark has: input returned, the reason names --mark-colour', async () => {
    // A region at 0.15 everywhere: a white mark of opacity a leaves every pixel at a or above, so
    // the opacity is held to 0.15 (opacityBound) and its level falls under the plausible range.
    const img = scene(64, 64, 6), box = { x: 16, y: 16, width: 24, height: 20 };
    for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) img.data.fill(0.15, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const r = await removeWatermark([img], { box, iterations: 2, size: 64, runs: 1 });
    assert.ok((r.report.opacityLevel as number) < WATERMARK_RECIPE.opacityLevelRange[0], `level ${r.report.opacityLevel}`);
    assert.equal(r.report.confidence, 'low');
    assert.match(r.report.concerns!.join(' '), /opacity came out at 0\.\d+ \(under 0\.25\): the white mark assumed explains no mark.*--mark-colour R,G,B.*returned is the input itself/);
    assert.deepEqual([...r.images.clean.data], [...img.data]);
  });

  test('median of runs: per pixel, and the report counts every run', async () => {
    const img = scene(64, 64, 4);
    const box = { x: 16, y: 16, width: 24, height: 20 };
    const runs = await Promise.all([0, 1, 2].map((seed) => removeWatermark([img], { box, iterations: 2, size: 64, seed })));
    const r = await removeWatermark([img], { box, iterations: 2, size: 64, runs: 3 });
    assert.equal(r.report.runs, 3);
    assert.equal(r.report.iterations, 6);
    const i = ((box.y + 5) * 64 + box.x + 5) * 3;
    const vs = runs.map((x) => x.images.clean.data[i]).sort((a, b) => a - b);
    assert.ok(Math.abs(r.images.clean.data[i] - vs[1]) < 1e-6, `median ${r.images.clean.data[i]} of ${vs}`);
    assert.equal(r.images.clean.data[0], img.data[0], 'outside the box stays the input');
    assert.deepEqual(median([{ width: 1, height: 1, channels: 1, data: Float32Array.of(3) }, { width: 1, height: 1, channels: 1, data: Float32Array.of(1) },
      { width: 1, height: 1, channels: 1, data: Float32Array.of(2) }]).data, Float32Array.of(2));
  });

  test('several images sharing a mark: one clean image per input', async () => {
    const imgs = [scene(64, 64, 11), scene(64, 64, 12)];
    const r = await removeWatermark(imgs, { iterations: 2, size: 64 });
    assert.deepEqual(Object.keys(r.images).sort(), ['alpha', 'clean-1', 'clean-1-net', 'clean-2', 'clean-2-net', 'watermark']);
    for (const k of ['clean-1', 'clean-2']) assert.deepEqual([r.images[k].width, r.images[k].height], [64, 64]);
    const recipe = r.report.recipe as Record<string, unknown>;
    assert.deepEqual({ sparsity: recipe.sparsity, exclusion: recipe.exclusion }, WATERMARK_DEFAULTS.multi, 'the weights in effect');
    assert.equal(recipe.lr, 1e-3, 'and the rest of the recipe');
    assert.equal(r.report.clean, 'refit', 'several images refit the learned mark as one colour');
    assert.equal(r.report.markColour, 'learn', 'several images learn the mark colour');
    for (const term of ['exclusion(clean1,clean2)', 'match(m)']) assert.ok(term in r.report.finalLosses, `${term} in ${Object.keys(r.report.finalLosses)}`);
    const net = await removeWatermark(imgs, { iterations: 2, size: 64, clean: 'net' });
    assert.deepEqual(Object.keys(net.images).sort(), ['alpha', 'clean-1', 'clean-2', 'watermark']);
    assert.deepEqual(net.images['clean-1'].data, r.images['clean-1-net'].data, 'same seed: the net choice is the DIP output');
    await assert.rejects(removeWatermark(imgs, { iterations: 2, size: 64, clean: 'both' as never }), /Expected one of solved, net, refit for clean but received "both"/);
    // A given black mark: it darkens the images, so where it is opaque the output is not the input.
    const black = await removeWatermark(imgs, { iterations: 2, size: 64, markColour: [0, 0, 0] });
    assert.ok(black.images.watermark.data.every((v) => v === 0));
    assert.ok(black.images['clean-1'].data.some((v, i) => Math.abs(v - imgs[0].data[i]) > 1e-3), 'a dark mark is removed too');
  });

  test('several images: the input is kept exactly where the learned opacity is under KEEP_BELOW, whatever the learned colour', async () => {
    // Dark images make a dark learned mark, whose m * W (the reference's rule) is under KEEP_BELOW
    // where m is not: such pixels were kept as the input, so a dark mark was never removed.
    const imgs = [scene(64, 64, 11), scene(64, 64, 12)].map((img) => ({ ...img, data: img.data.map((v) => 0.05 + 0.1 * v) }));
    const r = await removeWatermark(imgs, { iterations: 2, size: 64, clean: 'solved' }); // alpha: the learned opacity itself
    const alpha = r.images.alpha.data, W = r.images.watermark.data, out = r.images['clean-1'].data, input = imgs[0].data;
    let changed = 0, dim = 0;
    for (let i = 0; i < alpha.length; i++) {
      const same = [0, 1, 2].every((c) => out[i * 3 + c] === input[i * 3 + c]);
      if (alpha[i] < KEEP_BELOW) { assert.ok(same, `pixel ${i}: opacity ${alpha[i]} under ${KEEP_BELOW}, kept`); continue; }
      assert.ok(!same, `pixel ${i}: opacity ${alpha[i]}, solved`);
      changed++;
      if ((alpha[i] * (W[i * 3] + W[i * 3 + 1] + W[i * 3 + 2])) / 3 < KEEP_BELOW) dim++;
    }
    assert.ok(changed > 0 && dim > 0, `pixels at opacity >= ${KEEP_BELOW}: ${changed}, of them under it once weighted by the mark's colour: ${dim}`);
  });

  test('the mark refit: from clean layers near the truth, its colours (one, or two) and every pixel\'s opacity come back', () => {
    // I_k = m W + (1 - m) C_k over three images; the fit starts from a blurred, weakened opacity and
    // a noisy learned colour map, and sees the clean layers with noise, as it sees the DIPs' outputs.
    const w = 48, h = 32, R = WATERMARK_RECIPE.refit;
    let s = 7;
    const noise = (a: number) => a * (((s = (s * 69069 + 1) % 4294967296) / 4294967296) - 0.5);
    const m = createImage(w, h, 1);
    m.data.forEach((_, i) => { const x = i % w, y = Math.floor(i / w); m.data[i] = (x % 12 < 4 || (y > 12 && y < 18)) && x > 6 && x < 42 ? 0.5 : 0; });
    const m0 = { ...m, data: m.data.map((v, i) => 0.6 * (v + m.data[Math.max(0, i - 1)] + m.data[Math.min(m.data.length - 1, i + 1)]) / 3) };
    const Cs = [0, 1, 2].map((k) => scene(w, h, 21 + k));
    const noisy = Cs.map((C) => ({ ...C, data: C.data.map((v) => v + noise(0.02)) }));
    for (const truth of [[[0.85, 0.15, 0.1]], [[0.95, 0.55, 0.1], [0.15, 0.35, 0.9]]]) {
      const colourAt = (i: number) => truth[truth.length > 1 && i % w >= w / 2 ? 1 : 0]; // two colours: left and right halves
      const W = { width: w, height: h, channels: 3, data: Float32Array.from({ length: w * h * 3 }, (_, j) => colourAt(Math.floor(j / 3))[j % 3]) };
      const Is = Cs.map((C) => ({ ...C, data: C.data.map((v, j) => { const a = m.data[Math.floor(j / 3)]; return a * W.data[j] + (1 - a) * v; }) }));
      const W0 = { ...W, data: W.data.map((v) => v + noise(0.2)) };
      const fit = fitMark(Is, noisy, m0, W0, R)!;
      assert.equal(fit.colours.length, truth.length, `${truth.length} colour(s) found`);
      // One stray learned colour far from both (green) must not decide the split: a 2-means started
      // from the farthest colour put it alone in a cluster and kept one colour.
      const stray = { ...W0, data: W0.data.slice() }, at = m0.data.findIndex((v) => v >= R.minOpacity);
      stray.data.set([0, 1, 0], at * 3);
      assert.equal(fitMark(Is, noisy, m0, stray, R)!.colours.length, truth.length, `${truth.length} colour(s) found with a stray learned colour`);
      for (const t of truth) assert.ok(fit.colours.some((c) => c.every((v, ch) => Math.abs(v - t[ch]) < 0.02)), `${t} among the fitted ${JSON.stringify(fit.colours)}`);
      const mark = markColours(W0, fit).data;
      mark.forEach((v, j) => assert.ok(Math.abs(v - W.data[j]) < 0.02, `the mark's colour at ${j}: ${v} against ${W.data[j]}`));
      opacityFor(Is, Cs, W, R.robust).data.forEach((v, i) => assert.ok(Math.abs(v - m.data[i]) < 1e-4, `pixel ${i}: ${v} against ${m.data[i]}`));
      const refit = opacityFor(Is, noisy, markColours(W0, fit), R.robust).data;
      let err = 0, err0 = 0;
      refit.forEach((v, i) => { err += Math.abs(v - m.data[i]); err0 += Math.abs(m0.data[i] - m.data[i]); });
      assert.ok(err < err0 / 4, `mean opacity error ${err / refit.length} against the start's ${err0 / refit.length}`);
      assert.equal(fitMark(Is, Cs, createImage(w, h, 1), W0, R), null, 'no pixel opaque enough: no colour');
      // One image's clean layer wrong by 0.3 over a block (a DIP blurring an edge): the robust fit keeps
      // to the other two images there, least squares is dragged.
      const wrong = noisy.map((C, k) => (k > 0 ? C : { ...C, data: C.data.map((v, j) => (Math.floor(j / 3) % w < 24 ? v + 0.3 : v)) }));
      const blockError = (a: Image) => a.data.reduce((e, v, i) => e + (i % w < 24 ? Math.abs(v - m.data[i]) : 0), 0);
      const robust = blockError(opacityFor(Is, wrong, W, R.robust)), plain = blockError(opacityFor(Is, wrong, W, { rounds: 0, eps: 0 }));
      assert.ok(robust < plain / 2, `opacity error where one clean layer is wrong: robust ${robust}, least squares ${plain}`);
      // Only where asked: the same values there, 0 elsewhere.
      const where = { ...m, data: m.data.map((_, i) => (i % 2 ? 1 : 0)) }, all = opacityFor(Is, wrong, W, R.robust).data;
      opacityFor(Is, wrong, W, R.robust, where).data.forEach((v, i) => assert.equal(v, i % 2 ? all[i] : 0, `pixel ${i}`));
    }
  });

  test('several images work at WATERMARK_RECIPE.multiSize unless --size is given; one image at 256', async () => {
    const imgs = [scene(200, 150, 11), scene(200, 150, 12)];
    const r = await removeWatermark(imgs, { iterations: 1 });
    assert.equal(WATERMARK_RECIPE.multiSize, 160);
    assert.deepEqual(r.report.processedSize, { width: 160, height: 128 });
    assert.equal((r.report.settings as { size: number }).size, 160);
    const given = await removeWatermark(imgs, { iterations: 1, size: 128 });
    assert.deepEqual(given.report.processedSize, { width: 128, height: 96 });
    const one = await removeWatermark([imgs[0]], { iterations: 1, runs: 1, box: { x: 20, y: 20, width: 160, height: 110 } });
    assert.ok(Math.max((one.report.processedSize as { width: number }).width, (one.report.processedSize as { height: number }).height) === 256, JSON.stringify(one.report.processedSize));
  });

  test('several images: refit (the default) makes the mark one or two colours and solves with its opacity; solved keeps the learned map', async () => {
    const imgs = [scene(64, 64, 11), scene(64, 64, 12)];
    const r = await removeWatermark(imgs, { iterations: 2, size: 64 });
    const fitted = r.report.fittedColours as number[][];
    assert.ok(fitted.length === 1 || fitted.length === 2, `one or two colours: ${JSON.stringify(fitted)}`);
    const W = r.images.watermark.data;
    for (let i = 0; i < W.length / 3; i++) {
      const px = [W[i * 3], W[i * 3 + 1], W[i * 3 + 2]];
      assert.ok(fitted.some((c) => c.every((v, ch) => Math.abs(v - px[ch]) < 1e-4)), `pixel ${i}: ${px} is one of the fitted colours`);
    }
    const solved = await removeWatermark(imgs, { iterations: 2, size: 64, clean: 'solved' });
    assert.ok(!('fittedColours' in solved.report));
    assert.ok(solved.images.watermark.data.some((v, j) => Math.abs(v - solved.images.watermark.data[j % 3]) > 1e-3), 'solved: the learned map');
    // Same seed, same training: the two differ only after it, and only where the mark is kept.
    let differ = 0;
    r.images['clean-1'].data.forEach((v, j) => {
      const kept = solved.images.alpha.data[Math.floor(j / 3)] < KEEP_BELOW;
      if (kept) assert.equal(v, imgs[0].data[j], 'kept as the input in both');
      else if (Math.abs(v - solved.images['clean-1'].data[j]) > 1e-4) differ++;
    });
    assert.ok(differ > 0, 'refit changes the solved pixels');
    await assert.rejects(removeWatermark([imgs[0]], { box: { x: 8, y: 8, width: 20, height: 10 }, clean: 'refit' }), /clean refit applies to several images/);
  });

  test('the clean image solved from the mark inverts I = m W + (1 - m) C; the net is kept where m is near 1', () => {
    const C = scene(16, 8, 3), W = scene(16, 8, 4), net = createImage(16, 8, 3, 0.25), alpha = createImage(16, 8, 1);
    alpha.data.forEach((_, i) => { alpha.data[i] = i / 128; }); // 0 .. ~1
    const I = createImage(16, 8, 3);
    I.data.forEach((_, j) => { const m = alpha.data[Math.floor(j / 3)]; I.data[j] = m * W.data[j] + (1 - m) * C.data[j]; });
    const out = solveClean(I, alpha, W, net);
    out.data.forEach((v, j) => {
      const m = alpha.data[Math.floor(j / 3)];
      assert.ok(Math.abs(v - (m > SOLVE_BELOW ? 0.25 : C.data[j])) < 1e-4, `at ${j} (m ${m}): ${v}`);
    });
  });

  test('several images: the exclusion loss joins every pair of clean layers across their inputs; 0, 0 is the reference', () => {
    const inputs = [0, 1, 2].map(() => createImage(96, 96, 3));
    const d = multiWatermark(inputs, {});
    const pairs = d.phases[0].terms.filter((t) => t.kind === 'exclusion').map((t) => t.kind === 'exclusion' && [t.layers, t.at]);
    assert.deepEqual(pairs, [[['clean1', 'clean2'], [0, 1]], [['clean1', 'clean3'], [0, 2]], [['clean2', 'clean3'], [1, 2]]]);
    const ref = multiWatermark(inputs, { exclusion: 0, sparsity: 0 });
    assert.deepEqual(ref.phases[0].terms.map((t) => t.kind), ['reconstruction']);
  });

  test('clear errors: sizes differ, box outside the image, one image without a region', async () => {
    await assert.rejects(removeWatermark([scene(64, 64), scene(64, 72)]), /same size.*64x64.*64x72/);
    await assert.rejects(removeWatermark([scene(64, 64)], { box: { x: 40, y: 0, width: 30, height: 10 } }), /outside the 64x64 image/);
    await assert.rejects(removeWatermark([scene(64, 64)]), /needs the watermark region/);
    await assert.rejects(removeWatermark([scene(64, 64)], { hint: createImage(64, 64, 1) }), /no white pixels/);
  });
});

describe('CLI', () => {
  const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
  const tmp = mkdtempSync(join(tmpdir(), 'dd-dw-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  const a = join(tmp, 'a.png'), b = join(tmp, 'b.png');
  before(async () => {
    await writeImage(a, scene(64, 64));
    await writeImage(b, scene(80, 64));
  });

  test('usage errors exit with 2 and say what is wrong', () => {
    const cases: [string[], RegExp][] = [
      [['watermark', a, '-o', join(tmp, 'o1')], /needs the watermark region/],
      [['watermark', a, '--box', '50,50,30,30', '-o', join(tmp, 'o2')], /outside the 64x64 image/],
      [['watermark', a, b, '-o', join(tmp, 'o4')], /same size/],
      [['dehaze', a, '--method', 'magic', '-o', join(tmp, 'o5')], /one of double-dip, dcp for --method/],
      [['dehaze', a, '--airlight-grid', '0.5', '-o', join(tmp, 'o6')], /an integer from 1 to 256 for --airlight-grid/],
      [['dehaze', a, '--dark-channel=-1', '-o', join(tmp, 'o7')], /a number from 0 to 1000 for --dark-channel/],
      [['dehaze', a, '--dark-channel-by-t', 'maybe', '-o', join(tmp, 'o8')], /Expected yes or no for --dark-channel-by-t but received "maybe"/],
      [['dehaze', a, '--transmission-hint', 'strong', '-o', join(tmp, 'o8')], /a number from 0 to 1000 for --transmission-hint/],
      [['dehaze', a, '--airlight', '300,200,200', '-o', join(tmp, 'o8')], /R,G,B with each from 1 to 255 for --airlight but received "300,200,200"/],
      [['dehaze', a, '--airlight', '0,200,200', '-o', join(tmp, 'o8')], /R,G,B with each from 1 to 255 for --airlight/],
      [['dehaze', a, '--airlight', 'white', '-o', join(tmp, 'o8')], /R,G,B with each from 1 to 255 for --airlight/],
      [['dehaze', a, '--airlight', '200,200', '-o', join(tmp, 'o8')], /R,G,B with each from 1 to 255 for --airlight/],
      [['watermark', a, a, '--exclusion', 'lots', '-o', join(tmp, 'o9')], /a number from 0 to 1000 for --exclusion/],
      [['watermark', a, a, '--clean', 'both', '-o', join(tmp, 'o10')], /one of solved, net, refit for --clean/],
      [['watermark', a, '--box', '1,1,8,8', '--mark-colour', 'pink', '-o', join(tmp, 'o11')], /white, learn or R,G,B with each from 0 to 255 for --mark-colour/],
      [['watermark', a, '--box', '1,1,8,8', '--opacity', 'any', '-o', join(tmp, 'o12')], /one of uniform, free for --opacity/],
      [['watermark', a, a, '--opacity', 'free', '-o', join(tmp, 'o13')], /--opacity applies to one image/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('dehaze --method dcp writes its outputs', () => {
    const r = cli('dehaze', a, '--method', 'dcp', '-o', join(tmp, 'dcp'), '-q');
    assert.equal(r.status, 0, r.stderr);
  });

  test('dehaze --airlight R,G,B (0-255) reaches the report', () => {
    const out = join(tmp, 'dcp-airlight');
    const r = cli('dehaze', a, '--method', 'dcp', '--airlight', '204,217,230', '-o', out, '-q');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(report.A0, [0.8, 0.851, 0.902]);
    assert.equal(report.airlightEstimator, 'given');
  });
});
