// double-dip worker on a real Redis (started here on a free port, no persistence): a worker killed
// mid-job, the worker's own checks and retries, SIGTERM, and Redis unreachable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { assertOutputs, batchReport } from './support/job-tests.js';
import { cli, freePort, leftovers, partialOutputs, pictures, startCli, useRedis } from './support/queue.js';

describe('worker on Redis', () => {
  const redis = useRedis();
  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'dd-worker-')); });
  after(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(() => redis.stopWorkers()); // a failed test's workers must not take the next one's jobs

  test('kill -9 of a worker while its job trains: the job completes on the other worker; no partial output folder is ever visible', async () => {
    const [a] = await pictures(join(root, 'kill'), 1);
    const manifest = join(root, 'kill', 'jobs.jsonl');
    writeFileSync(manifest, JSON.stringify({ inputs: [a], name: 'long', options: { iterations: 100000, maxSeconds: 3 } }) + '\n');
    const out = join(root, 'kill-out');
    const [w1, w2] = await redis.startWorkers(2);
    const seen: string[] = [];
    const watch = setInterval(() => seen.push(...partialOutputs(out)), 20);
    const batch = startCli(['batch', 'segment', '--manifest', manifest, '-o', out, '--size', '64', '--queue', redis.url(), '--json']);
    await batch.waitFor(/"type":"progress","name":"long"/); // training
    const [victim, other] = /started long/.test(w1.stderr()) ? [w1, w2] : [w2, w1];
    victim.child.kill('SIGKILL');
    const code = await batch.exit;
    clearInterval(watch);
    await redis.stopWorkers();
    assert.equal(code, 0, batch.stderr() + other.stderr());
    assert.match(other.stderr(), /started long[\s\S]*done long/);
    assert.doesNotMatch(victim.stderr(), /done long/);
    assert.deepEqual(seen, []);
    assert.deepEqual(leftovers(out), []);
    await assertOutputs(out, ['long']);
  });

  test('the worker checks each job again: a bad one fails at once with the schema\'s message; a failing one is retried twice, then failed', async () => {
    const [good] = await pictures(join(root, 'check'), 1);
    const corrupt = join(root, 'check', 'corrupt.png');
    writeFileSync(corrupt, 'not a png at all');
    const { submitJobs } = await import('../src/queue/redis.js');
    const out = (n: string) => join(root, 'check-out', n);
    const jobs = [
      { id: 'bad-options', name: 'bad-options', task: 'segment', inputs: [good], options: { iterations: 'lots' }, out: out('bad-options') },
      { id: 'unknown-task', name: 'unknown-task', task: 'paint', inputs: [good], options: {}, out: out('unknown-task') },
      { id: 'corrupt', name: 'corrupt', task: 'segment', inputs: [corrupt], options: { size: 64, iterations: 2 }, out: out('corrupt') },
      { id: 'good', name: 'good', task: 'segment', inputs: [good], options: { size: 64, iterations: 2 }, out: out('good') },
    ];
    const [w] = await redis.startWorkers(1);
    const ends: Record<string, string> = {};
    await submitJobs(redis.url(), jobs, (e) => { if (e.type === 'completed') ends[e.id] = 'done'; else if (e.type === 'failed') ends[e.id] = e.error; });
    await redis.stopWorkers();
    assert.equal(ends.good, 'done');
    assert.match(ends['bad-options'], /Expected an integer from 1 to \d+ for "iterations" but received "lots"/);
    assert.match(ends['unknown-task'], /Unknown task "paint": use one of segment/);
    assert.match(ends.corrupt, /Cannot read image ".*corrupt\.png": not a readable image/);
    const log = w.stderr();
    assert.equal([...log.matchAll(/failed bad-options/g)].length, 1, log);
    assert.equal([...log.matchAll(/failed corrupt .*will retry/g)].length, 2, log);
    assert.equal([...log.matchAll(/failed corrupt/g)].length, 3, log);
    await assertOutputs(join(root, 'check-out'), ['good']);
    assert.deepEqual(partialOutputs(join(root, 'check-out')), []);
  });

  test('SIGTERM: the worker finishes its job, then exits 0', async () => {
    const [a] = await pictures(join(root, 'term'), 1);
    const manifest = join(root, 'term', 'jobs.jsonl');
    writeFileSync(manifest, JSON.stringify({ inputs: [a], name: 'job', options: { iterations: 100000, maxSeconds: 2 } }) + '\n');
    const out = join(root, 'term-out');
    const [w] = await redis.startWorkers(1);
    const batch = startCli(['batch', 'segment', '--manifest', manifest, '-o', out, '--size', '64', '--queue', redis.url(), '--json']);
    await batch.waitFor(/"type":"progress","name":"job"/);
    w.child.kill('SIGTERM');
    assert.equal(await w.exit, 0, w.stderr());
    assert.match(w.stderr(), /SIGTERM: finishing[\s\S]*done job/);
    assert.equal(await batch.exit, 0, batch.stderr());
    assert.equal(batchReport(out).counts.done, 1);
  });

  test('Redis unreachable: batch and worker exit 1 within 5 s, naming the URL; nothing written', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const [img] = await pictures(join(root, 'down'), 1);
    for (const args of [['batch', 'segment', img, '-o', join(root, 'down-out'), '--queue', url], ['worker', '--queue', url]]) {
      const t0 = performance.now();
      const r = await cli(args);
      const seconds = (performance.now() - t0) / 1000;
      assert.equal(r.code, 1, r.stderr);
      assert.ok(seconds < 5, `${args[0]} took ${seconds.toFixed(1)} s`);
      assert.match(r.stderr, new RegExp(`Cannot reach Redis at ${url.replace(/[/.]/g, '\\$&')} \\(connect ECONNREFUSED`));
    }
    assert.deepEqual(partialOutputs(join(root, 'down-out')), []);
  });
});
