// The queue on Redis, with BullMQ: `batch --queue` adds jobs and follows them, `worker` takes
// them, each in a sandboxed child process (processor.ts) so that a training step never blocks the
// worker's lock renewal and a native crash kills one job. Jobs are retried with exponential
// backoff; a job whose worker died (its lock expired) is taken up by another worker.
// bullmq and ioredis are imported inside the functions: --help must not load them.
import { fileURLToPath } from 'node:url';
import type { ConnectionOptions, Job, Worker } from 'bullmq';
import type { QueueJob } from './job.js';
import type { QueueEvent } from './events.js';
import type { JobResult } from './execute.js';

export const QUEUE_NAME = 'double-dip';
const PROCESSOR = fileURLToPath(new URL('./processor.js', import.meta.url));
/** Redis must answer within this, or the command fails naming the URL (BullMQ alone would retry forever). */
const CONNECT_MS = 4000;
/** attempts 3 = two retries, 2 s then 4 s later. */
export const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

export class QueueUrlError extends Error {}

/** redis://[user:password@]HOST[:PORT][/DB] as connection options; throws QueueUrlError. */
export function parseQueueUrl(text: string): { host: string; port: number; db: number; username?: string; password?: string } {
  const bad = (why: string) => new QueueUrlError(`Expected --queue redis://HOST:PORT[/DB] (e.g. redis://127.0.0.1:6379/0) but received "${text}": ${why}`);
  let u: URL;
  try { u = new URL(text); } catch { throw bad('not a URL'); }
  if (u.protocol !== 'redis:') throw bad(`the scheme must be redis:, not ${u.protocol}`);
  if (!u.hostname) throw bad('no host');
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0 || db > 15) throw bad('the database must be a number from 0 to 15');
  const port = u.port ? Number(u.port) : 6379;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) };
}

/** BullMQ's connection: commands wait through a short outage (maxRetriesPerRequest null, as workers need). */
export function connection(url: string): ConnectionOptions {
  return { ...parseQueueUrl(url), connectTimeout: CONNECT_MS, maxRetriesPerRequest: null };
}

