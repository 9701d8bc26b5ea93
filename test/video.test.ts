// Video decomposition: the `double-dip video` command end to end on tiny clips made here
// (a disc moving over a panning gradient), plus the frame-count and size checks.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { createImage, type Image } from '../src/image/image.js';
import { readImage, writeImage } from '../src/io/image-file.js';
import { writeVideo } from '../src/io/video-file.js';
import { main } from '../src/cli/main.js';
import { parseFrameRange } from '../src/cli/commands/video.js';
import { MAX_FRAMES, VIDEO_RECIPE, flicker, imageFrames, videoDehaze, videoSegment, videoSeparate } from '../src/tasks/video.js';
import { T_MIN } from '../src/tasks/dehaze.js';

const W = 80, H = 64, N = 5;
let dir: string, clip: string, mp4: string;

function frame(k: number, w = W, h = H): Image {
  const img = createImage(w, h, 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    const disc = (x - 20 - 6 * k) ** 2 + (y - h / 2) ** 2 < 150;
    img.data[i] = disc ? 0.9 : 0.2 + 0.5 * (((x + 3 * k) / w) % 1);
    img.data[i + 1] = disc ? 0.15 : 0.45;
    img.data[i + 2] = disc ? 0.1 : 0.3 + 0.4 * (y / h);
  }
  return img;
}

