// double-dip batch on the in-process queue: the job-level tests (job-tests.ts), a job's process
// killed mid-job, and the batch's usage errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TINY, assertOutputs, batchReport, jobLevelTests } from './support/job-tests.js';
import { cli, descendants, leftovers, partialOutputs, pictures, startCli } from './support/queue.js';

describe('batch, in-process queue', () => {
  jobLevelTests({ name: 'in-process', batchArgs: (n) => ['--workers', String(n)], startWorkers: async () => [], stopWorkers: async () => {} });

  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'dd-local-')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('kill -9 of a job\'s process: that job fails with a message, the others complete, no partial folder', async () => {
    const [a, c] = await pictures(join(root, 'kill'), 2);
    const manifest = join(root, 'kill', 'jobs.jsonl');
    writeFileSync(manifest, `${JSON.stringify({ inputs: [a], name: 'long', options: { iterations: 100000, maxSeconds: 30 } })}\n${JSON.stringify({ inputs: [c], name: 'short' })}\n`);
    const out = join(root, 'kill-out');
    const p = startCli(['batch', 'segment', '--manifest', manifest, '-o', out, '--size', '64', '--iterations', '2', '--workers', '1', '--json']);
    let killed: number | undefined;
    const seen: string[] = [];
    const watch = setInterval(() => seen.push(...partialOutputs(out)), 20);
    await p.waitFor(/"type":"progress","name":"long"/); // training
    killed = descendants(p.child.pid!).find((d) => d.cmd.includes('--double-dip-worker'))?.pid;
    assert.ok(killed, 'found the job\'s process');
    process.kill(killed, 'SIGKILL');
    const code = await p.exit;
    clearInterval(watch);
    assert.equal(code, 1, p.stderr());
    const report = batchReport(out);
    assert.deepEqual(report.jobs.map((j) => `${j.name} ${j.status}`), ['long failed', 'short done']);
    assert.match(report.jobs[0].error!, /ended without a result \(signal SIGKILL\)/);
    assert.deepEqual(seen, []);
    assert.ok(!existsSync(join(out, 'long')));
    assert.deepEqual(leftovers(out), []);
    await assertOutputs(out, ['short']);
  });

  test('usage errors exit 2 and write nothing', async () => {
    const [img] = await pictures(join(root, 'usage'), 1);
    const out = join(root, 'usage-out');
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, `{"inputs": ["${img}"]}\n{"inputs": "a.png"}\n`);
    const badFrames = join(root, 'frames.jsonl');
    writeFileSync(badFrames, `{"inputs": ["${img}"], "frames": "x"}\n`);
    const badJson = join(root, 'json.jsonl');
    writeFileSync(badJson, `{"inputs": ["${img}"],}\n`);
    const cases: [string[], RegExp][] = [
      [['batch', 'paint', img, '-o', out], /Expected a task, one of segment, .* but received "paint"/],
      [['batch', 'segment', '-o', out], /needs inputs: files, folders or globs, or --manifest/],
      [['batch', 'segment', join(root, 'usage', '*.jpg'), '-o', out], /No images match ".*\*\.jpg": check the pattern/],
      [['batch', 'segment', img, '-o', out, '--workers', '0'], /Expected an integer from 1 to 64 for --workers but received "0"/],
      [['batch', 'segment', img, '-o', out, '--queue', 'http://localhost:6379'], /Expected --queue redis:\/\/HOST:PORT\[\/DB\].*the scheme must be redis:/],
      [['batch', 'segment', img, '-o', out, '--queue', 'redis://localhost/99'], /the database must be a number from 0 to 15/],
      [['batch', 'segment', img, '-o', out, '--queue', 'redis://localhost', '--workers', '2'], /--workers is for the in-process queue/],
      [['batch', 'segment', '--manifest', bad, '-o', out], /bad\.jsonl:2: expected \{"inputs": \["FILE", \.\.\.\]/],
      [['batch', 'video', 'segment', '--manifest', badFrames, '-o', out], /frames\.jsonl:1: Expected A:B .* for "frames" but received "x"/],
      [['batch', 'segment', '--manifest', badJson, '-o', out], /json\.jsonl:1: not JSON/],
      [['batch', 'segment', '--manifest', join(root, 'none.jsonl'), '-o', out], /Cannot read the manifest ".*none\.jsonl": no such file/],
      [['batch', 'segment', img, '-o', out, '--iterations', 'many'], /Expected an integer from 1 to \d+ for --iterations but received "many"/],
      [['batch', 'segment', img, '-o', out, '--chunk', '6'], /--chunk is for video tasks \(a long clip run as chunk jobs\), not segment: leave it out/],
      [['batch', 'video', 'segment', join(root, 'usage'), '-o', out, '--chunk', '2'], /Expected 0 \(off\) or an integer from 3 to 300 for --chunk but received 2/],
      [['worker'], /Missing --queue redis:\/\/HOST:PORT/],
      [['worker', '--queue', 'redis://localhost', '--concurrency', '0'], /Expected an integer from 1 to 64 for --concurrency/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
    }
  });

  test('inputs: a quoted glob, a folder and a file expand in order; output names made unique', async () => {
    const { expandInputs, uniqueNames } = await import('../src/queue/plan.js');
    const dir = join(root, 'globs');
    await pictures(join(dir, 'a'), 3);
    const [b1] = await pictures(join(dir, 'b'), 1);
    writeFileSync(join(dir, 'a', 'notes.txt'), 'not an image');
    const inputs = expandInputs([join(dir, 'a', 'p0[12].png'), join(dir, 'b'), b1, join(dir, 'a', '*')], false);
    assert.deepEqual(inputs.map((p) => p.slice(dir.length + 1)), ['a/p01.png', 'a/p02.png', 'b/p01.png', 'b/p01.png', 'a/p01.png', 'a/p02.png', 'a/p03.png']);
    assert.deepEqual(uniqueNames(inputs.map((p) => ({ inputs: [p], options: {}, where: p }))), ['p01', 'p02', 'p01-2', 'p01-3', 'p01-4', 'p02-2', 'p03']);
  });
});
