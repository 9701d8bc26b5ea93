// Long clips in chunks: planChunks' cuts, joinChunks on chunk folders made here (one chunk's mask
// inverted, one chunk's layers swapped: the joined clip must come out as one), and `double-dip video
// --chunk` end to end on a 14-frame clip of a square moving over a texture.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createImage, type Image } from '../src/image/image.js';
import { readImage, writeImage } from '../src/io/image-file.js';
import { probeVideo } from '../src/io/video-file.js';
import { main } from '../src/cli/main.js';
import { OPTIONS } from '../src/tasks/options.js';
import { CHUNK_RECIPE, joinChunks, planChunks, type Chunk } from '../src/tasks/video-chunks.js';

const W = 64, H = 48, N = 14;
let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'double-dip-chunks-test-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** The square's mask in frame g: 16 px wide, moving 2 px a frame. */
function truthMask(g: number): Image {
  const m = createImage(W, H, 1);
  for (let y = 16; y < 32; y++) for (let x = 8 + 2 * g; x < 24 + 2 * g; x++) m.data[y * W + x] = 1;
  return m;
}
/** A texture (the background), the same every frame. */
function texture(): Image {
  const img = createImage(W, H, 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = 0.3 + 0.2 * Math.sin(x * 0.7) * Math.cos(y * 0.5);
    img.data.set([v, v, 0.5], (y * W + x) * 3);
  }
  return img;
}
const flat = (v: number, channels = 3) => createImage(W, H, channels, v);
const inverted = (m: Image): Image => ({ ...m, data: m.data.map((v) => 1 - v) });
const name = (k: number) => `${String(k + 1).padStart(5, '0')}.png`;

/** A chunk's output folder as `double-dip video MODE --frames A:B -o DIR` writes it: layer folders and report.json. */
async function writeChunk(d: string, task: string, c: Chunk, layers: Record<string, (g: number) => Image>, seconds: number): Promise<string> {
  for (const [folder, of] of Object.entries(layers))
    for (let g = c.start; g < c.end; g++) await writeImage(join(d, folder, name(g - c.start)), of(g));
  await writeFile(join(d, 'report.json'), JSON.stringify({ task, iterations: 3, plannedIterations: 3, seconds, totalSeconds: seconds + 1, psnr: 20, stopReason: 'completed' }));
  return d;
}

const mean = (img: Image) => img.data.reduce((s, v) => s + v, 0) / img.data.length;
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1.5 / 255, `${what}: ${a} vs ${b}`);

