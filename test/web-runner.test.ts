// Training off the server's event loop: each job trains in a child process. Checked by behaviour,
// not by timing: with the child frozen (SIGSTOP) the API still answers, so training cannot be what
// this process runs; a crashed child fails its job alone; Stop still keeps the best result.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { startServer, type RunningServer } from '../src/web/server.js';
import type { JobInfo } from '../src/web/jobs.js';

let dataDir: string;
let srv: RunningServer;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-runner-test-'));
  srv = await startServer({ port: 0, dataDir });
});
after(async () => {
  await srv?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const png = async () => (await sharp({ create: { width: 48, height: 40, channels: 3, background: '#3a6' } })
  .composite([{ input: { create: { width: 16, height: 14, channels: 3, background: '#fd2' } }, left: 16, top: 12 }]).png().toBuffer()).toString('base64');

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(srv.url + path.replace(/^\//, ''), init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const postJob = async (options: Record<string, unknown>) => (await api('/api/jobs', { method: 'POST',
  headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'segment', images: [await png()], options }) })).body as unknown as JobInfo;

async function waitFor(id: string, done: (j: JobInfo) => boolean, seconds = 120): Promise<JobInfo> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const job = (await api(`/api/jobs/${id}`)).body as unknown as JobInfo;
    if (done(job)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${seconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const trained = (j: JobInfo) => j.state === 'running' && (j.progress?.iteration ?? 0) >= 1;
const ended = (j: JobInfo) => j.state !== 'queued' && j.state !== 'running';

describe('training in a child process', () => {
  test('with the training process frozen the API answers every request; thawed, it trains on and Stop keeps its best', async () => {
    const job = await postJob({ size: 64, iterations: 100000 });
    await waitFor(job.id, trained);
    const pid = srv.jobs.runnerPid(job.id);
    assert.ok(pid !== undefined && pid !== process.pid, `the job trains in process ${pid}, not in the server's (${process.pid})`);
    process.kill(pid, 'SIGSTOP');
    let frozenAt: number | undefined;
    try {
      for (let i = 0; i < 10; i++) {
        const list = await api('/api/jobs');
        assert.equal(list.status, 200);
        const now = ((list.body.jobs as JobInfo[]).find((j) => j.id === job.id))!;
        assert.equal(now.state, 'running');
        // Frozen: no iteration ran while these requests were answered (after the ones already on the way).
        if (i === 2) frozenAt = now.progress!.iteration;
        if (i > 2) assert.equal(now.progress!.iteration, frozenAt);
      }
      assert.equal((await api('/api/tasks')).status, 200);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(job.id, (j) => (j.progress?.iteration ?? 0) > frozenAt!);
    assert.equal((await api(`/api/jobs/${job.id}/stop`, { method: 'POST' })).status, 200);
    const stopped = await waitFor(job.id, ended);
    assert.equal(stopped.state, 'stopped', stopped.error);
    assert.ok(stopped.files.includes('mask.png') && stopped.files.includes('report.json'), stopped.files.join());
    assert.equal((await api(`/api/jobs/${job.id}/files/report.json`)).body.stopReason, 'aborted');
    assert.equal(srv.jobs.runnerPid(job.id), undefined);
  });

  test('a training process that dies fails its job alone: the next job runs, the server serves', async () => {
    const doomed = await postJob({ size: 64, iterations: 100000 });
    const next = await postJob({ size: 64, iterations: 2 });
    assert.equal(next.state, 'queued');
    await waitFor(doomed.id, trained);
    process.kill(srv.jobs.runnerPid(doomed.id)!, 'SIGKILL');
    const failed = await waitFor(doomed.id, ended);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error ?? '', /The training process ended unexpectedly \(signal SIGKILL\).*the server and the other jobs go on/);
    assert.deepEqual(failed.files, []);
    const done = await waitFor(next.id, ended);
    assert.equal(done.state, 'done', done.error);
    assert.ok(done.files.includes('mask.png'));
  });
});
