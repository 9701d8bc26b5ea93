// Tasks through the library API, on tiny synthetic images.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, type Image } from '../src/image/image.js';
import { segment, segmentation } from '../src/tasks/segment.js';
import * as torch from '../src/tensor/index.js';
import { MIN_COEFFICIENT_GAP, separate } from '../src/tasks/separate.js';
import { solveTwoMixtures } from '../src/image/solve.js';
import { psnr } from '../src/image/compare.js';
import { estimateMixing } from '../src/image/mixing.js';
import { complexity } from '../src/tasks/complexity.js';
import { hintsFromBox, parseBox } from '../src/tasks/hints.js';
import { image, rng, squareScene } from './support/images.js';
import { scalePhases } from '../src/tasks/common.js';
import { workingSize } from '../src/core/working-size.js';
import { cutMask, leanOnHints } from '../src/image/mask.js';

const scene = squareScene;
const mixOf = (a: Image, b: Image, m: number): Image => ({ ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) });

describe('working size', () => {
  test('keeps the aspect ratio, uses multiples, never below the minimum', () => {
    assert.deepEqual(workingSize(1000, 500, 256, ['B']), { width: 256, height: 128 });
    assert.deepEqual(workingSize(50, 30, 256, ['C'], 128), { width: 256, height: 160 }); // small images are upsampled to the net's size
    const s = workingSize(101, 37, 96, ['A'], 64);
    assert.equal(s.width % 8, 0);
    assert.ok(s.height >= 64);
    assert.throws(() => workingSize(100, 100, 10, ['B']), /too small/);
  });
  test('phases scale to the requested total', () => {
    const p = scalePhases([{ name: 'a', iterations: 500, terms: [] }, { name: 'b', iterations: 1500, terms: [] }], 100);
    assert.deepEqual(p.map((x) => x.iterations), [25, 75]);
  });
  test('shorter runs stretch the recipe\'s weight schedules with their phase', () => {
    const [p] = scalePhases([{ name: 'joint', iterations: 1500, terms: [{ kind: 'binary', layer: 'mask', weight: { steps: [[0, 1], [500, 0]] } },
      { kind: 'reconstruction', weight: 0.5 }] }], 300);
    assert.equal(p.iterations, 300);
    assert.deepEqual(p.terms[0].weight, { steps: [[0, 1], [100, 0]] });
    assert.equal(p.terms[1].weight, 0.5);
  });
});