describe('planChunks', () => {
  test('a clip no longer than a chunk is one chunk; the defaults are the recipe', () => {
    assert.deepEqual(planChunks(1), [{ start: 0, end: 1 }]);
    assert.deepEqual(planChunks(CHUNK_RECIPE.chunk), [{ start: 0, end: 48 }]);
    assert.deepEqual(planChunks(5, { chunk: 6 }), [{ start: 0, end: 5 }]);
    assert.deepEqual(planChunks(14, { chunk: 6 }), [{ start: 0, end: 6 }, { start: 4, end: 10 }, { start: 8, end: 14 }]);
    assert.match(String(OPTIONS.chunk.default), new RegExp(`^${CHUNK_RECIPE.chunk} `), 'the option documents the recipe');
  });

  test('one frame over a chunk: two chunks of about half, not a 1-frame tail', () => {
    assert.deepEqual(planChunks(49), [{ start: 0, end: 27 }, { start: 23, end: 49 }]);
  });

  test('every plan covers the clip, chunks of one length within a frame, neighbours sharing the overlap, no frame in three', () => {
    for (const chunk of [3, 6, 9, 12, 48, 300]) for (const overlap of [undefined, 1, Math.floor(chunk / 3)]) for (const F of [1, 2, chunk - 1, chunk, chunk + 1, 2 * chunk + 1, 97, 1000]) {
      if (F < 1) continue;
      const plan = planChunks(F, { chunk, overlap });
      const o = overlap ?? Math.min(CHUNK_RECIPE.overlap, Math.floor(chunk / 3));
      const what = `F ${F} chunk ${chunk} overlap ${overlap}: ${JSON.stringify(plan)}`;
      assert.equal(plan[0].start, 0, what);
      assert.equal(plan.at(-1)!.end, F, what);
      const lengths = plan.map((c) => c.end - c.start);
      assert.ok(Math.max(...lengths) <= chunk && Math.max(...lengths) - Math.min(...lengths) <= 1, what);
      assert.equal(plan.length, F <= chunk ? 1 : Math.ceil((F - o) / (chunk - o)), what);
      plan.forEach((c, i) => {
        if (i > 0) assert.equal(plan[i - 1].end - c.start, o, what);
        if (i > 1) assert.ok(c.start >= plan[i - 2].end, what);
      });
    }
  });

  test('refuses what cannot be cut, saying what to pass', () => {
    assert.throws(() => planChunks(0), /at least 1, got 0\. Pass the clip's frame count/);
    assert.throws(() => planChunks(2.5), /whole number of frames/);
    assert.throws(() => planChunks(10, { chunk: 0 }), /chunk length must be a whole number of frames, at least 1, got 0/);
    assert.throws(() => planChunks(20, { chunk: 6, overlap: 3 }), /an overlap of 3 frames needs chunks of at least 9 frames .*got 6/);
    assert.throws(() => planChunks(20, { chunk: 6, overlap: 0 }), /at least one shared frame/);
  });
});

describe('joinChunks', () => {
  const plan = planChunks(N, { chunk: 6 }); // [0,6) [4,10) [8,14): two frames shared at each seam
  const bg = texture();

  test('segment: a chunk with the mask inverted (fg and bg swapped) is flipped back; shared frames cross-faded; 00001-00014', async () => {
    // Chunk k's foreground is flat grey 0.2 + 0.3 k, so a shared frame shows how much of each chunk it holds.
    const dirs = await Promise.all(plan.map((c, k) => {
      const fg = () => flat(0.2 + 0.3 * k);
      const layers = k === 1
        ? { mask: (g: number) => inverted(truthMask(g)), foreground: () => bg, background: fg }
        : { mask: truthMask, foreground: fg, background: () => bg };
      return writeChunk(join(dir, 'seg', `chunk-${k}`), 'video-segment', c, layers, 10 + k);
    }));
    const out = join(dir, 'seg', 'joined');
    const report = await joinChunks('segment', dirs, plan, out);
    assert.deepEqual(report.chunks.map((c) => c.flipped), [false, true, false]);
    assert.deepEqual(report.seams.map((s) => [s.frames, s.agreement, s.otherwise, s.flippedRelative]), [[[4, 6], 1, 0, true], [[8, 10], 1, 0, true]]);
    assert.equal(report.frames, N);
    assert.equal(report.seconds, 33);
    for (const f of ['mask', 'foreground', 'background'])
      assert.deepEqual((await readdir(join(out, f))).sort(), Array.from({ length: N }, (_, k) => name(k)));
    for (let g = 0; g < N; g++) {
      const m = await readImage(join(out, 'mask', name(g)), { channels: 1 });
      assert.deepEqual(Array.from(m.data), Array.from(truthMask(g).data), `frame ${g + 1}: one polarity, binary`);
      assert.ok(Math.abs(mean(await readImage(join(out, 'background', name(g)))) - mean(bg)) < 0.01, `frame ${g + 1}: background is the texture`);
    }
    // Frames 4, 5 are shared by chunks 0 and 1 (weights 1/3, 2/3 for the later), 8, 9 by chunks 1 and 2.
    const fgOf = async (g: number) => mean(await readImage(join(out, 'foreground', name(g))));
    near(await fgOf(3), 0.2, 'frame 4, chunk 1 alone');
    near(await fgOf(4), 0.2 * 2 / 3 + 0.5 / 3, 'frame 5');
    near(await fgOf(5), 0.2 / 3 + 0.5 * 2 / 3, 'frame 6');
    near(await fgOf(6), 0.5, 'frame 7, chunk 2 alone');
    near(await fgOf(8), 0.5 * 2 / 3 + 0.8 / 3, 'frame 9');
    near(await fgOf(9), 0.5 / 3 + 0.8 * 2 / 3, 'frame 10');
    near(await fgOf(13), 0.8, 'frame 14');
    const saved = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(saved.chunks.map((c: { start: number; end: number; seconds: number }) => [c.start, c.end, c.seconds]), [[0, 6, 10], [4, 10, 11], [8, 14, 12]]);
    assert.deepEqual((await readdir(out)).sort(), ['background', 'foreground', 'mask', 'report.json'], 'no staging folder left');
  });

  test('separate: a chunk with layer1 and layer2 swapped is swapped back; dehaze: blended, with an MP4 per folder', async () => {
    const moving = (g: number) => { const m = truthMask(g); return { ...createImage(W, H, 3), data: Float32Array.from({ length: W * H * 3 }, (_, i) => m.data[Math.floor(i / 3)] * 0.9) }; };
    const dirs = await Promise.all(plan.map((c, k) => writeChunk(join(dir, 'sep', `chunk-${k}`), 'video-separate', c,
      k === 2 ? { layer1: () => bg, layer2: moving } : { layer1: moving, layer2: () => bg }, 5)));
    const out = join(dir, 'sep', 'joined');
    const report = await joinChunks('separate', dirs, plan, out);
    assert.deepEqual(report.chunks.map((c) => c.flipped), [false, false, true]);
    assert.ok(report.seams[1].agreement > 40 && report.seams[1].otherwise! < 20, JSON.stringify(report.seams));
    for (let g = 0; g < N; g++) {
      const l1 = await readImage(join(out, 'layer1', name(g)));
      near(mean(l1), mean(moving(g)), `frame ${g + 1}: layer1 is the moving layer`);
    }

    const haze = await Promise.all(plan.map((c, k) => writeChunk(join(dir, 'haze', `chunk-${k}`), 'video-dehaze', c,
      { dehazed: () => flat(0.3 + 0.3 * k), transmission: () => flat(0.5, 1) }, 5)));
    const hout = join(dir, 'haze', 'joined');
    const hr = await joinChunks('dehaze', haze, plan, hout, 10);
    assert.deepEqual(hr.chunks.map((c) => c.flipped), [false, false, false]);
    assert.equal(hr.seams[0].otherwise, undefined);
    near(mean(await readImage(join(hout, 'dehazed', name(4)))), 0.3 * 2 / 3 + 0.6 / 3, 'dehazed frame 5');
    assert.equal((await readImage(join(hout, 'transmission', name(4)), { channels: 1 })).channels, 1);
    for (const f of ['dehazed', 'transmission']) assert.equal((await probeVideo(join(hout, `${f}.mp4`))).frames, N);
  });

  test('refuses folders that do not match the plan, writing nothing', async () => {
    const c = planChunks(N, { chunk: 6 });
    const dirs = await Promise.all(c.map((ch, k) => writeChunk(join(dir, 'bad', `chunk-${k}`), 'video-segment', ch,
      { mask: truthMask, foreground: () => flat(0.5), background: () => bg }, 1)));
    const out = join(dir, 'bad', 'joined');
    await assert.rejects(joinChunks('segment', dirs.slice(0, 2), c, out), /the plan has 3 chunks but 2 folders were given/);
    await assert.rejects(joinChunks('separate', dirs, c, out), /holds a video-segment result, not video separate/);
    await assert.rejects(joinChunks('segment', dirs, [{ start: 0, end: 6 }, { start: 6, end: 12 }, { start: 10, end: 14 }], out),
      /chunk 2 \(frames 6-11\) must start and end after chunk 1 \(frames 0-5\) and share at least one frame/);
    await assert.rejects(joinChunks('segment', dirs, [{ start: 0, end: 6 }, { start: 2, end: 8 }, { start: 4, end: 10 }], out), /frame 4 is in chunks 1, 2 and 3/);
    await assert.rejects(joinChunks('segment', dirs, [{ start: 0, end: 6 }, { start: 4, end: 10 }, { start: 8, end: 15 }], out),
      /chunk 3 covers frames 8-14, so ".*mask" must hold 00001.png to 00007.png, but it holds 6 PNG frames\. Run `double-dip video segment INPUT --frames 8:15/);
    await rm(join(dirs[1], 'report.json'));
    await assert.rejects(joinChunks('segment', dirs, c, out), /chunk 2's folder ".*" has no report.json \(the run did not finish\)/);
    assert.equal(existsSync(out), false, 'nothing written');
  });
});

describe('double-dip video --chunk', () => {
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

  test('segment a 14-frame folder in chunks of 6: 14 frames per folder, one report with each chunk, no chunk folders left', async () => {
    const clip = join(dir, 'clip');
    const bg = texture();
    for (let g = 0; g < N; g++) {
      const m = truthMask(g), img = createImage(W, H, 3);
      for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) img.data[i * 3 + c] = m.data[i] ? [0.9, 0.2, 0.1][c] : bg.data[i * 3 + c];
      await writeImage(join(clip, `f${g}.png`), img);
    }
    const out = join(dir, 'cli-out');
    const r = await cli(['video', 'segment', clip, '-o', out, '--chunk', '6', '--size', '64', '--iterations', '2', '--batch', '2', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /chunk 3\/3 \(frames 8-13\)/);
    assert.match(r.stderr, /video segment: 14 frames in 3 chunks/);
    for (const f of ['mask', 'foreground', 'background'])
      assert.deepEqual((await readdir(join(out, f))).sort(), Array.from({ length: N }, (_, k) => name(k)));
    assert.deepEqual((await readdir(out)).sort(), ['background', 'foreground', 'mask', 'report.json']);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.frames, N);
    assert.deepEqual(report.chunks.map((c: Chunk & { iterations: number }) => [c.start, c.end, c.iterations]), [[0, 6, 2], [4, 10, 2], [8, 14, 2]]);
    assert.equal(report.chunks[0].dir, undefined, 'the chunk folders are gone: none named');
    assert.deepEqual(report.chunking, { chunk: 6, overlap: 2, planned: 3, run: 3, recipe: CHUNK_RECIPE });
    assert.equal(report.seams.length, 2);
    for (const s of report.seams) assert.ok(s.agreement >= s.otherwise, JSON.stringify(s));
    assert.equal(report.input.frames, N);

    // --frames picks the range first; the plan and the report count from the clip's frame 0.
    const part = join(dir, 'cli-part');
    const p = await cli(['video', 'segment', clip, '-o', part, '--frames', '3:13', '--chunk', '6', '--size', '64', '--iterations', '1', '--batch', '2', '--threads', '1', '-q']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal((await readdir(join(part, 'mask'))).length, 10);
    const pr = JSON.parse(await readFile(join(part, 'report.json'), 'utf8'));
    assert.deepEqual(pr.chunks.map((c: Chunk) => [c.start, c.end]), [[3, 9], [7, 13]]);
  });

  test('--max-seconds is shared out among the chunks; SIGTERM in chunk 2 keeps its best and joins chunks 1-2 (exit 143)', { timeout: 60_000 }, async () => {
    const out = join(dir, 'cli-signal');
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'double-dip.mjs'), 'video', 'segment', join(dir, 'clip'), '-o', out, '--chunk', '6',
      '--size', '64', '--iterations', '100000', '--max-seconds', '12', '--batch', '2', '--threads', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdout.on('data', (d) => {
      const before = stdout.includes('chunk 2/3');
      stdout += d;
      if (!before && stdout.includes('chunk 2/3')) child.kill('SIGTERM');
    });
    assert.equal(await exit, 143, stderr);
    assert.equal((await readdir(join(out, 'mask'))).length, 10, 'frames 0-9: chunks 1 and 2');
    assert.deepEqual((await readdir(out)).filter((n) => n.startsWith('.')), [], 'no staging folder left');
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.deepEqual([report.chunking.planned, report.chunking.run], [3, 2]);
    assert.notEqual(report.chunks[0].stopReason, 'aborted');
    assert.ok(report.chunks[0].seconds < 6, `chunk 1 had a third of 12 s, trained ${report.chunks[0].seconds} s`);
    assert.equal(report.chunks[1].stopReason, 'aborted');
  });
});