/** Runs the CLI in-process; returns the exit code and what it wrote to stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

const pngs = async (d: string) => (await readdir(d)).filter((f) => f.endsWith('.png')).sort();
const fast = ['--iterations', '4', '--batch', '2', '--threads', '1', '-q'];

async function assertFolder(d: string, count: number, w = W, h = H): Promise<Image[]> {
  const names = await pngs(d);
  assert.deepEqual(names, Array.from({ length: count }, (_, i) => `${String(i + 1).padStart(5, '0')}.png`));
  const imgs = await Promise.all(names.map((n) => readImage(join(d, n))));
  for (const img of imgs) assert.deepEqual([img.width, img.height], [w, h]);
  return imgs;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'double-dip-video-test-'));
  clip = join(dir, 'clip');
  for (let k = 0; k < N; k++) await writeImage(join(clip, `frame${k + 1}.png`), frame(k));
  mp4 = join(dir, 'clip.mp4');
  await writeVideo((await pngs(clip)).map((n) => join(clip, n)), 10, mp4);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe('double-dip video', () => {
  test('segment a folder: mask, foreground, background per frame at the input size; finite mask flicker', async () => {
    const out = join(dir, 'seg');
    const r = await cli(['video', 'segment', clip, '-o', out, '--size', '64', ...fast]);
    assert.equal(r.code, 0, r.stderr);
    const masks = await assertFolder(join(out, 'mask'), N);
    await assertFolder(join(out, 'foreground'), N);
    await assertFolder(join(out, 'background'), N);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.mp4')), []); // folder input: no videos
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.frames, N);
    assert.equal(report.batch, 2);
    assert.equal(report.hints, 'each');
    assert.equal(report.grownHints, true, 'saliency hints are grown by colour, as for one image');
    assert.ok(report.secondsPerFrame > 0 && report.totalSecondsPerFrame > 0);
    const f = flicker(masks.map((m) => ({ ...m, channels: 1, data: m.data.filter((_, i) => i % 3 === 0) })));
    assert.ok(Number.isFinite(f) && f >= 0 && f <= 1, `flicker ${f}`);
  });

  test('separate an mp4: layer1, layer2 frames and videos, a coefficient per frame', async () => {
    const out = join(dir, 'sep');
    const r = await cli(['video', 'separate', mp4, '-o', out, '--size', '128', ...fast]);
    assert.equal(r.code, 0, r.stderr);
    await assertFolder(join(out, 'layer1'), N);
    await assertFolder(join(out, 'layer2'), N);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.mp4')).sort(), ['layer1.mp4', 'layer2.mp4']);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.coefficients.length, N);
    for (const m of report.coefficients) assert.ok(m >= 0.05 && m <= 0.95, `coefficient ${m}`);
    assert.equal(report.input.kind, 'video');
  });

  test('dehaze with --frames selects frames A..B-1', async () => {
    const out = join(dir, 'dehaze');
    const r = await cli(['video', 'dehaze', clip, '-o', out, '--frames', '1:4', '--size', '64', ...fast]);
    assert.equal(r.code, 0, r.stderr);
    await assertFolder(join(out, 'dehazed'), 3);
    await assertFolder(join(out, 'transmission'), 3);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.frames, 3);
    assert.equal(report.airlight.length, 3);
  });

  test('dehaze --airlight R,G,B: the clip\'s A0 as given; refused for other modes and out of range', async () => {
    const out = join(dir, 'dehaze-airlight');
    let r = await cli(['video', 'dehaze', clip, '-o', out, '--frames', '0:2', '--size', '64', '--airlight', '204,217,230', ...fast]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(report.A0, [0.8, 0.851, 0.902]);
    assert.equal(report.airlightEstimator, 'given');
    r = await cli(['video', 'segment', clip, '-o', join(dir, 'a2'), '--airlight', '200,200,200', '-q']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--airlight does not apply to video segment: it applies to dehaze, video dehaze/);
    r = await cli(['video', 'dehaze', clip, '-o', join(dir, 'a3'), '--airlight', '200,200,256', '-q']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /R,G,B with each from 1 to 255 for --airlight/);
  });

  test('video dehaze works at VIDEO_RECIPE.dehazeSize unless --size is given, and solves J* at the frame size', async () => {
    const frames = [frame(0, 200, 150), frame(1, 200, 150)];
    assert.equal(VIDEO_RECIPE.dehazeSize, 128);
    const v = await videoDehaze(frames, { iterations: 1, threads: 1 });
    try {
      assert.deepEqual(v.report.processedSize, { width: 128, height: 96 });
      assert.equal((v.report.settings as { size: number }).size, 128);
      const out = v.frame(0, frames[0]);
      assert.deepEqual([out.dehazed.width, out.dehazed.height], [200, 150]);
    } finally {
      v.dispose();
    }
    const given = await videoDehaze(frames, { iterations: 1, threads: 1, size: 192 });
    assert.deepEqual(given.report.processedSize, { width: 192, height: 160 });
    given.dispose();
  });

  test('video dehaze: J* solved from each frame with the refined transmission, as the image task; J net kept', async () => {
    const frames = [frame(0), frame(1), frame(2)];
    const v = await videoDehaze(frames, { iterations: 3, size: 64, batch: 2, threads: 1 });
    try {
      const out = v.frame(1, frames[1]);
      assert.ok(out['J-net'], 'the J net output is kept');
      assert.ok(out.transmission.data.every((t) => t >= T_MIN - 1e-6), 'transmission clipped at T_MIN');
      // J* reproduces the frame through the haze model with the learned airlight map, up to clipping to [0, 1].
      const A = out.airlight.data;
      assert.equal((v.report.airlight as number[]).length, 3, 'the mean airlight in the report');
      let err = 0, n = 0;
      for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) {
        const t = out.transmission.data[i], j = out.dehazed.data[i * 3 + c];
        if (j > 0.001 && j < 0.999) { err += Math.abs(t * j + (1 - t) * A[i * 3 + c] - frames[1].data[i * 3 + c]); n++; }
      }
      assert.ok(n > 0 && err / n < 1e-4, `haze model error ${err / n} over ${n} values`);
      const bare = v.frame(1); // without the frame: the J net output
      assert.equal(bare['J-net'], undefined);
      assert.deepEqual(bare.dehazed.data, out['J-net'].data);
    } finally {
      v.dispose();
    }
  });

  test('--grow-hints: yes or no, segment only', async () => {
    let r = await cli(['video', 'segment', clip, '-o', join(dir, 'g1'), '--grow-hints', 'maybe', '-q']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Expected yes or no for --grow-hints but received "maybe"/);
    r = await cli(['video', 'dehaze', clip, '-o', join(dir, 'g2'), '--grow-hints', 'no', '-q']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--grow-hints does not apply to video (separate|dehaze): it applies to segment, video segment/);
  });

  test('--frames parsing', () => {
    assert.deepEqual(parseFrameRange('2:10'), { start: 2, end: 10 });
    assert.deepEqual(parseFrameRange('5:'), { start: 5, end: undefined });
    assert.deepEqual(parseFrameRange(':7'), { start: 0, end: 7 });
    assert.throws(() => parseFrameRange('7:3'), /must be after/);
    assert.throws(() => parseFrameRange('x'), /Expected A:B \(frames A to B-1, e.g. 0:100\) for frames but received "x"/);
    assert.deepEqual(parseFrameRange(`0:${MAX_FRAMES + 1}`), { start: 0, end: MAX_FRAMES + 1 }, 'any length: a long range runs in chunks');
  });

  test('too many frames, an empty folder and mixed sizes give clear errors', async () => {
    const many = join(dir, 'many');
    await mkdir(many);
    const tiny = createImage(16, 16, 3, 0.5);
    for (let k = 0; k <= MAX_FRAMES; k++) await writeImage(join(many, `${k}.png`), tiny);
    // --chunk 0: one run or none (without it, 301 frames run in chunks: video-chunks.test.ts).
    let r = await cli(['video', 'segment', many, '-o', join(dir, 'o1'), '--chunk', '0', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /more than 300 frames.*Leave out --chunk 0 to run it in chunks.*--frames/);
    r = await cli(['video', 'segment', many, '-o', join(dir, 'o1'), '--chunk', '0', '--frames', '0:301', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--frames 0:301 selects 301 frames of ".*many": the maximum per run is 300\. Leave out --chunk 0/);
    assert.equal(existsSync(join(dir, 'o1')), false);

    const empty = join(dir, 'empty');
    await mkdir(empty);
    r = await cli(['video', 'segment', empty, '-o', join(dir, 'o2'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has no images/);

    const mixed = join(dir, 'mixed');
    await writeImage(join(mixed, '1.png'), frame(0));
    await writeImage(join(mixed, '2.png'), frame(1, 96, 64));
    r = await cli(['video', 'segment', mixed, '-o', join(dir, 'o3'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is 96x64 but "1.png" is 80x64/);

    r = await cli(['video', 'blur', clip, '-o', join(dir, 'o4')]);
    assert.equal(r.code, 2);
    assert.throws(() => imageFrames([frame(0), frame(1, 96, 64)]), /frame 2 is 96x64/);
    assert.throws(() => imageFrames([]), /no frames/);
    await assert.rejects(videoSegment(Array(MAX_FRAMES + 1).fill(tiny)), /301 frames, more than the maximum of 300/);
  });
  test('video segmentation, separation and dehazing plan the video recipe\'s iterations by default, and what is asked for otherwise', async () => {
    const frames = [frame(0), frame(1)];
    const byDefault = await videoSegment(frames, { size: 64, maxSeconds: 0.2 });
    assert.equal(byDefault.report.plannedIterations, VIDEO_RECIPE.segmentIterations);
    assert.equal(byDefault.report.stopReason, 'time');
    const asked = await videoSegment(frames, { size: 64, iterations: 3 });
    assert.equal(asked.report.plannedIterations, 3);
    assert.equal(asked.report.iterations, 3);
    const separated = await videoSeparate(frames.map((f) => ({ ...f, data: f.data.map((v) => 0.5 * v + 0.25) })), { size: 128, maxSeconds: 0.2 });
    assert.equal(separated.report.plannedIterations, VIDEO_RECIPE.separateIterations);
    const dehazed = await videoDehaze(frames, { size: 64, maxSeconds: 0.2 });
    assert.equal(dehazed.report.plannedIterations, VIDEO_RECIPE.dehazeIterations);
    assert.equal(VIDEO_RECIPE.dehazeIterations, 1000);
  });
});
