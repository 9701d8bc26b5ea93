// Bad output folders and oversized videos are refused before any work: exit 1, a sentence that
// names the fix, nothing decoded, trained or written. Run through the real command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readFrames } from '../src/io/video-file.js';
import { checkUpload } from '../src/web/video.js';
import { MAX_IMAGE_MEGAPIXELS } from '../src/io/image-file.js';

const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-bad-output-'));
const png = join(tmp, 'in.png');
const file = join(tmp, 'a-file');
const bigVideo = join(tmp, 'big 7200.mkv');

/** Runs the command; with --json, a progress line on stdout would mean it trained (then it is killed after a minute). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--json', '--iterations', '100000', '--size', '128']);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Runs the cases four at a time (each mostly waits for node and libtorch to start). */
async function all<T, R>(items: T[], f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 4) out.push(...await Promise.all(items.slice(i, i + 4).map(f)));
  return out;
}

before(async () => {
  await sharp({ create: { width: 72, height: 56, channels: 3, background: { r: 20, g: 100, b: 200 } } }).png().toFile(png);
  writeFileSync(file, 'not a folder');
  // A 7200x7200 (51.8 MP) clip, made fast: one PNG frame copied into Matroska, not encoded.
  const frame = join(tmp, 'big.png');
  await sharp({ create: { width: 7200, height: 7200, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png({ compressionLevel: 1 }).toFile(frame);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', frame, '-c:v', 'copy', '-f', 'matroska', '-y', bigVideo]);
  assert.equal(r.status, 0, String(r.stderr));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** An unwritable folder: chmod 555, or (as root, which ignores permission bits) the immutable attribute. */
function unwritableFolder(): { dir: string; undo: () => void } | string {
  const dir = join(tmp, 'read-only');
  mkdirSync(dir, { recursive: true });
  if (process.geteuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return { dir, undo: () => chmodSync(dir, 0o755) };
  }
  if (spawnSync('chattr', ['+i', dir]).status !== 0) return 'running as root, and chattr +i is not available: no folder is unwritable to root';
  return { dir, undo: () => { spawnSync('chattr', ['-i', dir]); } };
}

describe('-o is checked before any work', () => {
  const cases: [string, string, RegExp][] = [
    ['an existing file', file, /"[^"]*a-file": it is a file, not a folder\. Pick a folder with -o/],
    ['a path under a file', join(file, 'sub'), /"[^"]*a-file" is a file, so no folder can be made under it\. Pick a path under a folder with -o/],
    ['/proc', '/proc/double-dip-x', /it is on proc, a kernel file system that cannot hold files\. Pick a folder on a disk with -o/],
    ['/sys', '/sys/double-dip-x', /it is on sysfs, a kernel file system that cannot hold files\. Pick a folder on a disk/],
    ['/dev', '/dev/double-dip-x', /it is on \/dev, a kernel file system that cannot hold files\. Pick a folder on a disk/],
    ['a folder deep under /proc', '/proc/self/double-dip/x', /it is on proc, a kernel file system/],
  ];
  test('segment: exit 1, the fix named, nothing trained, nothing made', async () => {
    const results = await all(cases, ([, out]) => cli(['segment', png, '-o', out]));
    cases.forEach(([what, out, message], i) => {
      const r = results[i];
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stdout, /"progress"/, `${what}: it trained`);
      if (what !== 'an existing file') assert.equal(existsSync(out), false, `${what}: ${out} was made`);
    });
  });

  test('every command checks -o before reading its inputs', async () => {
    // The inputs do not exist: a command that read them first would say so instead.
    const missing = join(tmp, 'missing.png');
    const commands = [['segment', missing], ['separate', missing], ['dehaze', missing], ['watermark', missing, '--box', '1,1,8,8'],
      ['complexity', missing], ['video', 'segment', join(tmp, 'missing.mp4')]];
    const results = await all(commands, (c) => cli([...c, '-o', '/proc/double-dip-x']));
    commands.forEach((c, i) => {
      assert.equal(results[i].code, 1, `${c[0]}: ${results[i].stderr}`);
      assert.match(results[i].stderr, /on proc, a kernel file system/, c[0]);
    });
  });

  test('an unwritable folder: exit 1 with the fix, nothing trained', async (t) => {
    const ro = unwritableFolder();
    if (typeof ro === 'string') return t.skip(ro);
    try {
      t.diagnostic(process.geteuid?.() === 0 ? 'as root: the folder has the immutable attribute (chmod 555 does not stop root)' : 'chmod 555');
      for (const out of [ro.dir, join(ro.dir, 'new', 'sub')]) {
        const r = await cli(['segment', png, '-o', out]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /read-only" is not writable by this user\. Pick a folder you can write to with -o, or change its permissions/);
        assert.doesNotMatch(r.stdout, /"progress"/);
      }
      assert.deepEqual(readdirSync(ro.dir), []);
    } finally {
      ro.undo();
    }
  });
});

describe('a video frame size is checked from its header, before decoding', () => {
  test('the command: exit 1, the user\'s file, its size and the limit; nothing decoded', async () => {
    const out = join(tmp, 'video-out');
    const r = await cli(['video', 'segment', bigVideo, '-o', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`"${bigVideo}" is 7200x7200 \\(51\\.8 megapixels per frame\\), more than the ${MAX_IMAGE_MEGAPIXELS} megapixels per frame taken: scale it down first`));
    assert.doesNotMatch(r.stderr, /double-dip-frames|frame_0/);
    assert.equal(existsSync(out), false);
  });

  test('readFrames refuses it without making a frames folder; the web upload check says the same', async () => {
    const mine = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`double-dip-frames-${process.pid}-`));
    await assert.rejects(readFrames(bigVideo), /is 7200x7200 \(51\.8 megapixels per frame\), more than the 50 megapixels/);
    assert.deepEqual(mine(), []);
    assert.throws(() => checkUpload({ width: 7200, height: 7200, fps: 1, frames: 1 }, { start: 0 }),
      /^InputError: The video is 7200x7200 \(51\.8 megapixels per frame\), more than the 50 megapixels per frame taken: scale it down first/);
    assert.throws(() => checkUpload({ width: 8, height: 600, fps: 1, frames: 1 }, { start: 0 }), /The video is 8x600, too small: frames must be at least 16x16/);
  });
});
