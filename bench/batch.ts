// Batch throughput: jobs per minute for 8 small segmentation jobs with 1 worker x 2 threads and
// 2 workers x 1 thread, on the in-process queue and through Redis (a redis-server started here on
// a free port, workers as `double-dip worker` processes started before the clock); the queue's
// own overhead per job; and what a job costs in Redis memory (INFO memory and MEMORY USAGE).
//   npm run bench:batch [-- --jobs 8 --iterations 20 --size 64 --only throughput|memory]
// The overhead per job is the time a worker slot spends outside the job's own run (executeJob:
// decoding, training, writing), (wall x slots - sum of the jobs' seconds) / jobs: starting and
// feeding the processes, Redis round trips, the progress display.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { values } = parseArgs({ options: {
  jobs: { type: 'string', default: '8' }, iterations: { type: 'string', default: '20' }, size: { type: 'string', default: '64' },
  only: { type: 'string' },
} });
const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-bench-batch-'));
const jobs = Number(values.jobs);

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); }); });
}

function waitFor(p: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const on = (d: Buffer) => { text += d; if (re.test(text)) resolve(); };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.on('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
  });
}

async function inputs(): Promise<string> {
  const dir = join(tmp, 'in');
  mkdirSync(dir);
  const w = 64, data = Buffer.alloc(w * w * 3);
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3, inside = x > 20 && x < 44 && y > 16 && y < 48;
    data[i] = inside ? 240 : 40 + x; data[i + 1] = inside ? 200 : 60 + y; data[i + 2] = inside ? 30 : 170;
  }
  const png = await sharp(data, { raw: { width: w, height: w, channels: 3 } }).png().toBuffer();
  for (let k = 0; k < jobs; k++) writeFileSync(join(dir, `p${String(k + 1).padStart(2, '0')}.png`), png);
  return dir;
}

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] }).on('close', (c) => resolve(c ?? 1)));
}

async function startRedis(): Promise<{ url: string; port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(proc, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, port, proc };
}

interface Row { queue: string; layout: string; seconds: number; perMinute: number; overheadMs: number }

async function measure(queue: string, layout: string, slots: number, batchArgs: string[], out: string): Promise<Row> {
  const t0 = performance.now();
  const code = await run(['batch', 'segment', join(tmp, 'in'), '-o', out, '--size', values.size!, '--iterations', values.iterations!, '--quiet', ...batchArgs]);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`batch ${batchArgs.join(' ')} exited ${code}`);
  const report = JSON.parse(readFileSync(join(out, 'batch-report.json'), 'utf8')) as { jobs: { seconds: number }[] };
  const inJobs = report.jobs.reduce((s, j) => s + j.seconds, 0);
  return { queue, layout, seconds, perMinute: (jobs / seconds) * 60, overheadMs: ((seconds * slots - inJobs) / jobs) * 1000 };
}

async function throughput(): Promise<void> {
  await inputs();
  const rows: Row[] = [];
  rows.push(await measure('in-process', '1 worker x 2 threads', 1, ['--workers', '1', '--threads', '2'], join(tmp, 'l1')));
  rows.push(await measure('in-process', '2 workers x 1 thread', 2, ['--workers', '2', '--threads', '1'], join(tmp, 'l2')));
  const redis = await startRedis();
  try {
    for (const [n, threads] of [[1, 2], [2, 1]]) {
      const workers = Array.from({ length: n }, () => spawn(process.execPath, [bin, 'worker', '--queue', redis.url, '--threads', String(threads)], { stdio: ['ignore', 'pipe', 'pipe'] }));
      await Promise.all(workers.map((w) => waitFor(w, /waiting for jobs/)));
      rows.push(await measure('Redis', `${n} worker${n > 1 ? 's' : ''} x ${threads} thread${threads > 1 ? 's' : ''}`, n, ['--queue', redis.url], join(tmp, `r${n}`)));
      await Promise.all(workers.map((w) => new Promise((r) => { w.on('exit', r); w.kill('SIGTERM'); })));
    }
  } finally {
    redis.proc.kill('SIGTERM');
  }
  console.log(`\n${jobs} jobs: segment, ${values.size} px, ${values.iterations} iterations (workers started before the clock; each worker's first job loads libtorch)\n`);
  console.log('| queue | layout | seconds | jobs/min | overhead per job (ms) |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.queue} | ${r.layout} | ${r.seconds.toFixed(1)} | ${r.perMinute.toFixed(1)} | ${r.overheadMs.toFixed(0)} |`);
}

/** Redis memory per queued job: used_memory before and after adding 200 jobs (no workers), and one job's hash. */
async function memory(): Promise<void> {
  const redis = await startRedis();
  const { Redis } = await import('ioredis');
  const { Queue } = await import('bullmq');
  const client = new Redis({ port: redis.port, host: '127.0.0.1' });
  const queue = new Queue('double-dip', { connection: { port: redis.port, host: '127.0.0.1' } });
  try {
    const used = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    await queue.waitUntilReady();
    const n = 200;
    const before = await used();
    const { JOB_OPTIONS } = await import('../src/queue/redis.js');
    await queue.addBulk(Array.from({ length: n }, (_, k) => {
      const data = { id: `j${k}`, name: `IMG_${1000 + k}`, task: 'segment', inputs: [`/shared/photos/IMG_${1000 + k}.jpg`],
        options: { size: 256, iterations: 1200, box: { x: 10, y: 20, width: 300, height: 200 } }, out: `/shared/results/IMG_${1000 + k}` };
      return { name: 'segment', data, opts: { ...JOB_OPTIONS, jobId: data.id } };
    }));
    const after = await used();
    const one = await client.call('MEMORY', 'USAGE', 'bull:double-dip:j0') as number;
    console.log(`\nRedis memory: ${n} waiting jobs add ${((after - before) / n).toFixed(0)} bytes each (INFO memory used_memory); ` +
      `one job's hash: ${one} bytes (MEMORY USAGE bull:double-dip:<id>); a finished job's result (returnvalue, the file list) adds a few hundred bytes until removed (completed jobs kept 24 h, failed 7 days).`);
  } finally {
    await queue.close();
    client.disconnect();
    redis.proc.kill('SIGTERM');
  }
}

try {
  if (values.only !== 'memory') await throughput();
  if (values.only !== 'throughput') await memory();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
