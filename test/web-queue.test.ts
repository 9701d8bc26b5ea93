// serve --queue: the web app's jobs on a real Redis (started here on a free port), run by a real
// `double-dip worker` process; the server a real process too, killed with SIGKILL and started again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { picture } from './support/png.js';
import { freePort, startCli, useRedis, type Proc } from './support/queue.js';

interface Info { id: string; state: string; files: string[]; error?: string; queuePosition?: number; result?: { iterations: number } }

/** Starts `double-dip serve --queue URL` on a free port; resolves with its process and base URL. */
async function serve(dataDir: string, queue: string): Promise<{ proc: Proc; base: string }> {
  const proc = startCli(['serve', '--port', '0', '--data', dataDir, '--queue', queue]);
  await proc.waitFor(/double-dip web app: http/, 20000);
  const base = /double-dip web app: (http:\S+?)\/?\n/.exec(proc.stdout())![1];
  return { proc, base };
}

async function api(base: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.startsWith('application/json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
}

async function submit(base: string, png: Buffer, iterations: number): Promise<Info> {
  const r = await api(base, '/api/jobs', { task: 'segment', images: [png.toString('base64')], options: { size: 64, iterations, threads: 1 } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body as Info;
}

/** Polls GET /api/jobs/ID until `ok` holds (or fails after ms). */
async function until(base: string, id: string, ok: (i: Info) => boolean, ms = 40000, log: () => string = () => ''): Promise<Info> {
  const end = Date.now() + ms;
  for (;;) {
    const info = (await api(base, `/api/jobs/${id}`)).body as Info;
    if (ok(info)) return info;
    if (Date.now() > end) throw new Error(`job ${id} still ${JSON.stringify(info)}\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('serve --queue (Redis)', () => {
  const redis = useRedis();
  const dir = mkdtempSync(join(tmpdir(), 'dd-webqueue-'));
  let server: Proc | undefined;
  let worker: Proc | undefined;
  after(async () => {
    if (server && server.child.exitCode === null) { server.child.kill('SIGKILL'); await server.exit; }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker runs a submitted job; after a SIGKILL restart the done and the waiting job are listed and the waiting one completes', async () => {
    const png = await picture(48, 48);
    let s = await serve(dir, redis.url());
    server = s.proc;
    const a = await submit(s.base, png, 2);
    assert.equal(a.state, 'queued');
    // The server trains nothing itself: with no worker the job waits.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(((await api(s.base, `/api/jobs/${a.id}`)).body as Info).state, 'queued');
    [worker] = await redis.startWorkers(1);
    const done = await until(s.base, a.id, (i) => i.state === 'done' || i.state === 'failed', 40000, worker.stderr);
    assert.equal(done.state, 'done', done.error);
    assert.equal(done.result?.iterations, 2);
    assert.ok(done.files.includes('report.json'));
    const mask = done.files.find((f) => f.endsWith('.png'))!;
    const file = await api(s.base, `/api/jobs/${a.id}/files/${encodeURIComponent(mask)}`);
    assert.equal(file.status, 200);
    assert.deepEqual([...(file.body as Buffer).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    assert.equal((await api(s.base, `/api/jobs/${a.id}/archive`)).status, 200);

    await redis.stopWorkers();
    const b = await submit(s.base, png, 2);
    const c = await submit(s.base, png, 2);
    assert.equal(c.queuePosition, 2);
    // A waiting job cancelled: taken off the queue, never run.
    const stopped = await api(s.base, `/api/jobs/${c.id}/stop`, {});
    assert.equal(stopped.status, 200);
    assert.equal((stopped.body as Info).state, 'cancelled');

    s.proc.child.kill('SIGKILL');
    await s.proc.exit;
    s = await serve(dir, redis.url());
    server = s.proc;
    const listed = ((await api(s.base, '/api/jobs')).body as { jobs: Info[] }).jobs;
    assert.deepEqual(listed.map((j) => [j.id, j.state]), [[a.id, 'done'], [b.id, 'queued'], [c.id, 'cancelled']]);
    assert.equal((await api(s.base, `/api/jobs/${a.id}/files/${encodeURIComponent(mask)}`)).status, 200);
    [worker] = await redis.startWorkers(1);
    const bDone = await until(s.base, b.id, (i) => i.state === 'done' || i.state === 'failed', 40000, worker.stderr);
    assert.equal(bDone.state, 'done', bDone.error);
    assert.equal(((await api(s.base, `/api/jobs/${c.id}`)).body as Info).state, 'cancelled');
  });

  it('a running job stopped from the web: the worker stops it, it is cancelled at once (no retry) and the worker goes on', async () => {
    const png = await picture(48, 48);
    const s = { base: /double-dip web app: (http:\S+?)\/?\n/.exec(server!.stdout())![1] };
    const long = await submit(s.base, png, 5000);
    await until(s.base, long.id, (i) => i.state === 'running');
    const r = await api(s.base, `/api/jobs/${long.id}/stop`, {});
    assert.equal(r.status, 200);
    const ended = await until(s.base, long.id, (i) => i.state !== 'running', 15000, worker!.stderr);
    assert.equal(ended.state, 'cancelled', ended.error);
    assert.match(ended.error ?? '', /Stopped while it ran/);
    assert.deepEqual(ended.files, []);
    // Failed once, for good: the worker does not try it again.
    assert.match(worker!.stderr(), new RegExp(`failed ${long.id} .*Stopped on request`));
    assert.doesNotMatch(worker!.stderr(), /will retry/);
    // Bad input: a clip resampled on the way cannot go through the queue.
    const fps = await api(s.base, '/api/jobs', { task: 'video segment', video: png.toString('base64'), options: { fps: 10, iterations: 2 } });
    assert.equal(fps.status, 400);
    assert.match((fps.body as { error: string }).error, /fps is not available on a server with --queue.*leave fps out/);
    const next = await submit(s.base, png, 2);
    assert.equal((await until(s.base, next.id, (i) => i.state === 'done' || i.state === 'failed')).state, 'done');
  });

  it('Redis unreachable: serve exits 1 within 5 s naming the URL; a bad URL is a usage error (2)', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const p = startCli(['serve', '--port', '0', '--data', join(dir, 'none'), '--queue', url]);
    assert.equal(await p.exit, 1);
    assert.ok(Date.now() - started < 5000 + 2000, `took ${Date.now() - started} ms`); // + the CLI's start-up
    assert.match(p.stderr(), new RegExp(`Cannot reach Redis at ${url}`));
    assert.equal(existsSync(join(dir, 'none')), false, 'nothing written');
    const bad = startCli(['serve', '--port', '0', '--data', join(dir, 'none'), '--queue', 'http://127.0.0.1:6379']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.stderr(), /scheme must be redis:/);
  });
});
