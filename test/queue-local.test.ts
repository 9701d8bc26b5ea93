// double-dip batch on the in-process queue: the job-level tests (job-tests.ts), a job's process
// killed mid-job, and the batch's usage errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TINY, assertOutputs, batchReport, jobLevelTests } from './support/job-tests.js';
import { cli, descendants, partialOutputs, pictures, startCli } from './support/queue.js';

describe('batch, in-process queue', () => {
  jobLevelTests({ name: 'in-process', batchArgs: (n) => ['--workers', String(n)], startWorkers: async () => [], stopWorkers: async () => {} });

  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'dd-local-')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('kill -9 of a job\'s process: that job fails with a message, the others complete, no partial folder', async () => {
    await pictures(join(root, 'kill'), 3);
    const out = join(root, 'kill-out');
    const p = startCli(['batch', 'segment', join(root, 'kill'), '-o', out, '--size', '64', '--iterations', '100000', '--max-seconds', '3', '--workers', '1']);
    await p.waitFor(/started p01/);
    let killed: number | undefined;
    const seen: string[] = [];
    const watch = setInterval(() => seen.push(...partialOutputs(out)), 20);
    for (let t = 0; !killed && t < 200; t++) {
      killed = descendants(p.child.pid!).find((d) => d.cmd.includes('--double-dip-job'))?.pid;
      if (!killed) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(killed, 'found the job\'s process');
    await new Promise((r) => setTimeout(r, 1000)); // training by now
    process.kill(killed, 'SIGKILL');
    const code = await p.exit;
    clearInterval(watch);
    assert.equal(code, 1, p.stderr());
    const report = batchReport(out);
    assert.deepEqual(report.jobs.map((j) => `${j.name} ${j.status}`), ['p01 failed', 'p02 done', 'p03 done']);
    assert.match(report.jobs[0].error!, /ended without a result \(signal SIGKILL\)/);
    assert.deepEqual(seen, []);
    assert.ok(!existsSync(join(out, 'p01')));
    await assertOutputs(out, ['p02', 'p03']);
  });

  test('usage errors exit 2 and write nothing', async () => {
    const [img] = await pictures(join(root, 'usage'), 1);
    const out = join(root, 'usage-out');
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, `{"inputs": ["${img}"]}\n{"inputs": "a.png"}\n`);
    const cases: [string[], RegExp][] = [
      [['batch', 'paint', img, '-o', out], /Expected a task, one of segment, .* but received "paint"/],
      [['batch', 'segment', '-o', out], /needs inputs: files, folders or globs, or --manifest/],
      [['batch', 'segment', join(root, 'usage', '*.jpg'), '-o', out], /No images match ".*\*\.jpg": check the pattern/],
      [['batch', 'segment', img, '-o', out, '--workers', '0'], /Expected an integer from 1 to 64 for --workers but received "0"/],
      [['batch', 'segment', img, '-o', out, '--queue', 'http://localhost:6379'], /Expected --queue redis:\/\/HOST:PORT\[\/DB\].*the scheme must be redis:/],
      [['batch', 'segment', img, '-o', out, '--queue', 'redis://localhost/99'], /the database must be a number from 0 to 15/],
      [['batch', 'segment', img, '-o', out, '--queue', 'redis://localhost', '--workers', '2'], /--workers is for the in-process queue/],
      [['batch', 'segment', '--manifest', bad, '-o', out], /bad\.jsonl:2: expected \{"inputs": \["FILE", \.\.\.\]/],
      [['batch', 'segment', img, '-o', out, '--iterations', 'many'], /Expected an integer from 1 to \d+ for --iterations but received "many"/],
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

  test('a quoted glob, a folder and a file expand in order; names made unique', async () => {
    const dir = join(root, 'globs');
    await pictures(join(dir, 'a'), 2);
    await pictures(join(dir, 'b'), 1);
    const out = join(root, 'globs-out');
    const r = await cli(['batch', 'segment', join(dir, 'a', 'p0*.png'), join(dir, 'b'), '-o', out, ...TINY, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(batchReport(out).jobs.map((j) => j.name), ['p01', 'p02', 'p01-2']);
    await assertOutputs(out, ['p01', 'p02', 'p01-2']);
  });
});