/** Throws, within about CONNECT_MS, an error naming the URL unless Redis answers a PING there. */
export async function checkRedis(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...parseQueueUrl(url), lazyConnect: true, connectTimeout: CONNECT_MS, maxRetriesPerRequest: 0,
    enableOfflineQueue: false, retryStrategy: () => null });
  let cause: Error | undefined;
  // Reported below, once: the socket's reason (ECONNREFUSED) says more than "Connection is closed".
  client.on('error', (e: Error) => { cause ??= e; });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${CONNECT_MS / 1000} s`)), CONNECT_MS); }),
    ]);
  } catch (e) {
    const why = (cause ?? (e as Error)).message || String(e);
    throw new Error(`Cannot reach Redis at ${url} (${why}). Start it (e.g. redis-server --port ${parseQueueUrl(url).port}) or give the right --queue URL.`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Adds `jobs` (their ids as BullMQ job ids: the same output folder, the same job) and reports their
 * events until each one has completed or failed for good. A job of the same id still waiting or
 * running (another batch) is followed, not added twice; a finished one is replaced. When `signal`
 * aborts, the jobs not yet started are taken out of the queue; running ones finish on their workers.
 * A job with `after` (a long clip's join) is added as a flow: it the parent, the jobs it names its
 * children, failing it with their message if one fails. The batch waits for the parents; the
 * children's events are reported too.
 */
export async function submitJobs(url: string, jobs: QueueJob[], on: (e: QueueEvent) => void, signal?: AbortSignal,
  pollMs = 2000): Promise<void> {
  await checkRedis(url);
  const { FlowProducer, Queue, QueueEvents } = await import('bullmq');
  const queue = new Queue<QueueJob, JobResult>(QUEUE_NAME, { connection: connection(url) });
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const children = new Set(jobs.flatMap((j) => j.after ?? []).filter((id) => byId.has(id)));
  const known = (id: string) => byId.has(id);
  /** A parent failed by BullMQ says "child bull:QUEUE:ID failed": the child's own message says why. */
  const reason = async (job: Job<QueueJob>): Promise<string> => {
    const child = /^child [^ ]*:([^: ]+) failed$/.exec(job.failedReason ?? '')?.[1];
    const failed = child ? await queue.getJob(child) : undefined;
    return failed ? `${failed.data.name} failed: ${failed.failedReason}` : job.failedReason;
  };
  // Events are read from the stream's current end, taken now: QueueEvents' default ("$" at its
  // first read, which may come late on a busy machine) would miss what happens in between.
  const client = await queue.client as unknown as import('ioredis').Redis;
  const last = await client.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1);
  const events = new QueueEvents(QUEUE_NAME, { connection: connection(url), lastEventId: last[0]?.[0] ?? '0-0' });
  const pending = new Set(jobs.filter((j) => !children.has(j.id)).map((j) => j.id));
  let producer: import('bullmq').FlowProducer | undefined;
  let finish = () => {};
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const end = (e: QueueEvent) => {
    if (children.has(e.id)) { on(e); return; }
    if (!pending.delete(e.id)) return;
    on(e);
    if (pending.size === 0) finish();
  };
  const poll = async () => {
    for (const id of [...pending]) {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (state === 'completed') end({ type: 'completed', id, result: job!.returnvalue });
      else if (state === 'failed') end({ type: 'failed', id, error: await reason(job!) });
      else if (state === 'unknown') end({ type: 'failed', id, error: 'The job was removed from the queue before it ended (obliterated or cleaned): run the batch again.' });
    }
  };
  try {
    await events.waitUntilReady();
    const followed = (id: string) => pending.has(id) || children.has(id);
    events.on('active', ({ jobId }) => { if (followed(jobId)) on({ type: 'active', id: jobId }); });
    events.on('progress', ({ jobId, data }) => { if (followed(jobId) && typeof data === 'object') on({ type: 'progress', id: jobId, progress: data as never }); });
    events.on('completed', ({ jobId, returnvalue }) => end({ type: 'completed', id: jobId, result: (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult }));
    events.on('failed', ({ jobId, failedReason }) => {
      if (!followed(jobId)) return;
      if (!/^child .* failed$/.test(failedReason)) { end({ type: 'failed', id: jobId, error: failedReason }); return; }
      void queue.getJob(jobId).then(async (job) => end({ type: 'failed', id: jobId, error: job ? await reason(job) : failedReason }));
    });
    const fresh: QueueJob[] = [];
    for (const j of jobs) {
      if (children.has(j.id)) continue; // added with its parent
      const old = await queue.getJob(j.id);
      const state = old ? await old.getState() : 'unknown';
      if (state === 'completed' || state === 'failed') await old!.remove();
      else if (state !== 'unknown') continue; // waiting or running already: followed as it is
      fresh.push(j);
    }
    const opts = (j: QueueJob) => ({ ...JOB_OPTIONS, jobId: j.id });
    await queue.addBulk(fresh.filter((j) => !j.after?.some(known)).map((j) => ({ name: j.task, data: j, opts: opts(j) })));
    const flows = fresh.filter((j) => j.after?.some(known));
    if (flows.length > 0) producer = new FlowProducer({ connection: connection(url) });
    for (const j of flows) {
      const kids = j.after!.filter(known).map((id) => byId.get(id)!);
      for (const k of kids) {
        // A chunk that an earlier batch left failed (or finished, its folder since removed) is replaced.
        const old = await queue.getJob(k.id);
        if (old && ['completed', 'failed'].includes(await old.getState())) await old.remove();
      }
      await producer!.add({ name: j.task, queueName: QUEUE_NAME, data: j, opts: opts(j),
        children: kids.map((k) => ({ name: k.task, queueName: QUEUE_NAME, data: k, opts: { ...opts(k), failParentOnFailure: true } })) });
    }
    if (pending.size === 0) return;
    // Events are the fast path; a poll catches any that a reconnect lost.
    const timer = setInterval(() => { void poll().catch(() => {}); }, pollMs);
    const stop = () => finish();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await finished;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', stop);
    }
    if (signal?.aborted) {
      for (const id of [...pending, ...children]) {
        const job = await queue.getJob(id);
        if (job && ['waiting', 'delayed', 'prioritized', 'waiting-children'].includes(await job.getState())) await job.remove().catch(() => {});
      }
    }
  } finally {
    await producer?.close();
    await events.close();
    await queue.close();
  }
}

export interface WorkerOptions {
  concurrency: number;
  threads?: number;
  device?: string;
  /** A job whose worker stops renewing its lock for this long is taken up by another. */
  stalledMs?: number;
  /** Called for each job's start and end, for the worker's log. */
  log?: (line: string) => void;
}

/** Starts a worker on the queue at `url`. Its close() finishes the running jobs (force: hands them back at once). */
export async function startWorker(url: string, o: WorkerOptions): Promise<Worker<QueueJob, JobResult>> {
  await checkRedis(url);
  const { Worker } = await import('bullmq');
  const stalledMs = o.stalledMs ?? 30000;
  // The sandboxed children read the worker's settings from their environment (set for them only).
  const env = { ...process.env, DOUBLE_DIP_QUEUE_URL: url, ...(o.threads !== undefined ? { DOUBLE_DIP_WORKER_THREADS: String(o.threads) } : {}),
    ...(o.device !== undefined ? { DOUBLE_DIP_WORKER_DEVICE: o.device } : {}) };
  const worker = new Worker<QueueJob, JobResult>(QUEUE_NAME, PROCESSOR, {
    connection: connection(url), concurrency: o.concurrency, useWorkerThreads: false, workerForkOptions: { env },
    lockDuration: stalledMs, stalledInterval: stalledMs, maxStalledCount: 2,
  });
  const log = o.log ?? (() => {});
  const name = (job: Job<QueueJob> | undefined) => (job ? `${job.data.name} (${job.data.task}, job ${job.id})` : 'a job');
  worker.on('active', (job) => log(`started ${name(job)}${job.attemptsMade > 0 ? `, attempt ${job.attemptsMade + 1}` : ''}`));
  worker.on('completed', (job, r) => log(`done ${name(job)} in ${r.seconds} s -> ${job.data.out}`));
  worker.on('failed', (job, e) => log(`failed ${name(job)}: ${e.message}${job && job.attemptsMade < (job.opts.attempts ?? 1) && e.name !== 'UnrecoverableError' ? ' (will retry)' : ''}`));
  worker.on('error', (e) => log(`error: ${e.message}`));
  await worker.waitUntilReady();
  return worker;
}
