// Memory: full-resolution work is done a strip of rows (or a tile) at a time, and its results do
// not depend on the strip or tile size; a 24 MP photo goes through the CLI within 1.5 GiB.
// bench/memory measures every task at 1, 12, 24 and 50 MP.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { darkChannel, estimateAirlight } from '../src/image/dark-channel.js';
import { guidedFilter } from '../src/image/guided-filter.js';
import { crop, median, paste, type Image } from '../src/image/image.js';
import { LazyImage, pixelsAt, strip } from '../src/image/lazy-image.js';
import { resizeImage, resizeLazily, toGrey, toRgb } from '../src/image/resize.js';
import { frequencyTuned, saliencyHints, saliencyMap } from '../src/image/saliency.js';
import { histogramEqualise } from '../src/image/equalise.js';
import { encodePng, readImage } from '../src/io/image-file.js';
import { dcpTransmission } from '../src/image/dcp.js';
import { recoverScene } from '../src/image/solve.js';
import { hintsFromBox, hintsFromMask } from '../src/tasks/hints.js';
import { runWithPeakRss } from '../bench/peak-rss.js';
import { image, rng } from './support/images.js';

const tmp = mkdtempSync(join(tmpdir(), 'dd-memory-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The same pixels as a lazy image, made a strip at a time from a copy. */
const lazy = (img: Image) => {
  const copy = img.data.slice(), row = img.width * img.channels;
  return new LazyImage(img.width, img.height, img.channels, (y0, y1) => copy.slice(y0 * row, y1 * row));
};

/** f's result with strips of one row or so (`values` per strip), then with the whole image as one strip. */
function inStrips<T>(values: number, f: () => T): { strips: T; whole: T } {
  const saved = strip.values;
  try {
    strip.values = values;
    const strips = f();
    strip.values = Infinity;
    return { strips, whole: f() };
  } finally {
    strip.values = saved;
  }
}

/** Every image of a result made whole (reading rows as they were when made). */
const whole = (imgs: Image[]) => imgs.map((i) => Array.from(i.data));

describe('full resolution a strip at a time', () => {
  const r = rng(7);
  const photo = image(97, 61, 3, (x, y, c) => Math.min(1, Math.max(0, 0.5 + 0.4 * Math.sin(x / 9 + c) * Math.cos(y / 7) + 0.1 * (r() - 0.5))));
  const grey = image(97, 61, 1, (x, y) => (x > 30 && x < 70 && y > 15 && y < 45 ? 1 : x < 10 ? 0 : 0.5));

  test('a lazy image gives the same rows, strip by strip or whole, and data once read', () => {
    const l = lazy(photo);
    assert.deepEqual(Array.from(l.rows(10, 13)), Array.from(photo.data.subarray(10 * 97 * 3, 13 * 97 * 3)));
    assert.deepEqual(l.data, photo.data);
    assert.deepEqual(pixelsAt(l, [5000, 3, 97 * 60 + 96]), Float32Array.from([...photo.data.subarray(15000, 15003), ...photo.data.subarray(9, 12), ...photo.data.subarray(-3)]));
  });

  test('resize, channel conversion, crop, paste and median: lazy and plain agree, whatever the strip', () => {
    const run = () => {
      const l = lazy(photo);
      return whole([resizeImage(l, 31, 20), resizeImage(l, 211, 140), resizeLazily(photo, 211, 140), toGrey(l), toRgb(lazy(grey)),
        crop(l, { x: 10, y: 7, width: 50, height: 40 }), paste(l, lazy(crop(photo, { x: 0, y: 0, width: 20, height: 30 })), 60, 25),
        median([l, lazy(toRgb(grey)), photo])]);
    };
    const { strips, whole: one } = inStrips(97 * 3 * 2 + 5, run);
    assert.deepEqual(strips, one);
    const plain = whole([resizeImage(photo, 31, 20), resizeImage(photo, 211, 140), resizeImage(photo, 211, 140), toGrey(photo), toRgb(grey),
      crop(photo, { x: 10, y: 7, width: 50, height: 40 }), paste(photo, crop(photo, { x: 0, y: 0, width: 20, height: 30 }), 60, 25),
      median([photo, toRgb(grey), photo])]);
    assert.deepEqual(strips, plain);
  });

  test('saliency, hints, dark channel, airlight and the scene solve do not depend on the strip', () => {
    const run = () => {
      const l = lazy(photo);
      const sal = saliencyMap(l);
      const { fg, bg } = saliencyHints(sal);
      const A = estimateAirlight(l, darkChannel(l, 15), 0.01, 'brightest');
      const t = dcpTransmission(l, A, 15, 0.95);
      const mask = hintsFromMask(lazy(grey), 97, 61), box = hintsFromBox({ x: 20, y: 10, width: 50, height: 40 }, 97, 61);
      return { A, images: whole([sal, frequencyTuned(l), fg, bg, histogramEqualise(sal), t, recoverScene(l, t, A, 0.1), mask.fg, mask.bg, box.fg, box.bg]) };
    };
    const { strips, whole: one } = inStrips(97 * 3 * 3 + 1, run);
    assert.deepEqual(strips, one);
  });

  test('the guided filter in tiles equals the filter of the whole image', () => {
    const mask = image(97, 61, 1, (x, y) => (x - 48) ** 2 + (y - 30) ** 2 < 400 ? 1 : 0);
    for (const [radius, tile] of [[4, 16], [9, 7], [30, 40]]) {
      const tiled = guidedFilter(lazy(photo), lazy(mask), radius, 1e-3, tile).data, one = guidedFilter(photo, mask, radius, 1e-3, Infinity).data;
      const diff = tiled.reduce((m, v, i) => Math.max(m, Math.abs(v - one[i])), 0);
      assert.ok(diff < 1e-5, `radius ${radius}, tile ${tile}: max difference ${diff}`);
    }
  });

  test('a PNG is encoded a strip at a time, the same as from the whole image', async () => {
    const { strips } = inStrips(97 * 3, () => encodePng(lazy(photo)));
    assert.deepEqual(await strips, await encodePng(photo));
  });

  test('read images keep their decoded pixels and give the same floats', async () => {
    const p = join(tmp, 'photo.png');
    await sharp(await encodePng(photo)).toFile(p);
    const read = await readImage(p);
    assert.ok(read instanceof LazyImage, 'kept as decoded, made float a strip at a time');
    const again = await readImage(p);
    assert.deepEqual(Array.from(read.rows(0, 61)), Array.from(again.data));
    assert.ok(again.data.every((v, i) => Math.abs(v - photo.data[i]) <= 0.5 / 255 + 1e-6));
  });
});

describe('peak memory through the CLI', () => {
  test('separate on a 24 MP photo stays under 1.5 GiB (it took 1.6 GiB with full-size float copies)', async () => {
    // A flat photo with a block compresses to 0.1 MB; decoding, resizing, upsampling and writing its
    // outputs at 6000x4000 cost what a real photo's do.
    const input = join(tmp, 'big.png'), out = join(tmp, 'out');
    await sharp({ create: { width: 6000, height: 4000, channels: 3, background: { r: 40, g: 120, b: 200 } } })
      .composite([{ input: { create: { width: 2000, height: 1500, channels: 3, background: { r: 240, g: 200, b: 30 } } }, left: 2000, top: 1200 }])
      .png().toFile(input);
    const r = await runWithPeakRss([join(process.cwd(), 'bin', 'double-dip.mjs'), 'separate', input, '-o', out, '--iterations', '1', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.peakMiB < 1536, `peak RSS ${r.peakMiB.toFixed(0)} MiB`);
    const meta = await sharp(join(out, 'layer1.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [6000, 4000]);
  });
});
