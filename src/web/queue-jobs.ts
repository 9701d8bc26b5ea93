// The web app's jobs on the Redis queue (serve --queue): each job is a BullMQ job {task, inputs,
// options, out} that `double-dip worker --queue` processes, as `batch --queue` adds them; the
// server trains nothing itself, so it can run on a machine without a GPU and any number of
// servers and workers share one pool. Same API as JobQueue (jobs.ts), so server.ts serves either.
//
// On disk, under dataDir/jobs/<id>/ (the workers read in/ and write out/ at the same absolute
// paths: a shared file system):
//   job.json   what was asked          in/        the uploads, until the job ends
//   out/       the outputs (written by a worker into out.tmp-<id>/, renamed when complete)
//   input.EXT  an image job's first input, shown beside its results
//   done.json  the final state (done, failed or cancelled), written once the server sees it
// A job's state while it waits or runs is read from Redis (polled), so a restarted server lists
// every job again and follows the running ones; done.json keeps a finished job once Redis forgets it.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Job as BullJob, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { writeFileAtomic } from '../io/outputs.js';
import type { JobProgress } from '../queue/events.js';
import type { JobResult } from '../queue/execute.js';
import type { QueueJob } from '../queue/job.js';
import { FINAL_STATES, JobBook, QueueFullError, type JobEvent, type JobInfo, type JobState, type NewJob, type Slot } from './jobs.js';

/** How often the states of waiting and running jobs are read from Redis. */
const POLL_MS = 500;
const ID = /^[0-9a-f]{12}$/;

interface Job {
  info: JobInfo; dir: string; listeners: Set<(e: JobEvent) => void>; history: [number, number, number][];
  /** Being taken off the queue by stop(): the poll leaves it alone meanwhile. */
  removing?: boolean;
}

export class RedisJobQueue extends JobBook<Job> {
  private reserved = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private queue!: Queue<QueueJob, JobResult>;
  readonly jobsDir: string;

  constructor(dataDir: string, private url: string, private maxQueued = 20) {
    super();
    // Absolute: the workers find the uploads and write the outputs by these paths.
    this.jobsDir = join(resolve(dataDir), 'jobs');
  }