describe('segment', () => {
  test('writes every output at the input resolution (odd size), mask binary', async () => {
    const img = scene(75, 53);
    const r = await segment(img, { size: 64, iterations: 8, box: { x: 15, y: 10, width: 45, height: 33 } });
    for (const k of ['mask', 'mask-soft', 'foreground', 'background', 'reconstruction', 'hints']) {
      assert.equal(r.images[k].width, 75, k);
      assert.equal(r.images[k].height, 53, k);
    }
    assert.ok(r.images.mask.data.every((v) => v === 0 || v === 1));
    assert.equal(r.report.task, 'segment');
    assert.equal(r.report.iterations, 8);
    assert.equal(r.report.hints, 'box');
    assert.ok(Number.isFinite(r.report.psnr));
    const hint = (x: number, y: number) => r.images.hints.data[y * 75 + x];
    assert.equal(hint(2, 2), 0, 'outside the box is background');
    assert.equal(hint(37, 26), 1, 'the box centre is foreground');
    // Grown by colour (the default with a box): the rim splits into object and background.
    assert.equal(r.report.grownHints, true);
    assert.ok(hint(19, 13) < 0.1, `background-coloured rim pixel becomes background (${hint(19, 13)})`);
    assert.ok(hint(25, 19) > 0.9, `object-coloured rim pixel becomes foreground (${hint(25, 19)})`);
  });
  test("the mask is the cut of the soft mask alone: a photo's hints do not lean on it (they lost on the dev set's check half)", async () => {
    // Noise, a few steps: the soft mask is still unsure on hinted pixels, where leaning on the hints would move the cut.
    const next = rng(5), img = image(75, 53, 3, () => next());
    const r = await segment(img, { size: 64, iterations: 8, box: { x: 15, y: 10, width: 45, height: 33 } });
    const alone = cutMask(img, r.images['mask-soft']), leaned = cutMask(img, leanOnHints(r.images['mask-soft'], r.images.hints));
    assert.deepEqual([...r.images.mask.data], [...alone.data]);
    assert.notDeepEqual([...alone.data], [...leaned.data], 'the case tells the two apart');
  });
  test('with growing off, a box gives the reference hints: its rim stays unknown', async () => {
    const r = await segment(scene(75, 53), { size: 64, iterations: 2, box: { x: 15, y: 10, width: 45, height: 33 }, growHints: false });
    const hint = (x: number, y: number) => r.images.hints.data[y * 75 + x];
    assert.equal(r.report.grownHints, false);
    assert.ok(Math.abs(hint(20, 14) - 0.5) < 0.01, `rim pixel ${hint(20, 14)}`);
  });
  test('automatic hints run without user input', async () => {
    const r = await segment(scene(64, 64), { size: 64, iterations: 3 });
    assert.equal(r.report.hints, 'saliency');
    assert.equal(r.report.grownHints, true);
    // How much sharper the hinted object is than the background: it decides GrabCut's start (SEGMENT_RECIPE.saliencyPriorFocus).
    assert.ok(Number.isFinite(r.report.hintFocusRatio) && (r.report.hintFocusRatio as number) >= 0, `hintFocusRatio ${r.report.hintFocusRatio}`);
  });
  test("a user's hint mask is used as drawn, not grown", async () => {
    const hint = createImage(64, 64, 1, 0.5);
    for (let i = 0; i < 64 * 64; i++) { const x = i % 64, y = Math.floor(i / 64); if (x < 4) hint.data[i] = 0; if (x > 28 && x < 36 && y > 28 && y < 36) hint.data[i] = 1; }
    const r = await segment(scene(64, 64), { size: 64, iterations: 2, hint });
    assert.equal(r.report.hints, 'mask');
    assert.equal(r.report.grownHints, false);
    assert.equal(r.images.hints.data[10 * 64 + 10], 0.5, 'unknown stays unknown');
  });
  test('the mask hint counts only where the hints are known; unknown pixels are left to the DIPs (freeUnknown false: the reference)', () => {
    const map = (v: number[]) => ({ width: 2, height: 2, channels: 1, data: Float32Array.from(v) });
    const fg = map([1, 0, 0, 0]), bg = map([0, 0, 0, 1]), input = [createImage(2, 2, 3)];
    const d = segmentation(input, { fg: [fg], bg: [bg] }, {});
    const hint = d.phases[0].terms.find((t) => t.kind === 'match' && t.layer === 'mask');
    assert.equal(hint?.kind === 'match' && hint.within, 'hinted');
    assert.deepEqual([...(d.given!.hinted as Image[])[0].data], [1, 0, 0, 1]);
    assert.deepEqual([...(d.given!.maskHint as Image[])[0].data], [1, 0.5, 0.5, 0]);
    const ref = segmentation(input, { fg: [fg], bg: [bg] }, { freeUnknown: false });
    const refHint = ref.phases[0].terms.find((t) => t.kind === 'match' && t.layer === 'mask');
    assert.equal(refHint?.kind === 'match' && refHint.within, undefined);
    assert.equal(ref.given!.hinted, undefined);
  });

  test('bad hints are clear errors', async () => {
    await assert.rejects(segment(scene(64, 64), { box: { x: 50, y: 0, width: 30, height: 10 } }), /outside the 64x64 image/);
    await assert.rejects(segment(scene(64, 64), { hint: createImage(32, 32, 1) }), /hint mask is 32x32 but the image is 64x64/);
    await assert.rejects(segment(scene(64, 64), { hint: createImage(64, 64, 1) }), /needs both white/);
    assert.throws(() => parseBox('1,2,3'), /X,Y,W,H/);
    const h = hintsFromBox({ x: 10, y: 10, width: 20, height: 20 }, 40, 40);
    assert.equal(h.bg.data[0], 1);
    assert.equal(h.fg.data[20 * 40 + 20], 1);
  });
});

