// File I/O: image files (sharp), video (ffmpeg) and PNG plots. All inputs are made here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { createImage, type Image } from '../src/image/image.js';
import {
  MAX_IMAGE_MEGAPIXELS,
  MIN_IMAGE_SIDE,
  encodePng,
  readImage,
  readImageBuffer,
  writeImage,
} from '../src/io/image-file.js';
import { plotCurves } from '../src/io/plot.js';
import { probeVideo, readFrames, writeVideo } from '../src/io/video-file.js';
import { image, rng } from './support/images.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'double-dip-io-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});


function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('image files', () => {
  test('8-bit RGB PNG round trip is exact on k/255 values', async () => {
    const r = rng(1);
    const img = image(20, 17, 3, () => Math.round(r() * 255) / 255);
    const p = join(dir, 'rgb8.png');
    await writeImage(p, img);
    const back = await readImage(p);
    assert.deepEqual([back.width, back.height, back.channels], [20, 17, 3]);
    assert.ok(maxDiff(back.data, img.data) < 1e-6);
    const meta = await sharp(p).metadata();
    assert.equal(meta.depth, 'uchar');
  });

  test('16-bit PNG keeps 16-bit precision', async () => {
    const r = rng(2);
    const img = image(18, 16, 3, () => r());
    const p = join(dir, 'rgb16.png');
    await writeImage(p, img, { bitDepth: 16 });
    assert.equal((await sharp(p).metadata()).depth, 'ushort');
    const back = await readImage(p);
    // 8-bit quantisation would be off by up to 2e-3; 16-bit by at most 0.5/65535.
    assert.ok(maxDiff(back.data, img.data) <= 0.5 / 65535 + 1e-7, `max diff ${maxDiff(back.data, img.data)}`);
  });

  test('16-bit grey PNG reads at full precision', async () => {
    const img = image(16, 16, 1, (x, y) => (y * 16 + x) * 97 / 65535);
    const p = join(dir, 'grey16.png');
    await writeImage(p, img, { bitDepth: 16 });
    const back = await readImage(p, { channels: 1 });
    assert.equal(back.channels, 1);
    assert.ok(maxDiff(back.data, img.data) < 1e-7);
  });

  test('grey PNG: written as 1 channel, expanded to RGB unless channels: 1', async () => {
    const img = image(16, 20, 1, (x, y) => ((x + y) % 7) / 6);
    const p = join(dir, 'grey8.png');
    await writeImage(p, img);
    assert.equal((await sharp(p).metadata()).channels, 1);
    const rgb = await readImage(p);
    assert.equal(rgb.channels, 3);
    for (let i = 0; i < 16 * 20; i++) {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(rgb.data[i * 3 + c] - img.data[i]) < 0.5 / 255 + 1e-6);
    }
    const grey = await readImage(p, { channels: 1 });
    assert.equal(grey.channels, 1);
    assert.ok(maxDiff(grey.data, img.data) < 0.5 / 255 + 1e-6);
  });

  test('RGB read with channels: 1 gives BT.601 luma', async () => {
    const img = image(16, 16, 3, (_x, _y, c) => [1, 0, 0][c]);
    const p = join(dir, 'red.png');
    await writeImage(p, img);
    const grey = await readImage(p, { channels: 1 });
    assert.equal(grey.channels, 1);
    assert.ok(Math.abs(grey.data[0] - 0.299) < 1e-6);
  });

  test('RGBA: alpha is dropped, colours are not composited', async () => {
    const w = 16;
    const h = 16;
    const px = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) px.set([200, 100, 50, i % 2 ? 0 : 128], i * 4);
    const p = join(dir, 'rgba.png');
    await sharp(px, { raw: { width: w, height: h, channels: 4 } }).png().toFile(p);
    const img = await readImage(p);
    assert.equal(img.channels, 3);
    for (let i = 0; i < w * h; i++) {
      assert.deepEqual(Array.from(img.data.subarray(i * 3, i * 3 + 3)).map((v) => Math.round(v * 255)), [200, 100, 50]);
    }
  });

  test('EXIF orientation is applied', async () => {
    // Stored 32 wide x 16 high: left half red, right half blue. Orientation 6 = rotate 90° clockwise.
    const stored = Buffer.alloc(32 * 16 * 3);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) stored.set(x < 16 ? [255, 0, 0] : [0, 0, 255], (y * 32 + x) * 3);
    const p = join(dir, 'rotated.jpg');
    await sharp(stored, { raw: { width: 32, height: 16, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(p);
    const img = await readImage(p);
    assert.deepEqual([img.width, img.height], [16, 32]);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
    assert.ok(px(8, 4)[0] > 0.8 && px(8, 4)[2] < 0.2, 'top is red');
    assert.ok(px(8, 28)[2] > 0.8 && px(8, 28)[0] < 0.2, 'bottom is blue');
  });

  test('JPEG, WebP, TIFF and GIF decode', async () => {
    const raw = Buffer.alloc(24 * 18 * 3, 128);
    const src = () => sharp(raw, { raw: { width: 24, height: 18, channels: 3 } });
    const files: [string, sharp.Sharp][] = [
      ['a.jpg', src().jpeg()],
      ['a.webp', src().webp({ lossless: true })],
      ['a.tiff', src().tiff()],
      ['a.gif', src().gif()],
    ];
    for (const [name, s] of files) {
      const p = join(dir, name);
      await s.toFile(p);
      const img = await readImage(p);
      assert.deepEqual([img.width, img.height, img.channels], [24, 18, 3], name);
      assert.ok(Math.abs(img.data[0] - 128 / 255) < 4 / 255, `${name}: ${img.data[0] * 255}`);
    }
  });

  test('readImageBuffer matches readImage', async () => {
    const r = rng(3);
    const img = image(17, 19, 3, () => r());
    const buf = await encodePng(img);
    const p = join(dir, 'buf.png');
    await writeFile(p, buf);
    const a = await readImage(p);
    const b = await readImageBuffer(buf, 'upload.png');
    assert.deepEqual(b.data, a.data);
  });

  test('writing clamps to [0, 1], rounds, and maps NaN to 0', async () => {
    const img = createImage(16, 16, 1);
    img.data.set([-0.5, 1.5, NaN, 0.5 / 255 + 1e-4, 0.5 / 255 - 1e-4]);
    const back = await readImageBuffer(await encodePng(img), 'x', { channels: 1 });
    assert.deepEqual(Array.from(back.data.subarray(0, 5)).map((v) => Math.round(v * 255 * 1000) / 1000), [0, 255, 0, 1, 0]);
  });

  test('writeImage creates folders, overwrites, leaves no temp files', async () => {
    const sub = join(dir, 'nested', 'deeper');
    const p = join(sub, 'out.png');
    await writeImage(p, createImage(16, 16, 3, 0.25));
    await writeImage(p, createImage(16, 16, 3, 0.75));
    assert.deepEqual(await readdir(sub), ['out.png']);
    assert.ok(Math.abs((await readImage(p)).data[0] - 0.75) < 1 / 255);
  });

  describe('errors name the problem and the fix', () => {
    test('missing file', async () => {
      await assert.rejects(readImage(join(dir, 'nope.png')), /Cannot read image ".*nope\.png": no such file\. Check the path/);
    });
    test('empty file', async () => {
      const p = join(dir, 'empty.png');
      await writeFile(p, '');
      await assert.rejects(readImage(p), /file is empty\. Pass a PNG, JPEG, WebP, TIFF or GIF image/);
      await assert.rejects(readImageBuffer(Buffer.alloc(0), 'up.png'), /"up\.png": file is empty/);
    });
    test('not an image', async () => {
      const p = join(dir, 'text.png');
      await writeFile(p, 'hello, I am not a picture');
      await assert.rejects(readImage(p), /not a readable image .*Pass a PNG, JPEG/);
    });
    test('a folder', async () => {
      await assert.rejects(readImage(dir), /it is a folder/);
    });
    test('truncated file', async () => {
      const r = rng(4);
      const png = await encodePng(image(64, 64, 3, () => r()));
      await assert.rejects(readImageBuffer(png.subarray(0, png.length >> 1), 'cut.png'), /Cannot read image "cut\.png": decoding failed .* pass a valid PNG/);
    });
    test('too small', async () => {
      const png = await encodePng(createImage(40, MIN_IMAGE_SIDE - 1, 3));
      await assert.rejects(readImageBuffer(png, 'tiny.png'), /40x15 pixels, too small\. Pass an image at least 16x16 pixels/);
    });
    test('too large (checked from the header, before decoding)', async () => {
      // A 16x16 PNG whose header claims 10000x6000; nothing is decoded, so this is instant.
      const png = Buffer.from(await encodePng(createImage(16, 16, 1)));
      png.writeUInt32BE(10000, 16);
      png.writeUInt32BE(6000, 20);
      png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
      const tooLarge = new RegExp(`60\\.0 megapixels\\), too large\\. Downscale it to at most ${MAX_IMAGE_MEGAPIXELS} megapixels`);
      await assert.rejects(readImageBuffer(png, 'huge.png'), tooLarge);
      const p = join(dir, 'huge.png');
      await writeFile(p, png);
      await assert.rejects(readImage(p), tooLarge, 'a file is checked the same way');
    });
    test('bad channels and bit depth options', async () => {
      await assert.rejects(encodePng(createImage(16, 16, 2)), /2 channels\. Pass a 1-channel or 3-channel image/);
      await assert.rejects(encodePng(createImage(16, 16, 3), { bitDepth: 12 as 8 }), /bitDepth must be 8 or 16/);
      const png = await encodePng(createImage(16, 16, 3));
      await assert.rejects(readImageBuffer(png, 'x.png', { channels: 4 as 3 }), /channels must be 1 or 3/);
    });
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

describe('video files', () => {
  test('ffmpeg is installed (scripts/setup.sh installs it)', () => assert.ok(hasFfmpeg, 'apt-get install ffmpeg'));
  const N = 12;
  const level = (i: number) => (20 + i * 18) / 255; // each frame a distinct flat grey
  let framesDir: string;
  let clip: string;
  /** Mean over the original 33 columns (the encoder pads a 34th, black one). */
  const mean = async (p: string) => {
    const img = await readImage(p);
    let sum = 0;
    for (let y = 0; y < img.height; y++) for (let x = 0; x < 33; x++) for (let c = 0; c < 3; c++) sum += img.data[(y * img.width + x) * 3 + c];
    return sum / (img.height * 33 * 3);
  };
  /** Index of the source frame whose grey level matches the decoded frame. */
  const whichFrame = async (p: string) => {
    const m = await mean(p);
    let best = 0;
    for (let i = 1; i < N; i++) if (Math.abs(level(i) - m) < Math.abs(level(best) - m)) best = i;
    assert.ok(Math.abs(level(best) - m) < 5 / 255, `frame ${p} level ${m * 255} matches no source frame`);
    return best;
  };

  before(async () => {
    framesDir = join(dir, 'frames');
    await mkdir(framesDir);
    // Odd width: the encoder must pad to even sides.
    for (let i = 0; i < N; i++) await writeImage(join(framesDir, `f${i + 1}.png`), createImage(33, 24, 3, level(i)));
    await writeFile(join(framesDir, 'notes.txt'), 'not a frame');
    clip = join(dir, 'out', 'clip.mp4');
    const names = Array.from({ length: N }, (_, i) => join(framesDir, `f${i + 1}.png`));
    await writeVideo(names, 10, clip);
  });

  test('writeVideo makes an H.264 mp4 with even sides; probeVideo reads it', async () => {
    assert.ok((await stat(clip)).size > 0);
    assert.deepEqual(await readdir(join(dir, 'out')), ['clip.mp4']);
    const info = await probeVideo(clip);
    assert.deepEqual(info, { width: 34, height: 24, fps: 10, frames: N });
    const codec = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt', '-of', 'csv=p=0', clip]);
    assert.equal(codec.stdout.toString().trim(), 'h264,yuv420p');
  });

  test('readFrames decodes every frame, in order', async () => {
    const r = await readFrames(clip);
    try {
      assert.equal(r.frames.length, N);
      assert.deepEqual([r.width, r.height, r.fps], [34, 24, 10]);
      assert.ok(r.tmpDir);
      for (const [k, p] of r.frames.entries()) assert.equal(await whichFrame(p), k);
    } finally {
      await rm(r.tmpDir!, { recursive: true, force: true });
    }
  });

  test('readFrames start/end select frames start..end-1', async () => {
    const r = await readFrames(clip, { start: 3, end: 7 });
    try {
      assert.equal(r.frames.length, 4);
      assert.deepEqual(await Promise.all(r.frames.map(whichFrame)), [3, 4, 5, 6]);
    } finally {
      await rm(r.tmpDir!, { recursive: true, force: true });
    }
  });

  test('readFrames fps resamples, and start/end count resampled frames', async () => {
    const all = await readFrames(clip, { fps: 5 });
    const some = await readFrames(clip, { fps: 5, start: 1, end: 3 });
    try {
      assert.equal(all.fps, 5);
      assert.equal(all.frames.length, N / 2);
      assert.deepEqual(await Promise.all(all.frames.map(whichFrame)), [0, 2, 4, 6, 8, 10]);
      assert.deepEqual(await Promise.all(some.frames.map(whichFrame)), [2, 4]);
    } finally {
      await rm(all.tmpDir!, { recursive: true, force: true });
      await rm(some.tmpDir!, { recursive: true, force: true });
    }
  });

  test('readFrames on a folder: natural order, images only, range, no temp folder', async () => {
    const r = await readFrames(framesDir, { start: 8, end: 11, fps: 12 });
    assert.deepEqual(r.frames.map((p) => p.slice(framesDir.length + 1)), ['f9.png', 'f10.png', 'f11.png']);
    assert.deepEqual([r.width, r.height, r.fps, r.tmpDir], [33, 24, 12, undefined]);
    assert.equal((await readFrames(framesDir)).frames.length, N);
  });

  test('errors', async () => {
    await assert.rejects(readFrames(join(dir, 'missing.mp4')), /no such file or folder ".*missing\.mp4"\. Pass a video file or a folder/);
    await assert.rejects(probeVideo(join(dir, 'missing.mp4')), /no such file/);
    const emptyDir = join(dir, 'no-images');
    await mkdir(emptyDir);
    await writeFile(join(emptyDir, 'readme.txt'), 'x');
    await assert.rejects(readFrames(emptyDir), /it has no images\. Put PNG, JPEG/);
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    await writeImage(join(mixed, 'a.png'), createImage(16, 16, 3));
    await writeImage(join(mixed, 'b.png'), createImage(20, 16, 3));
    await assert.rejects(readFrames(mixed), /"b\.png" is 20x16 but "a\.png" is 16x16\. Resize all frames to one size/);
    const fake = join(dir, 'fake.mp4');
    await writeFile(fake, 'this is not a video at all');
    await assert.rejects(readFrames(fake), /Cannot read video ".*fake\.mp4": ffprobe failed \(.*Invalid data.*\)\. Check that it is a valid video/);
    await assert.rejects(readFrames(clip, { start: 5, end: 5 }), /end \(5\) must be after start \(5\)/);
    await assert.rejects(readFrames(clip, { start: 50 }), /no frames in 50\.\.Infinity/);
    await assert.rejects(writeVideo([], 10, join(dir, 'x.mp4')), /no frames given/);
  });

  test('missing ffmpeg says how to install it', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty-path');
    try {
      await assert.rejects(probeVideo(clip), /ffprobe is not installed\. Install it \(Debian\/Ubuntu: apt-get install ffmpeg\)/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('plots', () => {
  test('plotCurves returns a PNG of the requested size with the curves drawn', async () => {
    const values = Array.from({ length: 200 }, (_, i) => 1 / (1 + i));
    const png = await plotCurves(
      [
        { name: 'loss', values, color: '#ff0000' },
        { name: 'exclusion <&>', values: values.map((v) => v * 0.5) },
      ],
      { title: 'Training', xLabel: 'iteration', yLabel: 'loss', width: 500, height: 300 },
    );
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [500, 300]);
    let red = 0;
    for (let i = 0; i < data.length; i += 3) if (data[i] > 200 && data[i + 1] < 80 && data[i + 2] < 80) red++;
    assert.ok(red > 300, `only ${red} red pixels: the red curve is missing`);
  });

  test('log axis and gaps (zeros, NaN) and empty input still render', async () => {
    const png = await plotCurves([{ name: 'a', values: [1, 0.1, 0, NaN, 0.001, -1, 1e-4] }], {
      title: 't', xLabel: 'x', yLabel: 'y', logY: true,
    });
    assert.deepEqual([(await sharp(png).metadata()).width, (await sharp(png).metadata()).height], [640, 400]);
    const empty = await plotCurves([], { title: 'nothing', xLabel: 'x', yLabel: 'y', width: 200, height: 150 });
    assert.equal((await sharp(empty).metadata()).width, 200);
    await assert.rejects(plotCurves([], { title: '', xLabel: '', yLabel: '', width: 10 }), /Pass integer width 160\.\.8000/);
  });
});