  /** Checks Redis (an error naming the URL within 5 s), loads the jobs of earlier runs and starts following them. */
  async open(): Promise<void> {
    const { checkRedis, connection, QUEUE_NAME } = await import('../queue/redis.js');
    await checkRedis(this.url);
    const { Queue } = await import('bullmq');
    this.queue = new Queue<QueueJob, JobResult>(QUEUE_NAME, { connection: connection(this.url) });
    await mkdir(this.jobsDir, { recursive: true });
    for (const id of await readdir(this.jobsDir)) {
      if (!ID.test(id)) continue;
      const dir = join(this.jobsDir, id);
      const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8')) as JobInfo;
      let info: JobInfo;
      try {
        info = await read('job.json');
      } catch {
        continue; // not a job, or created too early to count
      }
      // A job of a run without --queue ended with done.json or failed.json; one that never ended is not in Redis (refresh says so).
      info = await read('done.json').catch(() => read('failed.json').then((f) => ({ ...info, ...f }), () => info));
      const history = await readFile(join(dir, 'history.json'), 'utf8').then((t) => JSON.parse(t) as [number, number, number][], () => []);
      this.jobs.set(id, { info, dir, listeners: new Set(), history });
    }
    await this.refresh();
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.refresh()).catch((e: unknown) => {
        process.stderr.write(`double-dip serve: cannot read the queue at ${this.url}: ${(e as Error).message}\n`);
      });
    }, POLL_MS);
  }

  /** A place among this server's waiting jobs, taken synchronously (see JobQueue.reserve). */
  reserve(): Slot {
    if (this.closed) throw new QueueFullError('The server is shutting down: try again once it is back.');
    const waiting = [...this.jobs.values()].filter((j) => j.info.state === 'queued').length;
    if (waiting + this.reserved >= this.maxQueued)
      throw new QueueFullError(`The queue is full (${this.maxQueued} jobs waiting): wait for some to finish, or stop some, then send it again.`);
    this.reserved++;
    let held = true;
    return { release: () => { if (held) { held = false; this.reserved--; } } };
  }

  /** Saves the uploads in the job's folder and adds the job to the Redis queue. */
  async add(n: NewJob, slot: Slot): Promise<JobInfo> {
    const id = randomBytes(6).toString('hex');
    const dir = join(this.jobsDir, id);
    const info: JobInfo = { id, task: n.task, state: 'queued', createdAt: new Date().toISOString(), inputs: n.inputs, options: n.options,
      ...(n.video ? { video: n.video } : {}), files: [] };
    try {
      if (this.closed) throw new QueueFullError('The server is shutting down: try again once it is back.');
      const inDir = join(dir, 'in');
      await mkdir(inDir, { recursive: true });
      const move = async (from: string, name: string) => {
        const to = join(inDir, name + extname(from));
        await rename(from, to);
        return to;
      };
      const images = await Promise.all(n.uploads.images.map((p, i) => move(p, `image-${i + 1}`)));
      const hint = n.uploads.hint && await move(n.uploads.hint, 'hint');
      const video = n.uploads.video && await move(n.uploads.video, 'video');
      if (images.length > 0) {
        info.inputFile = `input${extname(images[0])}`;
        await link(images[0], join(dir, info.inputFile));
      }
      await writeFileAtomic(join(dir, 'job.json'), JSON.stringify(info, null, 2));
      const options = { ...n.options };
      delete options.previewEvery; // no previews come through the queue
      const { JOB_OPTIONS } = await import('../queue/redis.js');
      const data: QueueJob = { id, name: id, task: n.task, inputs: video ? [video] : images, options: hint ? { ...options, hint } : options,
        out: join(dir, 'out'), ...(video && n.video ? { frames: { start: n.video.start, end: n.video.end! } } : {}) };
      await this.queue.add(n.task, data, { ...JOB_OPTIONS, jobId: id });
    } catch (e) {
      slot.release();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    slot.release();
    const job: Job = { info, dir, listeners: new Set(), history: [] };
    this.jobs.set(id, job);
    this.updatePositions();
    return job.info;
  }

  /** Cancels a waiting job (taken off the queue) or asks the worker running it to stop (nothing is kept: see queue/stop.ts). */
  async stop(id: string): Promise<JobInfo | undefined> {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job || FINAL_STATES.has(job.info.state)) return job?.info;
    job.removing = true;
    let removed = false;
    try {
      const bull = await this.queue.getJob(id);
      // remove() refuses a job a worker holds (its lock): that one is asked to stop instead.
      removed = bull !== undefined && await bull.remove().then(() => true, () => false);
      if (removed) await this.end(job, { state: 'cancelled' });
    } finally {
      job.removing = false;
    }
    if (!removed) {
      const { requestStop } = await import('../queue/stop.js');
      await requestStop(await this.queue.client as unknown as Redis, id);
    }
    return job.info;
  }

  subscribe(id: string, listener: (e: JobEvent) => void): (() => void) | undefined {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job) return undefined;
    if (job.history.length > 0) listener({ type: 'history', data: job.history });
    listener({ type: 'state', data: job.info });
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stops following; the jobs stay in Redis, for the workers and the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.polling;
    await this.queue?.close();
  }

  /** Jobs train on workers, never in this process. */
  runnerPid(): undefined {
    return undefined;
  }

  /** Reads the state of every job not yet ended from Redis. */
  private async refresh(): Promise<void> {
    for (const job of [...this.jobs.values()]) {
      if (FINAL_STATES.has(job.info.state) || this.closed || job.removing) continue;
      const bull = await this.queue.getJob(job.info.id);
      if (!bull) {
        if (job.removing) continue;
        await this.end(job, { state: 'failed', error: `This job is not in the queue at ${this.url} (Redis was emptied or restarted without ` +
          'its data, or the job was made by a server without --queue): start it again.' });
        continue;
      }
      const state = await bull.getState();
      // Cancelled meanwhile (stop() runs beside this loop), or removed between the two reads: next time.
      if (FINAL_STATES.has(job.info.state) || job.removing || state === 'unknown') continue;
      if (state === 'completed') await this.completed(job, bull);
      else if (state === 'failed') {
        const { STOPPED } = await import('../queue/stop.js');
        await this.end(job, bull.failedReason === STOPPED ? { state: 'cancelled', error: 'Stopped while it ran: nothing was kept.' }
          : { state: 'failed', error: bull.failedReason });
      } else if (state === 'active') this.running(job, bull);
      else if (job.info.state !== 'queued') this.setInfo(job, { state: 'queued' }); // waiting again: a retry, or a lost worker's job
    }
    this.updatePositions();
  }

  private running(job: Job, bull: BullJob<QueueJob, JobResult>): void {
    const startedAt = new Date(bull.processedOn ?? Date.now()).toISOString();
    if (job.info.state !== 'running' || job.info.startedAt !== startedAt) {
      const info = { ...job.info };
      delete info.queuePosition;
      job.info = info;
      this.setInfo(job, { state: 'running', startedAt });
    }
    const p = bull.progress as Partial<JobProgress> | number;
    if (typeof p !== 'object' || typeof p.iteration !== 'number' || p.iteration === job.info.progress?.iteration) return;
    const psnr = p.psnr ?? 0;
    const progress = { phase: 'training', iteration: p.iteration, total: p.iterations ?? 0, loss: p.loss ?? 0, psnr,
      bestPsnr: Math.max(psnr, job.info.progress?.bestPsnr ?? 0), elapsed: (Date.now() - Date.parse(startedAt)) / 1000, eta: p.eta ?? 0 };
    job.info.progress = progress;
    job.history.push([progress.iteration, progress.loss, progress.psnr]);
    this.emit(job, { type: 'progress', data: progress });
  }

  private async completed(job: Job, bull: BullJob<QueueJob, JobResult>): Promise<void> {
    const r = bull.returnvalue;
    type Checks = { confidence?: 'high' | 'low'; concerns?: string[] };
    const report = await readFile(join(job.dir, 'out', 'report.json'), 'utf8').then((t) => JSON.parse(t) as Checks, (): Checks => ({}));
    await writeFileAtomic(join(job.dir, 'history.json'), JSON.stringify(job.history));
    await this.end(job, { state: 'done', files: r.files, result: { iterations: r.iterations, seconds: r.seconds, psnr: r.psnr, stopReason: r.stopReason,
      ...(report.confidence ? { confidence: report.confidence, concerns: report.concerns ?? [] } : {}) } });
  }

  /** A final state: uploads removed, done.json written (it keeps the job once Redis has forgotten it). */
  private async end(job: Job, patch: Partial<JobInfo> & { state: JobState }): Promise<void> {
    if (FINAL_STATES.has(job.info.state)) return;
    const info: JobInfo = { ...job.info, ...patch, finishedAt: new Date().toISOString() };
    delete info.queuePosition;
    delete info.progress;
    if (patch.state !== 'done') {
      if (info.inputFile) await rm(join(job.dir, info.inputFile), { force: true });
      delete info.inputFile;
      info.files = [];
    }
    await rm(join(job.dir, 'in'), { recursive: true, force: true });
    await writeFileAtomic(join(job.dir, 'done.json'), JSON.stringify(info, null, 2));
    job.info = info;
    this.emit(job, { type: 'state', data: info });
  }

  private emit(job: Job, e: JobEvent): void {
    for (const l of job.listeners) {
      try { l(e); } catch { /* a broken listener must not break the others */ }
    }
  }

  private setInfo(job: Job, patch: Partial<JobInfo>): void {
    job.info = { ...job.info, ...patch };
    this.emit(job, { type: 'state', data: job.info });
  }

  /** Positions among this server's waiting jobs, oldest first (other servers' jobs on the same queue are not counted). */
  private updatePositions(): void {
    const waiting = this.list().filter((i) => i.state === 'queued');
    waiting.forEach((info, i) => {
      const job = this.jobs.get(info.id)!;
      if (job.info.queuePosition !== i + 1) this.setInfo(job, { queuePosition: i + 1 });
    });
  }
}
