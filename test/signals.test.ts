// Signals as a supervisor, `timeout`, `docker stop` or a terminal send them, to the real command:
// bin/double-dip.mjs relaunches node under tcmalloc (bin/fast-node.mjs), so there are two
// processes, the launcher and the child that trains. Each case runs a tiny image with far more
// iterations than it can finish and signals it once it reports its first iteration.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createImage } from '../src/image/image.js';
import { writeImage } from '../src/io/image-file.js';
import { writeVideo } from '../src/io/video-file.js';

const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-signals-'));
const png = join(tmp, 'in.png');
const clip = join(tmp, 'clip.mp4');
const TCMALLOC = ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4'].some(existsSync);
// The tests themselves run under the launcher (scripts/run-tests.mjs), whose environment says
// "already relaunched": without that the command starts its own launcher, as a user's does.
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.DOUBLE_DIP_NO_RELAUNCH;
delete env.DOUBLE_DIP_LAUNCHER;
env.LD_PRELOAD = (env.LD_PRELOAD ?? '').split(':').filter((p) => p && !p.includes('tcmalloc')).join(':');
const noLauncher = TCMALLOC ? false : 'no tcmalloc here: the command runs without a launcher';
const SEGMENT_FILES = ['mask.png', 'mask-soft.png', 'foreground.png', 'background.png', 'reconstruction.png', 'hints.png', 'loss.png', 'report.json'];

interface Run { launcher: ChildProcess; child: number; out: string; stderr: () => string; exit: Promise<number | null> }

