// Bad input through the library: every task checks its options object (the one schema the
// command line and the web also use), its images and its boxes at entry, before any training,
// and throws OptionError with a code, the option and the value received. The engine's own entry
// points (torch.tensor, setNumThreads) refuse bad data with a JS error, not a native crash.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, type Image } from '../src/image/image.js';
import * as torch from '../src/tensor/index.js';
import { segment, workingHints } from '../src/tasks/segment.js';
import { separate } from '../src/tasks/separate.js';
import { complexity } from '../src/tasks/complexity.js';
import { dehaze } from '../src/tasks/dehaze.js';
import { removeWatermark } from '../src/tasks/watermark.js';
import { videoDehaze, videoSegment, videoSeparate } from '../src/tasks/video.js';
import { checkBoxAtWorkingSize, hintsFromBox } from '../src/tasks/hints.js';
import { squareScene } from './support/images.js';
import { segmentSize } from '../src/tasks/segment.js';
import { OptionError, fieldName, flagName, type OptionErrorCode } from '../src/tasks/options.js';

const scene = squareScene;
/** The scene with one bad value at pixel (x, y), channel c. */
function poisoned(value: number, x = 3, y = 2, c = 1): Image {
  const img = scene(64, 64);
  img.data[(y * 64 + x) * 3 + c] = value;
  return img;
}
/** A hint mask: white centre, black border. */
function mask(width: number, height: number): Image {
  const m = createImage(width, height, 1);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++)
    m.data[y * width + x] = x > width / 4 && x < (3 * width) / 4 && y > height / 4 && y < (3 * height) / 4 ? 1 : 0;
  return m;
}

const img = scene(64, 64);
const box = { x: 10, y: 10, width: 40, height: 40 };
/** Fails the test if a task got as far as training. */
const onProgress = () => { throw new Error('training started: the bad input should have been refused at entry'); };

interface Case { name: string; call: () => unknown; code: OptionErrorCode; option: string; message: RegExp }

