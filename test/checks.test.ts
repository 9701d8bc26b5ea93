// A task's checks of its own result (src/image/checks.ts): each sign fires on a constructed case
// that shows it and stays quiet on one that does not; one command-line run with a doubtful result
// warns on stderr and writes confidence and concerns to report.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { createImage, type Image } from '../src/image/image.js';
import { saliencyHintsFor } from '../src/image/hints.js';
import {
  clippedShare, coefficientsTooClose, implausibleOpacity, judge, layerNearlyFlat, layersAlike, markRemains, maskContradictsHints, noClearObject,
  nothingRemoved, transmissionUniform, unexplainedChange,
} from '../src/image/checks.js';
import { SEPARATE_RECIPE } from '../src/tasks/separate.js';
import { SEGMENT_RECIPE } from '../src/tasks/segment.js';
import { WATERMARK_RECIPE } from '../src/tasks/watermark.js';
import { DEHAZE_RECIPE } from '../src/tasks/dehaze.js';
import { OPACITY_FLOOR } from '../src/image/opacity.js';

const W = 64, H = 48;

/** A seeded random texture (RGB, or grey with channels 1). */
function texture(seed: number, channels = 3): Image {
  const img = createImage(W, H, channels);
  let s = seed;
  for (let i = 0; i < img.data.length; i++) { s = (s * 16807) % 2147483647; img.data[i] = s / 2147483647; }
  return img;
}
const make = (channels: number, f: (x: number, y: number, c: number) => number): Image => {
  const img = createImage(W, H, channels);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) img.data[(y * W + x) * channels + c] = f(x, y, c);
  return img;
};
const mix = (a: Image, b: Image, m: number) => ({ ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) });
const whole = make(1, () => 1);

