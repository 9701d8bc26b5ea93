// The web server's memory, read from its own process: queued jobs keep their uploads on disk (a
// 4000x4000 PNG is 56 KB there, 192 MB decoded as floats), memory is back at idle once they are
// cancelled, and finished jobs hold no images.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { JobInfo } from '../src/web/jobs.js';

const MB = 1024 * 1024;
/** Growth allowed while queued and after the jobs end: far below one decoded image (192 MB). */
const BOUND = 100 * MB;

describe('web server memory', () => {
  let child: ChildProcess;
  let base: string;
  let dataDir: string;

  /** The server's resident memory, in bytes, once its collections have run. */
  const t0 = Date.now();
  async function rss(): Promise<number> {
    await new Promise((r) => setTimeout(r, 1500));
    if (process.env.WEB_TEST_VERBOSE) process.stderr.write(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] RSS read\n`);
    const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return Number(line![1]) * 1024;
  }
  /** The server's process.memoryUsage(), after a collection. */
  function memoryUsage(): Promise<NodeJS.MemoryUsage> {
    return new Promise((resolve) => {
      child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as NodeJS.MemoryUsage));
      child.kill('SIGUSR2');
    });
  }
  /** One request on a connection of its own: a kept-alive one may be closed by a server busy training (ECONNRESET). */
  function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const req = request(base + path, { method: body === undefined ? 'GET' : 'POST', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  async function waitFor(id: string, done: (j: JobInfo) => boolean): Promise<JobInfo> {
    for (let i = 0; ; i++) {
      const job = (await api(`api/jobs/${id}`)) as unknown as JobInfo;
      if (done(job)) return job;
      assert.ok(i < 900, `job ${id} still ${job.state}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const finished = (j: JobInfo) => j.state !== 'queued' && j.state !== 'running';

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-memory-'));
    // DD_SERVER_MODULE runs the same test on another build's server.js (e.g. to see it fail before a fix).
    const script = new URL('./support/server-child.js', import.meta.url).pathname;
    child = spawn(process.execPath, ['--expose-gc', script, dataDir, ...(process.env.DD_SERVER_MODULE ? [process.env.DD_SERVER_MODULE] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    base = `http://127.0.0.1:${port}/`;
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('queued jobs hold their uploads as files; memory returns after cancelling; finished jobs hold no images', async () => {
    const small = (await sharp({ create: { width: 48, height: 40, channels: 3, background: '#4080c0' } }).png().toBuffer()).toString('base64');
    const bigPng = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#4080c0' } }).png().toBuffer();
    const big = bigPng.toString('base64');
    const job = (image: string, iterations: number) => ({ task: 'segment', images: [image], options: { size: 64, iterations } });

    // Idle: after one small job, with libtorch and sharp loaded.
    await waitFor(String((await api('api/jobs', job(small, 2))).id), finished);
    const idle = await rss();

    // One job training, four 16-megapixel ones waiting.
    const running = String((await api('api/jobs', job(small, 100000))).id);
    await waitFor(running, (j) => (j.progress?.iteration ?? 0) >= 2);
    const training = await rss();
    // Sent together: each request waits for training steps between its awaits.
    const replies = await Promise.all([1, 2, 3, 4].map(() => api('api/jobs', job(big, 1))));
    for (const r of replies) assert.equal(r.state, 'queued', JSON.stringify(r));
    const queued = replies.map((r) => String(r.id));
    const waiting = await rss();
    assert.ok(waiting - training < BOUND, `RSS grew by ${((waiting - training) / MB).toFixed(0)} MB with 4 jobs queued`);
    // Their uploads are on disk as sent.
    assert.deepEqual(await readdir(join(dataDir, 'jobs', queued[0], 'in')), ['image-1.png']);
    assert.equal((await stat(join(dataDir, 'jobs', queued[0], 'in', 'image-1.png'))).size, bigPng.length);

    for (const id of queued) assert.equal((await api(`api/jobs/${id}/stop`, {})).state, 'cancelled');
    await api(`api/jobs/${running}/stop`, {});
    await waitFor(running, finished);
    const cancelled = await rss();
    assert.ok(cancelled - idle < BOUND, `RSS ${((cancelled - idle) / MB).toFixed(0)} MB above idle after cancelling`);
    assert.deepEqual((await readdir(join(dataDir, 'jobs', queued[0]))).sort(), ['done.json', 'job.json']); // the upload is gone

    // Jobs run to their end let go of their images. The allocator keeps the memory a job freed for
    // the next one, so RSS stays near the job's peak; what JavaScript holds is exact.
    const dcp = { task: 'dehaze', images: [(await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#a0a8b0' } }).png().toBuffer())
      .toString('base64')], options: { method: 'dcp' } };
    const done = await waitFor(String((await api('api/jobs', dcp)).id), finished);
    assert.equal(done.state, 'done', done.error);
    const afterDone = await rss();
    const held = await memoryUsage();
    assert.ok(held.arrayBuffers + held.external < 20 * MB,
      `${((held.arrayBuffers + held.external) / MB).toFixed(0)} MB of buffers held after a 4 MP job (its image alone is 46 MB as floats)`);
    if (process.env.WEB_TEST_VERBOSE)
      process.stderr.write(`  RSS MB: idle ${idle / MB | 0}, training ${training / MB | 0}, 4 queued ${waiting / MB | 0}, ` +
        `cancelled ${cancelled / MB | 0}, after a 4 MP job ${afterDone / MB | 0}; buffers held then ${(held.arrayBuffers + held.external) / MB | 0}\n`);
  });
});
