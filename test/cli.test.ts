// The double-dip command as a user runs it: exit codes, messages, files, Ctrl-C.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-cli-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const png = join(tmp, 'in.png');

before(async () => {
  await sharp({ create: { width: 90, height: 70, channels: 4, background: { r: 20, g: 100, b: 200, alpha: 1 } } })
    .composite([{ input: { create: { width: 40, height: 30, channels: 4, background: { r: 250, g: 220, b: 10, alpha: 1 } } }, left: 25, top: 20 }])
    .png().toFile(png);
});

describe('double-dip CLI', () => {
  test('help and unknown commands', () => {
    const h = cli('--help');
    assert.equal(h.status, 0);
    assert.match(h.stdout, /segment .*separate|segment[\s\S]*separate/);
    const u = cli('frobnicate');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /Unknown command "frobnicate"/);
    assert.equal(cli('segment', '--help').status, 0);
  });

  test('--iterations N trains N iterations, even fewer than the recipe has phases', () => {
    for (const n of [1, 3]) {
      const out = join(tmp, `iters-${n}`);
      const r = cli('segment', png, '-o', out, '--size', '64', '--iterations', String(n), '--quiet');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).iterations, n);
    }
  });

  test('--version, and "did you mean" for mistyped commands and options, in one clean sentence (exit 2)', () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const v = cli(flag);
      assert.equal(v.status, 0);
      assert.equal(v.stdout.trim(), `double-dip ${pkg.version}`);
    }
    const c = cli('segmnet', png);
    assert.equal(c.status, 2);
    assert.match(c.stderr, /Unknown command "segmnet": did you mean "segment"\?/);
    const cases: [string[], RegExp][] = [
      [['--iteratons', '5'], /^double-dip segment: error: Unknown option --iteratons: did you mean --iterations\?\n/],
      [['--size'], /^double-dip segment: error: Option --size needs a value, e\.g\. --size VALUE\n/],
      [['--quiet=yes'], /^double-dip segment: error: Option --quiet takes no value\n/],
      [['--seed', '-1'], /^double-dip segment: error: Option --seed needs a value; for one that starts with a dash write --seed=VALUE \(e\.g\. --seed=-1\)\n/],
      [['--frobnicate', '1'], /^double-dip segment: error: Unknown option --frobnicate\n/],
    ];
    for (const [args, msg] of cases) {
      const r = cli('segment', png, '-o', join(tmp, 'typo'), ...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /positional argument/);
    }
    assert.equal(existsSync(join(tmp, 'typo')), false);
  });

  test('usage errors exit 2 with the fix', () => {
    const r = cli('segment', png);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Missing -o DIR/);
    const b = cli('segment', png, '-o', join(tmp, 'x'), '--iterations', 'many');
    assert.equal(b.status, 2);
    assert.match(b.stderr, /Expected an integer from 1 to 1000000 for --iterations but received "many"/);
    const l = cli('separate', png, png, '-o', join(tmp, 'x'), '--layers', 'exact');
    assert.equal(l.status, 2);
    assert.match(l.stderr, /Expected one of solved, net for --layers but received "exact"/);
    const one = cli('separate', png, '-o', join(tmp, 'x'), '--layers', 'net');
    assert.equal(one.status, 2);
    assert.match(one.stderr, /--layers applies to two images/);
  });

  test('bad input files exit 1, name the problem, and write nothing', () => {
    const empty = join(tmp, 'empty.png');
    writeFileSync(empty, '');
    const out = join(tmp, 'nothing');
    for (const [file, msg] of [[join(tmp, 'missing.png'), /missing\.png/], [empty, /empty/]] as const) {
      const r = cli('segment', file, '-o', out);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, msg);
    }
    const box = cli('segment', png, '-o', out, '--box', '80,60,40,40'); // a usage error (2), as every bad option
    assert.equal(box.status, 2);
    assert.match(box.stderr, /outside the 90x70 image/);
    assert.equal(existsSync(out), false);
  });

  test('segment writes the documented files at the input size', async () => {
    const out = join(tmp, 'seg');
    const r = cli('segment', png, '-o', out, '--iterations', '6', '--size', '64', '--json');
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(last.type, 'result');
    for (const f of ['mask', 'mask-soft', 'foreground', 'background', 'reconstruction', 'loss']) {
      const m = await sharp(join(out, `${f}.png`)).metadata();
      if (f !== 'loss') assert.deepEqual([m.width, m.height], [90, 70], f);
    }
    assert.equal((await sharp(join(out, 'mask.png')).metadata()).channels, 1);
    const mask = await sharp(join(out, 'mask.png')).raw().toBuffer({ resolveWithObject: true });
    assert.ok([...mask.data].every((v) => v === 0 || v === 255));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.task, 'segment');
    assert.equal(report.iterations, 6);
    assert.equal(report.seed, 0);
    assert.equal(report.inputs[0].path, png);
    assert.ok(report.engine.torch);
  });

  test('Ctrl-C stops training and still writes the best result', async () => {
    const out = join(tmp, 'interrupted');
    const child = spawn(process.execPath, [bin, 'segment', png, '-o', out, '--iterations', '100000', '--size', '64', '--json'], { detached: true });
    let stdout = '', sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('"type":"progress"') && !sent) { sent = true; process.kill(-child.pid!, 'SIGINT'); }
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 130);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.stopReason, 'aborted');
    assert.ok(report.iterations < 100000);
    assert.ok(existsSync(join(out, 'mask.png')));
  });
});