/** Children of a process (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Running, not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const started: ChildProcess[] = [];
// A run that ignored its signal would train on: its whole group goes when the tests end.
after(() => { for (const p of started) try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } });
const T = { timeout: 60_000 };

/** Starts the command in its own process group and resolves once it has trained one iteration. */
async function start(args: string[], out: string): Promise<Run> {
  const launcher = spawn(process.execPath, [bin, ...args, '-o', out, '--threads', '1', '--json'], { detached: true, env });
  started.push(launcher);
  let stdout = '', stderr = '';
  launcher.stderr!.on('data', (d) => { stderr += d; });
  const exit = new Promise<number | null>((resolve) => launcher.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  await new Promise<void>((resolve, reject) => {
    launcher.stdout!.on('data', (d) => {
      stdout += d;
      if (stdout.includes('"type":"progress"')) resolve();
    });
    void exit.then((c) => reject(new Error(`exited ${c} before training: ${stderr}`)));
  });
  const [child] = TCMALLOC ? childrenOf(launcher.pid!) : [launcher.pid!];
  assert.ok(child, 'the launcher has a child');
  return { launcher, child, out, stderr: () => stderr, exit };
}

/** The set of outputs a run wrote: complete (report.json lists them all and all exist) or nothing. */
function outputSet(out: string, expected: string[]): 'complete' | 'none' | string {
  const names = existsSync(out) ? readdirSync(out).filter((n) => n !== 'notes.txt') : [];
  if (names.length === 0) return 'none';
  if (!names.includes('report.json')) return `partial: ${names.join(' ')}`;
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const missing = [...expected, ...report.outputs].filter((f: string) => !existsSync(join(out, f)));
  if (missing.length || names.some((n) => n.startsWith('.'))) return `partial: ${names.join(' ')} (missing ${missing.join(' ')})`;
  assert.equal(report.stopReason, 'aborted');
  return 'complete';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const outDir = () => join(tmp, `out-${++n}`);

before(async () => {
  await sharp({ create: { width: 72, height: 56, channels: 3, background: { r: 20, g: 100, b: 200 } } })
    .composite([{ input: { create: { width: 30, height: 24, channels: 3, background: { r: 250, g: 220, b: 10 } } }, left: 20, top: 16 }])
    .png().toFile(png);
  const frames = [];
  for (let k = 0; k < 3; k++) {
    const img = createImage(64, 48, 3);
    for (let i = 0; i < img.data.length; i++) img.data[i] = ((i + 40 * k) % 97) / 97;
    frames.push(join(tmp, `f${k}.png`));
    await writeImage(frames[k], img);
  }
  await writeVideo(frames, 10, clip);
});

after(() => rmSync(tmp, { recursive: true, force: true }));

// Signal x target -> exit code seen by the launcher's parent; each run writes the whole set.
// Three at a time: each run mostly waits for node and libtorch to start.
describe('signals through the launcher: the matrix', { skip: noLauncher, concurrency: 3 }, () => {
  const matrix: [NodeJS.Signals, 'launcher' | 'child' | 'group', number][] = [
    ['SIGINT', 'launcher', 130], ['SIGTERM', 'launcher', 143], ['SIGHUP', 'launcher', 129],
    ['SIGINT', 'child', 130], ['SIGTERM', 'child', 143], ['SIGINT', 'group', 130], ['SIGTERM', 'group', 143],
  ];
  for (const [signal, target, code] of matrix) {
    test(`${signal} to the ${target}: exit ${code}, the best result so far written, no orphan`, T, async () => {
      const r = await start(['segment', png, '--size', '64', '--iterations', '100000'], outDir());
      process.kill(target === 'child' ? r.child : target === 'group' ? -r.launcher.pid! : r.launcher.pid!, signal);
      assert.equal(await r.exit, code, r.stderr());
      assert.equal(outputSet(r.out, SEGMENT_FILES), 'complete');
      const report = JSON.parse(readFileSync(join(r.out, 'report.json'), 'utf8'));
      assert.ok(report.iterations < 100000);
      assert.equal(running(r.child), false);
    });
  }

  test('SIGKILL to the group: both end at once, nothing written', T, async () => {
    const r = await start(['segment', png, '--size', '64', '--iterations', '100000'], outDir());
    process.kill(-r.launcher.pid!, 'SIGKILL');
    assert.equal(await r.exit, -1); // killed: the shell shows 137
    await sleep(500);
    assert.equal(running(r.child), false);
    assert.equal(existsSync(r.out), false);
  });
});

describe('signals through the launcher', { skip: noLauncher }, () => {
  test('SIGKILL to the launcher: the child stops at once and writes nothing, then or later', T, async (t) => {
    const r = await start(['segment', png, '--size', '64', '--iterations', '100000'], outDir());
    process.kill(r.launcher.pid!, 'SIGKILL');
    await r.exit;
    const t0 = Date.now();
    while (running(r.child) && Date.now() - t0 < 5000) await sleep(20);
    assert.equal(running(r.child), false, 'the child outlived its launcher');
    t.diagnostic(`child gone ${Date.now() - t0} ms after its launcher`);
    await sleep(1000);
    assert.equal(existsSync(r.out), false);
  });

  test('two SIGINTs to the group (a double Ctrl-C): the whole set or nothing, and files already there kept', T, async (t) => {
    for (const delay of [200, 400, 1000]) {
      const out = outDir();
      mkdirSync(out);
      writeFileSync(join(out, 'notes.txt'), 'mine');
      const r = await start(['segment', png, '--size', '64', '--iterations', '100000'], out);
      process.kill(-r.launcher.pid!, 'SIGINT');
      await sleep(delay);
      try { process.kill(-r.launcher.pid!, 'SIGINT'); } catch { /* already gone */ }
      assert.equal(await r.exit, 130, r.stderr());
      const set = outputSet(out, SEGMENT_FILES);
      assert.match(set, /^(complete|none)$/, `second signal after ${delay} ms`);
      t.diagnostic(`second SIGINT ${delay} ms later: ${set}`);
      assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
      assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('.')), []);
    }
  });

  test('video: SIGTERM stops and writes the frames; no decoded frames are left in /tmp', T, async () => {
    const r = await start(['video', 'segment', clip, '--size', '64', '--iterations', '100000', '--batch', '2'], outDir());
    const frames = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`double-dip-frames-${r.child}-`));
    assert.equal(frames().length, 1, 'frames decoded in a folder named by the child pid');
    process.kill(r.launcher.pid!, 'SIGTERM');
    assert.equal(await r.exit, 143, r.stderr());
    assert.equal(outputSet(r.out, ['mask/00003.png', 'foreground.mp4', 'loss.png']), 'complete');
    assert.deepEqual(frames(), []);
  });

  test('video: SIGKILL to the child (no handler runs): the launcher exits 137 and removes its decoded frames', T, async () => {
    const r = await start(['video', 'segment', clip, '--size', '64', '--iterations', '100000', '--batch', '2'], outDir());
    const frames = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`double-dip-frames-${r.child}-`));
    assert.equal(frames().length, 1);
    process.kill(r.child, 'SIGKILL');
    assert.equal(await r.exit, 137);
    assert.deepEqual(frames(), []);
    assert.equal(existsSync(r.out), false);
  });
});