describe('separate', () => {
  test('two mixtures give two layers and two coefficients', async () => {
    const a = scene(80, 60), b = scene(80, 60);
    b.data.forEach((v, i) => { b.data[i] = 1 - v; });
    const r = await separate([a, b], { size: 128, iterations: 3 });
    assert.equal(r.images.layer1.width, 80);
    assert.equal(r.images.layer2.height, 60);
    assert.equal((r.report.coefficients as number[]).length, 2);
    assert.ok(r.images['reconstruction-2']);
  });
  test('two mixtures: the layers are solved exactly from the inputs given the coefficients', () => {
    const a = scene(16, 12), b = scene(16, 12);
    b.data.forEach((v, i) => { b.data[i] = (1 - v) * 0.8; });
    const mixed = (c: number): Image => ({ ...a, data: a.data.map((v, i) => c * v + (1 - c) * b.data[i]) });
    const [y1, y2] = solveTwoMixtures([mixed(0.3), mixed(0.7)], [0.3, 0.7]);
    y1.data.forEach((v, i) => assert.ok(Math.abs(v - a.data[i]) < 1e-5, `layer 1 at ${i}: ${v} vs ${a.data[i]}`));
    y2.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]) < 1e-5, `layer 2 at ${i}: ${v} vs ${b.data[i]}`));
    // Wrong coefficients leave each layer a mixture of both, clipped to [0, 1].
    const [w1] = solveTwoMixtures([mixed(0.3), mixed(0.7)], [0.2, 0.9]);
    assert.ok(w1.data.some((v, i) => Math.abs(v - a.data[i]) > 0.05));
    assert.ok(w1.data.every((v) => v >= 0 && v <= 1));
  });
  // Two layers with edges in different places, as two photos have: vertical bars, and rings.
  const random = rng(5);
  const bars = Array.from({ length: 9 * 3 }, () => random()), rings = Array.from({ length: 9 * 3 }, () => random());
  const pa = image(64, 48, 3, (x, y, c) => bars[Math.floor(x / 8) * 3 + c]);
  const pb = image(64, 48, 3, (x, y, c) => rings[Math.min(8, Math.floor(Math.hypot(x - 30, y - 22) / 5)) * 3 + c]);
  const mix = (c: number): Image => ({ ...pa, data: pa.data.map((v, i) => c * v + (1 - c) * pb.data[i]) });
  test('two mixtures: the coefficients are measured from the inputs, either order', () => {
    for (const [c1, c2] of [[0.3, 0.7], [0.55, 0.45], [0.8, 0.2]]) {
      const e = estimateMixing([mix(c1), mix(c2)], 64)!;
      // The estimate names y1 the layer with the larger coefficient in I1: (c1, c2) for pa, or (1 - c1, 1 - c2) for pb.
      const want = c1 > c2 ? [c1, c2] : [1 - c1, 1 - c2];
      assert.ok(Math.abs(e.coefficients[0] - want[0]) < 0.01 && Math.abs(e.coefficients[1] - want[1]) < 0.01, `${c1}/${c2}: got ${e.coefficients}`);
    }
    assert.equal(estimateMixing([mix(0.4), mix(0.4)], 64), null, 'identical inputs: nothing to measure');
  });
  test('two mixtures at the defaults: estimated coefficients solve the layers without training the DIPs', async () => {
    const progress: number[] = [];
    const r = await separate([mix(0.35), mix(0.55)], { size: 128, iterations: 50, onProgress: (p) => progress.push(p.iteration) });
    assert.equal(r.report.coefficientsFrom, 'estimated');
    assert.equal(r.report.layers, 'solved');
    assert.equal(r.report.confidence, 'high');
    assert.equal(r.report.trained, false);
    assert.equal(r.report.iterations, 0);
    assert.deepEqual(progress, [], 'no training, no progress');
    assert.equal(r.report.learnedCoefficients, null);
    assert.equal(r.images['layer1-net'], undefined);
    const [l1, l2] = [r.images.layer1, r.images.layer2];
    // Working-size estimate, full-size solve: each layer within a few grey levels of its truth.
    const err = (x: Image, t: Image) => Math.max(...x.data.map((v, i) => Math.abs(v - t.data[i])));
    assert.ok(Math.max(err(l1, pb), err(l2, pa)) < 0.03 || Math.max(err(l1, pa), err(l2, pb)) < 0.03, `layer errors ${err(l1, pb)}, ${err(l2, pa)}`);
    // The reconstructions mix the solved layers with the estimated coefficients: the inputs back.
    assert.ok(r.report.psnr > 35, `reconstruction ${r.report.psnr} dB`);
    assert.ok(psnr((r.images as Record<string, Image>)['reconstruction-1'], mix(0.35)) > 35);
    // The DIPs train when their output is asked for, and are then kept beside the solved layers.
    const withNets = await separate([mix(0.35), mix(0.55)], { size: 128, iterations: 2, layers: 'net' });
    assert.equal(withNets.report.trained, true);
    assert.equal(withNets.report.iterations, 2);
    const learned = withNets.report.learnedCoefficients as number[];
    assert.ok(Math.abs(learned[0] - learned[1]) < MIN_COEFFICIENT_GAP, 'after 2 iterations the learned ones are still together');
  });
  test('two mixtures: learned coefficients too close to solve with keep the DIP layers; a bad choice is refused before training', async () => {
    const a = scene(64, 48), b = scene(64, 48);
    b.data.forEach((v, i) => { b.data[i] = 1 - v; });
    // After 2 iterations both coefficients are still near their common start.
    const r = await separate([a, b], { size: 128, iterations: 2, coefficients: 'learned' });
    const [c1, c2] = r.report.coefficients as number[];
    assert.ok(Math.abs(c1 - c2) < MIN_COEFFICIENT_GAP);
    assert.equal(r.report.layers, 'net');
    assert.equal(r.images['layer1-net'], undefined);
    assert.equal(r.report.confidence, 'low');
    assert.equal(r.report.coefficientsFrom, 'learned');
    assert.match(r.report.concerns![0], /learned mixing coefficients .* are 0\.\d\d apart, under the 0\.15 needed to solve the layers/);
    const net = await separate([a, b], { size: 128, iterations: 2, layers: 'net' });
    assert.equal(net.report.layers, 'net');
    await assert.rejects(separate([a, b], { layers: 'exact' as never }), /Expected one of solved, net for layers but received "exact"/);
  });
  test('single image, blend and sum models', async () => {
    const blend = await separate([scene(64, 64)], { size: 128, iterations: 2 });
    assert.equal((blend.report.coefficients as number[]).length, 1);
    const sum = await separate([scene(64, 64)], { size: 128, iterations: 2, model: 'sum' });
    assert.equal(sum.report.coefficients, null);
    assert.equal(blend.report.confidence, 'high');
    assert.equal(blend.images['layer1-net'], undefined);
  });
  test('single image: layers at the input size that mix back to the input (blend and sum)', async () => {
    const a = scene(300, 200), b = image(300, 200, 3, (x, y, c) => 0.5 + 0.4 * Math.sin(x / 7 + c) * Math.cos(y / 5));
    const input = mixOf(a, b, 0.5);
    const r = await separate([input], { iterations: 2 });
    assert.deepEqual(r.report.processedSize, { width: 256, height: 160 });
    const [m] = r.report.coefficients as number[], { layer1, layer2 } = r.images;
    assert.deepEqual([layer1.width, layer1.height, layer2.width, layer2.height], [300, 200, 300, 200]);
    // Exact but where a layer was clipped to [0, 1]; the DIPs' own reconstruction after 2 steps is far from it.
    assert.ok(psnr(mixOf(layer1, layer2, m), input) > 40, `${psnr(mixOf(layer1, layer2, m), input).toFixed(1)} dB`);
    assert.ok(psnr(r.images.reconstruction, input) < 30, `the nets' reconstruction ${psnr(r.images.reconstruction, input).toFixed(1)} dB`);
    const sum = await separate([input], { iterations: 2, model: 'sum' });
    const added: Image = { ...sum.images.layer1, data: sum.images.layer1.data.map((v, i) => v + sum.images.layer2.data[i]) };
    assert.ok(psnr(added, input) > 40, `sum ${psnr(added, input).toFixed(1)} dB`);
  });
  test('single image, no separation found: both layers are the input, the split kept as layer*-net, confidence low', async () => {
    // A full-contrast checkerboard after one iteration: the DIP layers are still nearly flat next to it.
    const board = createImage(64, 64, 3);
    board.data.forEach((_, i) => { const p = Math.floor(i / 3); board.data[i] = ((p % 64 >> 3) + (Math.floor(p / 64) >> 3)) % 2; });
    const r = await separate([board], { size: 128, iterations: 1 });
    assert.equal(r.report.confidence, 'low');
    assert.match(r.report.concerns!.join(' '), /Layer \d carries only [\d.]+% of the input's contrast.*Both layers returned are the input itself/);
    assert.deepEqual([...r.images.layer1.data], [...board.data]);
    assert.deepEqual([...r.images.layer2.data], [...board.data]);
    assert.ok(r.images['layer1-net'] && r.images['layer2-net']);
  });
  test('images of different sizes are refused', async () => {
    await assert.rejects(separate([scene(64, 64), scene(64, 32)]), /same size.*64x64.*64x32/);
  });
});

describe('complexity', () => {
  test('one curve per image, one value per iteration', async () => {
    const c = await complexity([{ name: 'a', image: scene(64, 64) }], { size: 128, iterations: 5 });
    assert.equal(c.length, 1);
    assert.equal(c[0].mse.length, 5);
  });
});
