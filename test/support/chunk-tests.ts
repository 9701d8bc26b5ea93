// Long clips as chunk jobs, the same tests on the in-process queue and on Redis
// (queue-chunks-local.test.ts, queue-chunks-redis.test.ts): a 14-frame clip with --chunk 6 becomes
// 3 chunk jobs and a join, the joined clip has every frame and one mask polarity, a re-run skips
// it, and a chunk that fails fails its join with its message while the batch's other job goes on;
// fixed, the re-run runs only the failed chunk and the join.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import sharp from 'sharp';
import { batchReport, type BatchReport } from './job-tests.js';
import type { Backend } from './job-tests.js';
import { cli, leftovers } from './queue.js';

const N = 14;
const SIDE = 48;
const ARGS = ['--chunk', '6', '--size', '64', '--iterations', '2', '--batch', '2', '--seed', '1'];
const frameName = (k: number) => `${String(k + 1).padStart(5, '0')}.png`;

/** Frame g of a clip: a yellow square moving right over a blue gradient, as PNG bytes. */
async function frame(g: number): Promise<Buffer> {
  const data = Buffer.alloc(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const i = (y * SIDE + x) * 3;
    const inside = x >= 6 + g && x < 22 + g && y >= 14 && y < 34;
    data[i] = inside ? 240 : 40 + x; data[i + 1] = inside ? 200 : 60 + y; data[i + 2] = inside ? 30 : 170;
  }
  return sharp(data, { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toBuffer();
}

/** A folder of `n` frames f00.png ... */
async function clip(dir: string, n: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (let g = 0; g < n; g++) writeFileSync(join(dir, `f${String(g).padStart(2, '0')}.png`), await frame(g));
  return dir;
}

type Row = BatchReport['jobs'][number] & { chunks?: { frames: string; status: string; error?: string }[] };
const rows = (dir: string) => Object.fromEntries((batchReport(dir).jobs as Row[]).map((j) => [j.name, j]));

/** The joined clip: 14 frames in each folder, 48 px, masks binary, seams aligned the better way. */
async function assertJoined(out: string): Promise<void> {
  for (const f of ['mask', 'foreground', 'background'])
    assert.deepEqual(readdirSync(join(out, f)).sort(), Array.from({ length: N }, (_, k) => frameName(k)), f);
  for (let k = 0; k < N; k++) {
    const { data, info } = await sharp(join(out, 'mask', frameName(k))).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [SIDE, SIDE]);
    assert.ok(data.every((v) => v === 0 || v === 255), `mask ${k + 1} is binary`);
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    frames: number; chunks: { start: number; end: number }[]; seams: { agreement: number; otherwise: number }[]; chunking: { planned: number };
  };
  assert.equal(report.frames, N);
  assert.deepEqual(report.chunks.map((c) => [c.start, c.end]), [[0, 6], [4, 10], [8, 14]]);
  // One polarity: each seam kept the alignment under which its shared frames agree best.
  assert.equal(report.seams.length, 2);
  for (const s of report.seams) assert.ok(s.agreement >= s.otherwise, JSON.stringify(s));
}

export function chunkJobTests(b: Backend): void {
  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'dd-chunks-')); });
  after(async () => { await b.stopWorkers(); rmSync(root, { recursive: true, force: true }); });
  beforeEach(() => b.stopWorkers());

  test(`${b.name}: a 14-frame clip with --chunk 6 runs as 3 chunk jobs and a join over 2 workers; a re-run skips it`, async () => {
    const long = await clip(join(root, 'in', 'long'), N);
    const short = await clip(join(root, 'in', 'short'), 4);
    const out = join(root, 'out');
    const args = ['batch', 'video', 'segment', long, short, '-o', out, ...ARGS, ...b.batchArgs(2)];
    const workers = await b.startWorkers(2);
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; name?: string; part?: string; state?: string });
    assert.deepEqual(lines.filter((l) => l.type === 'chunk' && l.state !== 'running').map((l) => `${l.part} ${l.state}`).sort(),
      ['chunk 1/3 (frames 0-5) done', 'chunk 2/3 (frames 4-9) done', 'chunk 3/3 (frames 8-13) done']);
    assert.ok(lines.some((l) => l.type === 'progress' && l.name === 'long' && l.part === 'chunk 2/3 (frames 4-9)'), 'chunk progress is reported');
    assert.deepEqual(lines.filter((l) => l.type === 'job' && l.state !== 'running').map((l) => `${l.name} ${l.state}`).sort(), ['long done', 'short done']);
    const report = batchReport(out);
    assert.deepEqual(report.counts, { total: 2, done: 2, skipped: 0, failed: 0, interrupted: 0 });
    assert.deepEqual(rows(out).long.chunks!.map((c) => `${c.frames} ${c.status}`), ['0:6 done', '4:10 done', '8:14 done']);
    await assertJoined(join(out, 'long'));
    assert.equal(readdirSync(join(out, 'short', 'mask')).length, 4);
    assert.ok(!existsSync(join(out, 'long.chunks')), 'the chunk folders are removed once joined');
    assert.deepEqual(leftovers(out), []);
    if (workers.length > 0) {
      // Each chunk and the join ran once, over the workers.
      const logs = workers.map((w) => w.stderr()).join('\n');
      assert.deepEqual([...logs.matchAll(/ done (long[^(]*)\(/g)].map((m) => m[1].trim()).sort(), ['long', 'long chunk 1/3', 'long chunk 2/3', 'long chunk 3/3'], logs);
    }
    const again = await cli(args);
    await b.stopWorkers();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(batchReport(out).counts, { total: 2, done: 0, skipped: 2, failed: 0, interrupted: 0 });
  });

  test(`${b.name}: a chunk that fails fails its join with the chunk's message, the other job goes on; fixed, a re-run runs only that chunk and the join`, async () => {
    const bad = await clip(join(root, 'in2', 'bad'), N);
    const short = await clip(join(root, 'in2', 'short'), 4);
    writeFileSync(join(bad, 'f01.png'), 'not a PNG'); // frame 1: in chunk 1 only
    const out = join(root, 'out2');
    const args = ['batch', 'video', 'segment', bad, short, '-o', out, ...ARGS, ...b.batchArgs(1)];
    await b.startWorkers(1);
    const r = await cli(args);
    assert.equal(r.code, 1, r.stderr);
    const failed = rows(out);
    assert.equal(failed.short.status, 'done');
    assert.equal(failed.bad.status, 'failed');
    assert.match(failed.bad.error!, /^bad chunk 1\/3 \(frames 0-5\) failed: Cannot read frame ".*f01\.png": not a readable image/);
    assert.deepEqual(failed.bad.chunks!.map((c) => `${c.frames} ${c.status}`), ['0:6 failed', '4:10 done', '8:14 done']);
    assert.match(r.stderr, /1 of 2 jobs failed[\s\S]*bad: bad chunk 1\/3 \(frames 0-5\) failed: Cannot read frame/);
    assert.ok(!existsSync(join(out, 'bad')), 'no joined folder');

    writeFileSync(join(bad, 'f01.png'), await frame(1));
    const again = await cli(args);
    await b.stopWorkers();
    assert.equal(again.code, 0, again.stderr);
    const fixed = rows(out);
    assert.deepEqual([fixed.bad.status, fixed.short.status], ['done', 'skipped']);
    assert.deepEqual(fixed.bad.chunks!.map((c) => `${c.frames} ${c.status}`), ['0:6 done', '4:10 skipped', '8:14 skipped']);
    await assertJoined(join(out, 'bad'));
    assert.ok(!existsSync(join(out, 'bad.chunks')));
    assert.deepEqual(leftovers(out), []);
  });
}