describe('checks: separate', () => {
  test('coefficients closer than the solve guard', () => {
    const c = coefficientsTooClose([0.52, 0.6], SEPARATE_RECIPE.minCoefficientGap);
    assert.match(c ?? '', /0\.52 and 0\.60 are 0\.08 apart.*photograph the two mixtures with more different reflection strengths/);
    assert.equal(coefficientsTooClose([0.3, 0.7], SEPARATE_RECIPE.minCoefficientGap), null);
  });

  test('one image: a flat layer (everything in the other)', () => {
    const a = texture(1), b = texture(2);
    const flat = make(3, () => 0.5);
    assert.match(layerNearlyFlat(a, [a, flat], [1, 0], SEPARATE_RECIPE.minLayerShare) ?? '', /Layer 2 carries only 0% of the input's contrast/);
    assert.equal(layerNearlyFlat(mix(a, b, 0.5), [a, b], [0.5, 0.5], SEPARATE_RECIPE.minLayerShare), null);
  });

  test('one image: two layers with the same edges', () => {
    const a = texture(1), b = texture(2);
    const scaled = { ...a, data: a.data.map((v) => 0.2 + 0.5 * v) };
    assert.match(layersAlike(a, scaled, SEPARATE_RECIPE.maxLayerCorrelation) ?? '', /gradient correlation 1\.00/);
    assert.equal(layersAlike(a, b, SEPARATE_RECIPE.maxLayerCorrelation), null);
  });
});

describe('checks: watermark', () => {
  // A white mark at opacity 0.4 on horizontal stripes of rows 10-13, 30-33 inside the region (all but a 4 px rim).
  const region = make(1, (x, y) => (x >= 4 && x < W - 4 && y >= 4 && y < H - 4 ? 1 : 0));
  const alpha = make(1, (x, y) => ((y >= 10 && y < 14) || (y >= 30 && y < 34)) && x >= 8 && x < W - 8 ? 0.4 : 0);
  const C = texture(3);
  const I = make(3, (x, y, c) => alpha.data[y * W + x] + (1 - alpha.data[y * W + x]) * C.data[(y * W + x) * 3 + c]);

  test('nothing removed: no opacity anywhere in the region', () => {
    assert.match(nothingRemoved(make(1, () => 0.02), region, OPACITY_FLOOR, WATERMARK_RECIPE.minMarkedShare) ?? '', /reaches 0\.1 on only 0% of the region.*--mark-colour/);
    assert.equal(nothingRemoved(alpha, region, OPACITY_FLOOR, WATERMARK_RECIPE.minMarkedShare), null);
    assert.match(nothingRemoved(make(1, () => 0), null, OPACITY_FLOOR, WATERMARK_RECIPE.minMarkedShare) ?? '', /of the image/);
  });

  test('the mark\'s shape as strong in the clean image as in the input (left, or an inverted imprint)', () => {
    assert.equal(markRemains(I, C, alpha, region, WATERMARK_RECIPE.maxMarkCorrelationRatio), null);
    assert.match(markRemains(I, I, alpha, region, WATERMARK_RECIPE.maxMarkCorrelationRatio) ?? '', /as strongly as the input does.*compare the two/);
    // A dark mark taken for a white one: its solve darkens the strokes further.
    const imprint = make(3, (x, y, c) => Math.max(0, C.data[(y * W + x) * 3 + c] - 1.5 * alpha.data[y * W + x]));
    assert.notEqual(markRemains(I, imprint, alpha, region, WATERMARK_RECIPE.maxMarkCorrelationRatio), null);
  });

  test('an opacity level no removable mark has: at the floor (a colour that explains no mark) or near 1', () => {
    const range = WATERMARK_RECIPE.opacityLevelRange;
    for (const level of [null, range[0], 0.45, range[1]]) assert.equal(implausibleOpacity(level, range, false), null);
    assert.match(implausibleOpacity(0.11, range, false) ?? '', /opacity came out at 0\.11 \(under 0\.25\): the white mark assumed explains no mark.*--mark-colour R,G,B/);
    assert.match(implausibleOpacity(0.11, range, true) ?? '', /the colour given explains no mark.*Check the colour given/);
    assert.match(implausibleOpacity(0.97, range, false) ?? '', /at 0\.97 \(over 0\.9\): parts of the image were taken for an opaque mark.*tighter box/);
  });

  test('a change the opacity cannot explain', () => {
    assert.equal(unexplainedChange(I, C, alpha, region, WATERMARK_RECIPE.unexplainedTolerance, WATERMARK_RECIPE.maxUnexplainedShare), null);
    const invented = texture(9);
    assert.match(unexplainedChange(I, invented, alpha, region, WATERMARK_RECIPE.unexplainedTolerance, WATERMARK_RECIPE.maxUnexplainedShare) ?? '',
      /more than the mark's opacity can explain on \d+(\.\d)?% of the region/);
  });
});

describe('checks: segment', () => {
  const hints = make(1, (x, y) => (x >= 24 && x < 40 && y >= 16 && y < 32 ? 1 : x < 8 || x >= W - 8 || y < 6 || y >= H - 6 ? 0 : 0.5));
  const mask = make(1, (x, y) => (x >= 20 && x < 44 && y >= 12 && y < 36 ? 1 : 0));

  test('a mask that contradicts its hints', () => {
    assert.equal(maskContradictsHints(mask, hints, SEGMENT_RECIPE.maxHintContradiction), null);
    const inverted = { ...mask, data: mask.data.map((v) => 1 - v) };
    assert.match(maskContradictsHints(inverted, hints, SEGMENT_RECIPE.maxHintContradiction) ?? '', /100% of the foreground hint is labelled background.*--box X,Y,W,H/);
    const everything = make(1, () => 1);
    assert.match(maskContradictsHints(everything, hints, SEGMENT_RECIPE.maxHintContradiction) ?? '', /100% of the background hint is labelled foreground/);
  });

  test('a saliency map with no clear object', () => {
    const noise = saliencyHintsFor(texture(5));
    assert.match(noClearObject(noise.saliency!, noise.fg, SEGMENT_RECIPE.minSaliencyRatio) ?? '', /no clear object.*--box X,Y,W,H/);
    const square = saliencyHintsFor(make(3, (x, y, c) => (x >= 20 && x < 44 && y >= 12 && y < 36 ? [0.9, 0.3, 0.3][c] : 0.2)));
    assert.equal(noClearObject(square.saliency!, square.fg, SEGMENT_RECIPE.minSaliencyRatio), null);
  });
});

describe('checks: dehaze', () => {
  test('a uniform transmission', () => {
    assert.match(transmissionUniform(make(1, () => 0.7), DEHAZE_RECIPE.minTransmissionSpread) ?? '', /0\.70 to 0\.70.*--method dcp/);
    assert.equal(transmissionUniform(make(1, (x) => 0.2 + (0.7 * x) / W), DEHAZE_RECIPE.minTransmissionSpread), null);
  });

  test('a result clipped over a large share', () => {
    const hazy = make(3, (x, y, c) => 0.3 + 0.4 * ((x + y + c) % 7) / 7);
    assert.equal(clippedShare(hazy, hazy, DEHAZE_RECIPE.maxClippedShare), null);
    const burnt = make(3, (x, y, c) => (x < W / 4 ? 0 : hazy.data[(y * W + x) * 3 + c]));
    assert.match(clippedShare(hazy, burnt, DEHAZE_RECIPE.maxClippedShare) ?? '', /clipped to black or white on 25% of its pixels/);
  });
});

test('judge: low with the concerns seen, high without', () => {
  assert.deepEqual(judge([null, 'a', null, 'b']), { confidence: 'low', concerns: ['a', 'b'] });
  assert.deepEqual(judge([null]), { confidence: 'high', concerns: [] });
  assert.ok(whole.data.every((v) => v === 1));
});

describe('a doubtful run on the command line', () => {
  const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
  const tmp = mkdtempSync(join(tmpdir(), 'dd-checks-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

  test('segment of noise with automatic hints: a warning on stderr (also with --quiet), confidence low in report.json and --json', async () => {
    const noise = texture(7);
    const png = join(tmp, 'noise.png');
    await sharp(Buffer.from(noise.data.map((v) => Math.round(v * 255))), { raw: { width: W, height: H, channels: 3 } }).png().toFile(png);
    const out = join(tmp, 'seg');
    const r = cli('segment', png, '-o', out, '--size', '64', '--iterations', '2', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: The automatic saliency map shows no clear object .*--box X,Y,W,H/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.confidence, 'low');
    assert.ok(report.concerns.some((c: string) => /no clear object/.test(c)), JSON.stringify(report.concerns));
    const j = cli('segment', png, '-o', join(tmp, 'seg-json'), '--size', '64', '--iterations', '2', '--json');
    assert.equal(j.status, 0, j.stderr);
    assert.doesNotMatch(j.stderr, /warning:/);
    const last = JSON.parse(j.stdout.trim().split('\n').pop()!);
    assert.equal(last.report.confidence, 'low');
  });

  test('dehaze --method dcp of a hazy image (haze growing left to right): confidence high, no warning', async () => {
    const png = join(tmp, 'hazy.png');
    // I = t J + (1 - t) A, A = 0.9 grey, t from 1 to 0.3 across the image.
    const img = make(3, (x, y, c) => { const t = 1 - (0.7 * x) / W; return t * [x / W, y / H, ((x * y) % 17) / 17][c] + (1 - t) * 0.9; });
    await sharp(Buffer.from(img.data.map((v) => Math.round(v * 255))), { raw: { width: W, height: H, channels: 3 } }).png().toFile(png);
    const out = join(tmp, 'dcp');
    const r = cli('dehaze', png, '-o', out, '--method', 'dcp');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual([report.confidence, report.concerns], ['high', []], JSON.stringify(report.concerns));
    assert.doesNotMatch(r.stderr, /warning:/);
  });

  test('dehaze --method dcp of a flat grey image: a uniform transmission, confidence low', async () => {
    const png = join(tmp, 'grey.png');
    await sharp({ create: { width: W, height: H, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(png);
    const out = join(tmp, 'grey');
    const r = cli('dehaze', png, '-o', out, '--method', 'dcp');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: The transmission map is nearly uniform/m);
    assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).confidence, 'low');
  });
});
