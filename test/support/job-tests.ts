// The job-level tests that the in-process queue and the Redis queue both pass (queue-local.test.ts,
// queue-redis.test.ts): exactly-once completion with valid outputs, a bad job failing alone, and an
// interrupted batch finished by a re-run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import sharp from 'sharp';
import { cli, leftovers, partialOutputs, pictures, startCli, type Proc } from './queue.js';

export interface Backend {
  name: string;
  /** The batch's queue arguments for `workers` workers. */
  batchArgs(workers: number): string[];
  /** Starts the workers the batch needs (Redis: `double-dip worker` processes); resolves once they wait for jobs. */
  startWorkers(n: number): Promise<Proc[]>;
  stopWorkers(): Promise<void>;
}

export const TINY = ['--size', '64', '--iterations', '2', '--seed', '1'];

export interface BatchReport { counts: Record<string, number>; jobs: { name: string; status: string; error?: string; seconds?: number }[] }
export const batchReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'batch-report.json'), 'utf8')) as BatchReport;

/** Every output folder of `names` holds a report and a 48 px mask. */
export async function assertOutputs(dir: string, names: string[]): Promise<void> {
  for (const n of names) {
    const report = JSON.parse(readFileSync(join(dir, n, 'report.json'), 'utf8')) as { iterations: number };
    assert.ok(report.iterations >= 1, `${n}: ${JSON.stringify(report)}`);
    const meta = await sharp(join(dir, n, 'mask.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [48, 48], n);
  }
}

export function jobLevelTests(b: Backend): void {
  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'dd-queue-')); });
  after(async () => { await b.stopWorkers(); rmSync(root, { recursive: true, force: true }); });
  beforeEach(() => b.stopWorkers()); // a failed test's workers must not take the next one's jobs

  test(`${b.name}: 12 jobs over 2 workers each complete exactly once, every output valid`, async () => {
    const inputs = await pictures(join(root, 'twelve'), 12);
    const out = join(root, 'twelve-out');
    const workers = await b.startWorkers(2);
    const r = await cli(['batch', 'segment', join(root, 'twelve'), '-o', out, ...TINY, ...b.batchArgs(2), '--json']);
    await b.stopWorkers();
    assert.equal(r.code, 0, r.stderr);
    const names = inputs.map((_, i) => `p${String(i + 1).padStart(2, '0')}`);
    const ends = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; name?: string; state?: string })
      .filter((e) => e.type === 'job' && (e.state === 'done' || e.state === 'failed'));
    assert.deepEqual(ends.map((e) => `${e.name} ${e.state}`).sort(), names.map((n) => `${n} done`));
    const report = batchReport(out);
    assert.deepEqual(report.counts, { total: 12, done: 12, skipped: 0, failed: 0, interrupted: 0 });
    await assertOutputs(out, names);
    assert.deepEqual(leftovers(out), []);
    if (workers.length > 0) {
      // Each job ran once in all: one "done" line per job over the workers' logs, and both workers took some.
      const logs = workers.map((w) => w.stderr());
      const done = logs.flatMap((l) => [...l.matchAll(/ done (p\d+) /g)].map((m) => m[1]));
      assert.deepEqual(done.sort(), names, logs.join('\n'));
      assert.ok(logs.every((l) => / done p\d+ /.test(l)), `both workers took jobs:\n${logs.join('\n')}`);
    }
  });

  test(`${b.name}: a bad job among good ones fails alone, with its message`, async () => {
    const [a, c] = await pictures(join(root, 'bad'), 2);
    const manifest = join(root, 'bad', 'jobs.jsonl');
    writeFileSync(manifest, [
      { inputs: [a], name: 'good-a' },
      { inputs: [a], options: { iterations: -3 }, name: 'bad-option' },
      { inputs: ['missing.png'], name: 'missing' },
      { inputs: [c], options: { 'max-seconds': '60' }, name: 'good-c' },
    ].map((j) => JSON.stringify(j)).join('\n') + '\n');
    const out = join(root, 'bad-out');
    await b.startWorkers(1);
    const r = await cli(['batch', 'segment', '--manifest', manifest, '-o', out, ...TINY, ...b.batchArgs(1)]);
    await b.stopWorkers();
    assert.equal(r.code, 1, r.stderr);
    const report = batchReport(out);
    const byName = Object.fromEntries(report.jobs.map((j) => [j.name, j]));
    assert.equal(byName['good-a'].status, 'done');
    assert.equal(byName['good-c'].status, 'done');
    assert.equal(byName['bad-option'].status, 'failed');
    assert.match(byName['bad-option'].error!, /Expected an integer from 1 to \d+ for "iterations" but received -3/);
    assert.equal(byName.missing.status, 'failed');
    assert.match(byName.missing.error!, /Cannot read the image ".*missing\.png": no such file/);
    assert.match(r.stderr, /2 of 4 jobs failed[\s\S]*bad-option: Expected an integer[\s\S]*missing: Cannot read/);
    await assertOutputs(out, ['good-a', 'good-c']);
    assert.deepEqual(partialOutputs(out), []);
  });

  test(`${b.name}: a batch interrupted by SIGINT keeps its finished jobs; the same command skips them and finishes the rest`, async () => {
    await pictures(join(root, 'four'), 4);
    const out = join(root, 'four-out');
    const args = ['batch', 'segment', join(root, 'four'), '-o', out, ...TINY, ...b.batchArgs(1)];
    await b.startWorkers(1);
    const p = startCli(args);
    await p.waitFor(/done p01/);
    p.child.kill('SIGINT');
    assert.equal(await p.exit, 130, p.stderr());
    const first = batchReport(out);
    assert.ok(first.counts.done >= 1 && first.counts.done < 4, JSON.stringify(first.counts));
    assert.ok(first.counts.interrupted >= 1, JSON.stringify(first.counts));
    assert.deepEqual(partialOutputs(out), []);
    // A job still running on a worker when the batch stopped may finish later: the re-run skips whatever is done by then.
    const r = await cli(args);
    await b.stopWorkers();
    assert.equal(r.code, 0, r.stderr);
    const second = batchReport(out);
    assert.ok(second.counts.skipped >= first.counts.done, JSON.stringify(second.counts));
    assert.equal(second.counts.skipped + second.counts.done, 4, JSON.stringify(second.counts));
    assert.deepEqual(second.jobs.filter((j) => j.status === 'skipped').map((j) => j.name).slice(0, first.counts.done),
      first.jobs.filter((j) => j.status === 'done').map((j) => j.name));
    await assertOutputs(out, ['p01', 'p02', 'p03', 'p04']);
    assert.deepEqual(leftovers(out), []);
  });
}