const cases: Case[] = [
  // Common options, numbers.
  { name: 'iterations 0', call: () => segment(img, { iterations: 0, onProgress }), code: 'ERR_OPTION_RANGE', option: 'iterations',
    message: /^Expected an integer from 1 to 1000000 for iterations but received 0$/ },
  { name: 'iterations 1.5', call: () => segment(img, { iterations: 1.5, onProgress }), code: 'ERR_OPTION_TYPE', option: 'iterations', message: /received 1\.5$/ },
  { name: 'iterations as a string', call: () => segment(img, { iterations: '5' as never, onProgress }), code: 'ERR_OPTION_TYPE', option: 'iterations', message: /received "5"$/ },
  { name: 'iterations NaN', call: () => separate([img], { iterations: NaN, onProgress }), code: 'ERR_OPTION_TYPE', option: 'iterations', message: /received NaN$/ },
  { name: 'iterations above the max', call: () => complexity([{ name: 'a', image: img }], { iterations: 2e6, onProgress }), code: 'ERR_OPTION_RANGE', option: 'iterations', message: /from 1 to 1000000 .*received 2000000$/ },
  { name: 'maxSeconds NaN (was ignored)', call: () => segment(img, { maxSeconds: NaN, onProgress }), code: 'ERR_OPTION_TYPE', option: 'maxSeconds',
    message: /^Expected a number of seconds above 0 and at most 604800 \(a week\) for maxSeconds but received NaN$/ },
  { name: 'maxSeconds 0 (ran untrained)', call: () => dehaze(img, { maxSeconds: 0, onProgress }), code: 'ERR_OPTION_RANGE', option: 'maxSeconds', message: /above 0 .*received 0$/ },
  { name: 'maxSeconds negative', call: () => separate([img], { maxSeconds: -1, onProgress }), code: 'ERR_OPTION_RANGE', option: 'maxSeconds', message: /received -1$/ },
  { name: 'maxSeconds Infinity', call: () => separate([img], { maxSeconds: Infinity, onProgress }), code: 'ERR_OPTION_TYPE', option: 'maxSeconds', message: /received Infinity$/ },
  { name: 'size above the max', call: () => segment(img, { size: 100000, onProgress }), code: 'ERR_OPTION_RANGE', option: 'size', message: /from 64 to 2048 for size but received 100000$/ },
  { name: 'size below separation\'s smallest', call: () => separate([img], { size: 64, onProgress }), code: 'ERR_OPTION_RANGE', option: 'size', message: /from 128 to 2048 for size but received 64$/ },
  { name: 'size a fraction', call: () => segment(img, { size: 63.5, onProgress }), code: 'ERR_OPTION_TYPE', option: 'size', message: /received 63\.5$/ },
  { name: 'seed 20 digits', call: () => segment(img, { seed: 12345678901234567890, onProgress }), code: 'ERR_OPTION_RANGE', option: 'seed', message: /from 0 to 2147483647 for seed/ },
  { name: 'seed negative', call: () => dehaze(img, { seed: -1, onProgress }), code: 'ERR_OPTION_RANGE', option: 'seed', message: /received -1$/ },
  { name: 'threads 1e9 (ended the process)', call: () => segment(img, { threads: 1e9, onProgress }), code: 'ERR_OPTION_RANGE', option: 'threads',
    message: /^Expected an integer from 1 to 256 for threads but received 1000000000$/ },
  { name: 'threads 0', call: () => separate([img], { threads: 0, onProgress }), code: 'ERR_OPTION_RANGE', option: 'threads', message: /received 0$/ },
  { name: 'device a wrong word', call: () => segment(img, { device: 'gpu', onProgress }), code: 'ERR_OPTION_CHOICE', option: 'device', message: /cpu, cuda or cuda:N for device but received "gpu"/ },
  { name: 'an unknown option', call: () => segment(img, { iteration: 5, onProgress } as never), code: 'ERR_OPTION_UNKNOWN', option: 'iteration', message: /Unknown option iteration for segment: it takes iterations, / },
  { name: 'options not an object', call: () => segment(img, 5 as never), code: 'ERR_OPTION_TYPE', option: 'options', message: /an object of options for segment but received 5/ },

  // Segmentation: boxes and hints.
  { name: 'box with NaN (ran)', call: () => segment(img, { box: { ...box, x: NaN }, onProgress }), code: 'ERR_OPTION_TYPE', option: 'box', message: /for box but received NaN,10,40,40$/ },
  { name: 'box with three numbers', call: () => segment(img, { box: { x: 1, y: 2, width: 3 } as never, onProgress }), code: 'ERR_OPTION_TYPE', option: 'box', message: /received \{x: 1, y: 2, width: 3\}$/ },
  { name: 'box negative', call: () => segment(img, { box: { ...box, x: -1 }, onProgress }), code: 'ERR_OPTION_RANGE', option: 'box', message: /x, y >= 0 .*received -1,10,40,40$/ },
  { name: 'box outside', call: () => segment(img, { box: { x: 50, y: 0, width: 30, height: 10 }, onProgress }), code: 'ERR_OPTION_RANGE', option: 'box', message: /lies outside the 64x64 image/ },
  { name: 'box 2x2: its inside vanishes', call: () => segment(img, { box: { x: 10, y: 10, width: 2, height: 2 }, onProgress }), code: 'ERR_OPTION_RANGE', option: 'box',
    message: /too small at the working size.*Draw a box at least 3x3 pixels/ },
  { name: 'box 12x12 on a 1024 px photo', call: () => segment(scene(1024, 768), { box: { x: 100, y: 100, width: 12, height: 12 }, onProgress }), code: 'ERR_OPTION_RANGE', option: 'box',
    message: /processed at 256x192 \(size 256\).*spans 1\.5x1\.5 px.*Draw a box at least 16x16 pixels, or raise size to 340\./ },
  { name: 'hint with box (accepted)', call: () => segment(img, { box, hint: mask(64, 64), onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'box', message: /^Give either hint or box, not both$/ },
  { name: 'hint of another size', call: () => segment(img, { hint: mask(32, 32), onProgress }), code: 'ERR_OPTION_RANGE', option: 'hint', message: /hint mask is 32x32 but the image is 64x64/ },
  { name: 'growHints a word', call: () => segment(img, { growHints: 'yes' as never, onProgress }), code: 'ERR_OPTION_TYPE', option: 'growHints', message: /true or false for growHints but received "yes"/ },

  // Images.
  { name: 'a NaN pixel (failed in training)', call: () => segment(poisoned(NaN), { onProgress }), code: 'ERR_IMAGE_DATA', option: 'image', message: /^image: pixel \(3, 2\) channel 1 is NaN: pixel values must be finite/ },
  { name: 'an Infinity pixel', call: () => dehaze(poisoned(Infinity, 5, 7, 2), { onProgress }), code: 'ERR_IMAGE_DATA', option: 'image', message: /pixel \(5, 7\) channel 2 is Infinity/ },
  { name: 'a data length that is not width x height x channels', call: () => segment({ width: 64, height: 64, channels: 3, data: new Float32Array(100) }, { onProgress }),
    code: 'ERR_IMAGE_DATA', option: 'image', message: /data has 100 values but 64x64x3 needs 12288/ },
  { name: 'a NaN in the second image', call: () => separate([img, poisoned(NaN)], { onProgress }), code: 'ERR_IMAGE_DATA', option: 'images[1]', message: /^images\[1\]: pixel \(3, 2\)/ },
  { name: 'a NaN in a hint mask', call: () => segment(img, { hint: { ...mask(64, 64), data: mask(64, 64).data.map((v, i) => (i === 5 ? NaN : v)) }, onProgress }),
    code: 'ERR_IMAGE_DATA', option: 'hint', message: /^hint: pixel \(5, 0\) channel 0 is NaN/ },
  { name: 'not an image', call: () => segment({ width: 2 } as never, { onProgress }), code: 'ERR_OPTION_TYPE', option: 'image', message: /Expected an Image \{width, height, channels, data: Float32Array\} for image/ },

  // Separation, complexity.
  { name: 'model a wrong word', call: () => separate([img], { model: 'mix' as never, onProgress }), code: 'ERR_OPTION_CHOICE', option: 'model', message: /one of blend, sum for model but received "mix"/ },
  { name: 'model with two images', call: () => separate([img, img], { model: 'sum', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'model', message: /model applies to one image/ },
  { name: 'layers with one image', call: () => separate([img], { layers: 'net', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'layers', message: /layers applies to two images/ },
  { name: 'coefficients with one image', call: () => separate([img], { coefficients: 'learned', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'coefficients', message: /coefficients applies to two images/ },
  { name: 'unknown coefficients', call: () => separate([img, img], { coefficients: 'guessed' as never, onProgress }), code: 'ERR_OPTION_CHOICE', option: 'coefficients', message: /one of estimated, learned for coefficients but received "guessed"/ },
  { name: 'complexity net a wrong word', call: () => complexity([{ name: 'a', image: img }], { net: 'Z' as never, onProgress }), code: 'ERR_OPTION_CHOICE', option: 'net', message: /one of A, B, C, D, dip for net/ },

  // Dehazing.
  { name: 'method a wrong word', call: () => dehaze(img, { method: 'magic' as never, onProgress }), code: 'ERR_OPTION_CHOICE', option: 'method', message: /one of double-dip, dcp for method but received "magic"/ },
  { name: 'passes 4', call: () => dehaze(img, { passes: 4, onProgress }), code: 'ERR_OPTION_RANGE', option: 'passes', message: /from 1 to 3 for passes but received 4/ },
  { name: 'airlight 0', call: () => dehaze(img, { airlight: [0, 0.5, 0.5], onProgress }), code: 'ERR_OPTION_RANGE', option: 'airlight', message: /above 0 and at most 1 for airlight but received \[0, 0\.5, 0\.5\]/ },
  { name: 'airlight two numbers', call: () => dehaze(img, { airlight: [0.5, 0.5] as never, onProgress }), code: 'ERR_OPTION_TYPE', option: 'airlight', message: /received \[0\.5, 0\.5\]/ },
  { name: 'passes with method dcp', call: () => dehaze(img, { method: 'dcp', passes: 2 }), code: 'ERR_OPTION_CONFLICT', option: 'passes', message: /^passes applies to method double-dip only$/ },
  { name: 'darkChannel negative', call: () => dehaze(img, { darkChannel: -1, onProgress }), code: 'ERR_OPTION_RANGE', option: 'darkChannel', message: /from 0 to 1000 for darkChannel/ },
  { name: 'dcp patch 0', call: () => dehaze(img, { method: 'dcp', dcp: { patch: 0 } }), code: 'ERR_OPTION_RANGE', option: 'dcp', message: /for dcp but received \{patch: 0\}/ },

  // Watermark removal.
  { name: 'runs 10', call: () => removeWatermark([img], { box, runs: 10, onProgress }), code: 'ERR_OPTION_RANGE', option: 'runs', message: /from 1 to 9 for runs but received 10/ },
  { name: 'runs a fraction', call: () => removeWatermark([img], { box, runs: 1.5, onProgress }), code: 'ERR_OPTION_TYPE', option: 'runs', message: /received 1\.5/ },
  { name: 'box with hint', call: () => removeWatermark([img], { box, hint: mask(64, 64), onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'hint', message: /^Give either box or hint, not both$/ },
  { name: 'a box with several images', call: () => removeWatermark([img, img], { box, onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'box', message: /box applies to one image/ },
  { name: 'one image without a region', call: () => removeWatermark([img], { onProgress }), code: 'ERR_OPTION_MISSING', option: 'box', message: /One image needs the watermark region: give box or hint/ },
  { name: 'markColour out of range', call: () => removeWatermark([img], { box, markColour: [2, 0, 0], onProgress }), code: 'ERR_OPTION_RANGE', option: 'markColour', message: /received \[2, 0, 0\]/ },
  { name: 'clean refit with one image', call: () => removeWatermark([img], { box, clean: 'refit', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'clean', message: /clean refit applies to several images/ },
  { name: 'opacity with several images', call: () => removeWatermark([img, img], { opacity: 'free', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'opacity', message: /opacity applies to one image/ },
  { name: 'sparsity NaN', call: () => removeWatermark([img], { box, sparsity: NaN, onProgress }), code: 'ERR_OPTION_TYPE', option: 'sparsity', message: /from 0 to 1000 for sparsity but received NaN/ },

  // Video.
  { name: 'hints for video separate', call: () => videoSeparate([img, img], { hints: 'first', onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'hints',
    message: /^hints does not apply to video separate: it applies to video segment$/ },
  { name: 'airlight for video segment', call: () => videoSegment([img, img], { airlight: [0.5, 0.5, 0.5], onProgress }), code: 'ERR_OPTION_CONFLICT', option: 'airlight', message: /it applies to dehaze, video dehaze/ },
  { name: 'batch 0', call: () => videoSegment([img, img], { batch: 0, onProgress }), code: 'ERR_OPTION_RANGE', option: 'batch', message: /from 1 to 300 for batch but received 0/ },
  { name: 'video airlight 0', call: () => videoDehaze([img, img], { airlight: [0, 0, 0], onProgress }), code: 'ERR_OPTION_RANGE', option: 'airlight', message: /received \[0, 0, 0\]/ },
  { name: 'a NaN in a frame', call: () => videoSegment([img, poisoned(NaN)], { onProgress }), code: 'ERR_IMAGE_DATA', option: 'frames[1]', message: /^frames\[1\]: pixel \(3, 2\)/ },
];

describe('library: bad options and images are refused at entry with OptionError', () => {
  for (const c of cases) {
    test(c.name, async () => {
      await assert.rejects(async () => c.call(), (e: unknown) => {
        assert.ok(e instanceof OptionError, `not an OptionError: ${(e as Error)?.stack}`);
        assert.equal(e.code, c.code);
        assert.equal(e.option, c.option);
        assert.match(e.message, c.message);
        return true;
      });
    });
  }
});

describe('library: the error carries what each surface needs', () => {
  test('the received value and the option name, rendered per surface', async () => {
    const e = await segment(img, { maxSeconds: -3 }).catch((x: unknown) => x) as OptionError;
    assert.equal(e.received, -3);
    assert.equal(e.format(flagName), 'Expected a number of seconds above 0 and at most 604800 (a week) for --max-seconds but received -3');
    assert.equal(e.format(fieldName), 'Expected a number of seconds above 0 and at most 604800 (a week) for "maxSeconds" but received -3');
    assert.equal(flagName('darkChannelByT'), '--dark-channel-by-t');
  });

  test('the smallest box the check takes still leaves foreground at the working size; one pixel less is refused', () => {
    for (const [W, H, size] of [[1024, 768, 256], [90, 70, 64], [300, 500, 128]]) {
      const at = (s: number) => segmentSize(W, H, s);
      let side = 1;
      for (; ; side++) {
        try { checkBoxAtWorkingSize({ x: 5, y: 5, width: side, height: side }, W, H, size, at); break; } catch (e) { assert.ok(e instanceof OptionError); }
      }
      const b = { x: 5, y: 5, width: side, height: side };
      const h = workingHints(scene(W, H), hintsFromBox(b, W, H), at(size), false);
      assert.ok(h.fg.data.some((v) => v === 1), `${W}x${H} at ${size}: box ${side} px has no foreground`);
      assert.throws(() => checkBoxAtWorkingSize({ ...b, width: side - 1, height: side - 1 }, W, H, size, at), OptionError);
    }
  });
});

describe('engine: bad data and thread counts are JS errors, never a crash', () => {
  test('torch.tensor takes numbers only, rectangular, and a shape that fits the data', () => {
    assert.throws(() => torch.tensor(['a'] as never), (e: unknown) => e instanceof TypeError && /element \[0\] is "a": the data must be numbers/.test(e.message));
    assert.throws(() => torch.tensor([[1, 2], [3]]), (e: unknown) => e instanceof RangeError && /ragged data: \[1\] has 1 items where the rows before it have 2/.test(e.message));
    assert.throws(() => torch.tensor([1, [2]] as never), /ragged data: element \[1\] is an array where the rows before it have numbers/);
    assert.throws(() => torch.tensor([[1], 2] as never), /ragged data: element \[1\] is a number where the rows before it have arrays/);
    assert.throws(() => torch.tensor([1, 2, 3], [2, 2]), /the shape \[2, 2\] holds 4 values but the data has 3/);
    assert.throws(() => torch.tensor([1, 2, 3, 4], [2, -2]), /shape must be non-negative integers/);
    assert.throws(() => torch.tensor('abc' as never), /expected numbers, nested arrays of numbers or a typed array but received "abc"/);
    const t = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual([...t.toFloat32Array()], [1, 2, 3, 4, 5, 6]);
    t.dispose();
  });

  test('setNumThreads is bounded; the count in use is kept', () => {
    const before = torch.getNumThreads();
    for (const n of [1e9, 0, 1.5, 257, NaN, '4']) {
      assert.throws(() => torch.setNumThreads(n as number), (e: unknown) => e instanceof RangeError && /expected an integer from 1 to 256 for threads/.test(e.message));
    }
    assert.equal(torch.getNumThreads(), before);
  });
});
