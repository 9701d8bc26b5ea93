// The job queue behind the web app: one job trains at a time, the others wait in order.
//
// On disk, under dataDir/jobs/<id>/:
//   job.json     what was asked (written when the job is created)
//   in/          the uploads as sent (image-1.png ..., hint.png, or video), until the job ends:
//                a queued job holds files, not decoded images
//   out.partial/ outputs being written; renamed to out/ when complete
//   out/         the outputs (PNGs, loss.png, report.json; for videos frame folders and MP4s)
//   done.json    the final state, written last (atomically): its presence means out/ is complete
//   input.EXT    image jobs: the first input (a hard link to the upload), shown beside the results
//   history.json [iteration, loss, psnr] of a finished job, for its loss curve after a restart
//   failed.json  the error of a failed job
// A restart lists jobs with done.json or failed.json again and queues again, in their order, the
// jobs that were waiting (in/ there, never started: no in/.started); any other job was cut short
// and is marked failed ("server restarted"), its partial outputs removed. A job that was running
// is never run again by itself: if it brought the server down, it would again.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/outputs.js';
import type { VideoSelection } from './options.js';
import { recheckJob, type JobRun, type Uploads } from './run.js';
import type { FromRunner, JobReport, Preview, ProgressInfo, ToRunner } from './runner.js';

export type { ProgressInfo, Uploads };

/** The module a job's training runs in, in a child process. */
const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url));

export type JobState = 'queued' | 'running' | 'done' | 'stopped' | 'failed' | 'cancelled';
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['done', 'stopped', 'failed', 'cancelled']);

/** What the API shows of a job. */
export interface JobInfo {
  id: string;
  task: string;
  state: JobState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** 1 = next to run; only while queued. */
  queuePosition?: number;
  inputs: { width: number; height: number }[];
  /** The task's options as its schema checked them, by library name (JSON values; a hint mask is an upload). */
  options: Record<string, unknown>;
  /** Video jobs: the frames used. */
  video?: VideoSelection;
  progress?: ProgressInfo;
  error?: string;
  /** Output file names (only once the job is finished); video frames as "mask/00001.png". */
  files: string[];
  /** Image jobs: the first input, kept in the job's folder for the page to show beside the results (GET .../input). */
  inputFile?: string;
  result?: JobReport;
}

export type JobEvent =
  | { type: 'state'; data: JobInfo }
  | { type: 'progress'; data: ProgressInfo }
  /** `input`: which image or video frame the layers are of (0-based). */
  | { type: 'preview'; data: Preview }
  /** [iteration, loss, psnr] so far, sent to a new subscriber. */
  | { type: 'history'; data: [number, number, number][] };

interface Job {
  info: JobInfo;
  dir: string;
  /** The uploads in the job's in/ folder, until the job ends. */
  uploads?: Uploads;
  controller?: AbortController;
  /** The process training it, while it runs. */
  child?: ChildProcess;
  /** [iteration, loss, psnr], thinned to at most HISTORY_POINTS. */
  history: [number, number, number][];
  historyStride: number;
  lastPreview?: Preview;
  listeners: Set<(e: JobEvent) => void>;
}


const HISTORY_POINTS = 2000;
const ID = /^[0-9a-f]{12}$/;

export interface NewJob {
  task: string;
  /** Checked by the task's schema. */
  options: Record<string, unknown>;
  video?: VideoSelection;
  /** The uploads, moved into the job's in/ folder; decoded when the job starts, removed when it ends. */
  uploads: Uploads;
  /** The size of each image (a video's frame size). */
  inputs: { width: number; height: number }[];
}

/** A place in the queue, taken before a request's first await and given back if no job is added. */
export interface Slot { release(): void }

/** The job list's lookups, shared by the in-process queue and the Redis-backed one (queue-jobs.ts). */
export abstract class JobBook<J extends { info: JobInfo; dir: string }> {
  protected jobs = new Map<string, J>();

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => j.info).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  get(id: string): JobInfo | undefined {
    return ID.test(id) ? this.jobs.get(id)?.info : undefined;
  }

  /** The path of the job's first input image (kept beside its outputs), or undefined. */
  inputPath(id: string): string | undefined {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    return job?.info.inputFile ? join(job.dir, job.info.inputFile) : undefined;
  }

  /** The path of an output file, or undefined unless the job produced a file of that name. */
  filePath(id: string, name: string): string | undefined {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job || !job.info.files.includes(name)) return undefined;
    return join(job.dir, 'out', name);
  }
}

export class JobQueue extends JobBook<Job> {
  private queue: string[] = [];
  private running: Job | null = null;
  /** Slots taken by requests still being checked: they count as queued. */
  private reserved = 0;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  readonly jobsDir: string;

  constructor(dataDir: string, private maxQueued = 20) {
    super();
    this.jobsDir = join(dataDir, 'jobs');
  }

  /** Loads the jobs of earlier runs. */
  async open(): Promise<void> {
    await mkdir(this.jobsDir, { recursive: true });
    const waiting: Job[] = [];
    for (const id of await readdir(this.jobsDir)) {
      if (!ID.test(id)) continue;
      const dir = join(this.jobsDir, id);
      await rm(join(dir, 'input.video'), { force: true }); // an upload of an older version
      const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8')) as JobInfo;
      let info: JobInfo;
      try {
        info = await read('job.json');
      } catch {
        continue; // not a job, or created too early to count
      }
      try {
        info = await read('done.json');
      } catch {
        try {
          info = { ...info, ...(await read('failed.json')) };
        } catch {
          const uploads = await waitingUploads(join(dir, 'in'), info.inputs.length);
          // A waiting job is checked again as a request is: its task and options may not suit this version.
          const refused = uploads && recheckJob(info.task, info.options, uploads);
          if (uploads && !refused) {
            info = { ...info, state: 'queued' };
            delete info.progress;
            waiting.push({ info, dir, uploads, history: [], historyStride: 1, listeners: new Set() });
            continue;
          }
          if (info.inputFile) await rm(join(dir, info.inputFile), { force: true });
          info = { ...info, state: 'failed', error: refused || 'The server restarted before this job finished. Start it again.', files: [],
            finishedAt: new Date().toISOString() };
          delete info.progress;
          delete info.inputFile;
          await rm(join(dir, 'out.partial'), { recursive: true, force: true });
          await rm(join(dir, 'out'), { recursive: true, force: true });
          await writeFileAtomic(join(dir, 'failed.json'), JSON.stringify(info, null, 2));
        }
      }
      // Uploads of a job that ended, or never will.
      await rm(join(dir, 'in'), { recursive: true, force: true });
      delete info.queuePosition;
      const history = await readFile(join(dir, 'history.json'), 'utf8').then((t) => JSON.parse(t) as [number, number, number][], () => []);
      this.jobs.set(id, { info, dir, history, historyStride: 1, listeners: new Set() });
    }
    for (const job of waiting.sort((a, b) => a.info.createdAt.localeCompare(b.info.createdAt))) {
      this.jobs.set(job.info.id, job);
      this.queue.push(job.info.id);
    }
    this.updatePositions();
    this.pump();
  }

  /**
   * Takes a place in the queue, synchronously: checking a request awaits (decoding headers,
   * writing files), and a cap checked before those awaits lets parallel requests all through.
   */
  reserve(): Slot {
    if (this.closed) throw new QueueFullError('The server is shutting down: try again once it is back.');
    if (this.queue.length + this.reserved >= this.maxQueued)
      throw new QueueFullError(`The queue is full (${this.maxQueued} jobs waiting): wait for some to finish, or stop some, then send it again.`);
    this.reserved++;
    let held = true;
    return { release: () => { if (held) { held = false; this.reserved--; } } };
  }

  /** Adds a job in a slot from reserve(); the slot is used up either way. */
  async add(n: NewJob, slot: Slot): Promise<JobInfo> {
    const id = randomBytes(6).toString('hex');
    const dir = join(this.jobsDir, id);
    const info: JobInfo = { id, task: n.task, state: 'queued', createdAt: new Date().toISOString(), inputs: n.inputs, options: n.options,
      ...(n.video ? { video: n.video } : {}), files: [] };
    let uploads: Uploads;
    try {
      if (this.closed) throw new QueueFullError('The server is shutting down: try again once it is back.');
      const inDir = join(dir, 'in');
      await mkdir(inDir, { recursive: true });
      const move = async (from: string, name: string) => {
        const to = join(inDir, name + extname(from));
        await rename(from, to);
        return to;
      };
      uploads = {
        images: await Promise.all(n.uploads.images.map((p, i) => move(p, `image-${i + 1}`))),
        hint: n.uploads.hint && await move(n.uploads.hint, 'hint'),
        video: n.uploads.video && await move(n.uploads.video, 'video'),
      };
      // A second name for the first image: it stays when in/ is removed at the job's end.
      if (uploads.images.length > 0) {
        info.inputFile = `input${extname(uploads.images[0])}`;
        await link(uploads.images[0], join(dir, info.inputFile));
      }
      await writeFileAtomic(join(dir, 'job.json'), JSON.stringify(info, null, 2));
    } catch (e) {
      slot.release();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    // From the slot to the queue with no await between: the count never goes over the cap.
    slot.release();
    const job: Job = { info, dir, uploads, history: [], historyStride: 1, listeners: new Set() };
    this.jobs.set(id, job);
    this.queue.push(id);
    this.updatePositions();
    this.pump();
    return job.info;
  }

  /** Stops a running job (keeping the best result so far) or cancels a queued one. */
  stop(id: string): JobInfo | undefined {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job) return undefined;
    if (job.info.state === 'running') job.controller?.abort();
    else if (job.info.state === 'queued') {
      this.queue = this.queue.filter((q) => q !== id);
      this.release(job);
      this.dropInput(job);
      this.finish(job, { state: 'cancelled' });
      void writeFileAtomic(join(job.dir, 'done.json'), JSON.stringify(job.info, null, 2)).catch(() => {});
      this.updatePositions();
    }
    return job.info;
  }

  /** Subscribes to a job's events; returns the unsubscribe function, or undefined for an unknown job. */
  subscribe(id: string, listener: (e: JobEvent) => void): (() => void) | undefined {
    const job = ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job) return undefined;
    // The state goes last: a page may close the stream once it reads a final state, and must have the curve by then.
    if (job.history.length > 0) listener({ type: 'history', data: job.history });
    if (job.lastPreview) listener({ type: 'preview', data: job.lastPreview });
    listener({ type: 'state', data: job.info });
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stops taking jobs, aborts the running one and waits for it to end. The waiting ones keep their uploads, for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.running?.controller?.abort();
    await this.idle;
  }

  private emit(job: Job, e: JobEvent): void {
    for (const l of job.listeners) {
      try { l(e); } catch { /* a broken listener must not break the job */ }
    }
  }

  private setInfo(job: Job, patch: Partial<JobInfo>): void {
    job.info = { ...job.info, ...patch };
    this.emit(job, { type: 'state', data: job.info });
  }

  private finish(job: Job, patch: Partial<JobInfo>): void {
    const info = { ...job.info, ...patch, finishedAt: new Date().toISOString() };
    delete info.queuePosition;
    job.info = info;
    this.emit(job, { type: 'state', data: job.info });
  }

  private release(job: Job): void {
    if (job.uploads) void rm(join(job.dir, 'in'), { recursive: true, force: true }).catch(() => {});
    job.uploads = undefined;
  }

  /** A job with no results has nothing to show its input beside. */
  private dropInput(job: Job): void {
    if (job.info.inputFile) void rm(join(job.dir, job.info.inputFile), { force: true }).catch(() => {});
    job.info = { ...job.info };
    delete job.info.inputFile;
  }

  private updatePositions(): void {
    this.queue.forEach((id, i) => {
      const job = this.jobs.get(id)!;
      if (job.info.queuePosition !== i + 1) this.setInfo(job, { queuePosition: i + 1 });
    });
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const id = this.queue.shift();
    if (!id) return;
    const job = this.jobs.get(id)!;
    this.running = job;
    this.updatePositions();
    this.idle = this.execute(job).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async execute(job: Job): Promise<void> {
    const controller = new AbortController();
    job.controller = controller;
    const info0 = { ...job.info };
    delete info0.queuePosition;
    job.info = info0;
    this.setInfo(job, { state: 'running', startedAt: new Date().toISOString() });
    let lastProgressSent = 0;
    const onMessage = (m: FromRunner): void => {
      if (m.type === 'progress') {
        const p = m.data;
        job.info.progress = p;
        if (p.iteration % job.historyStride === 0) {
          job.history.push([p.iteration, p.loss, p.psnr]);
          if (job.history.length >= HISTORY_POINTS) {
            job.history = job.history.filter((_, i) => i % 2 === 0);
            job.historyStride *= 2;
          }
        }
        const now = Date.now();
        if (now - lastProgressSent >= 100 || p.iteration === p.total) {
          lastProgressSent = now;
          this.emit(job, { type: 'progress', data: p });
        }
      } else if (m.type === 'preview') {
        job.lastPreview = m.data;
        this.emit(job, { type: 'preview', data: m.data });
      }
    };
    const options = { ...job.info.options, previewEvery: (job.info.options.previewEvery as number | undefined) ?? 20 };
    const partial = join(job.dir, 'out.partial');
    try {
      await rm(partial, { recursive: true, force: true });
      // Started: a restart will not run it again.
      await writeFile(join(job.dir, 'in', '.started'), '');
      const { report: r, files } = await this.runInChild(job, { task: job.info.task, options, uploads: job.uploads!, video: job.info.video },
        partial, controller.signal, onMessage);
      this.release(job);
      await rm(join(job.dir, 'out'), { recursive: true, force: true });
      await rename(partial, join(job.dir, 'out'));
      const state: JobState = r.stopReason === 'aborted' ? 'stopped' : 'done';
      const final: JobInfo = { ...job.info, state, files, finishedAt: new Date().toISOString(),
        result: { iterations: r.iterations, seconds: r.seconds, psnr: r.psnr, stopReason: r.stopReason,
          ...(r.confidence ? { confidence: r.confidence, concerns: r.concerns ?? [] } : {}) } };
      await writeFileAtomic(join(job.dir, 'history.json'), JSON.stringify(job.history));
      // The marker goes last: without it a restart never shows these outputs.
      await writeFileAtomic(join(job.dir, 'done.json'), JSON.stringify(final, null, 2));
      this.finish(job, final);
    } catch (e) {
      this.release(job);
      this.dropInput(job);
      const message = e instanceof Error ? e.message : String(e);
      await rm(partial, { recursive: true, force: true }).catch(() => {});
      this.finish(job, { state: 'failed', error: message, files: [] });
      await writeFileAtomic(join(job.dir, 'failed.json'), JSON.stringify(job.info, null, 2)).catch(() => {});
    } finally {
      job.controller = undefined;
    }
  }

  /**
   * Runs a job in a child process (runner.ts): training never holds this process's event loop, and
   * a crash ends this job alone. Stop is a message to the child, which keeps its best result.
   */
  private runInChild(job: Job, run: JobRun, dir: string, signal: AbortSignal, onMessage: (m: FromRunner) => void):
    Promise<{ report: Extract<FromRunner, { type: 'done' }>['report']; files: string[] }> {
    return new Promise((resolve, reject) => {
      // No inherited --inspect or --test flags: the child is a plain node running one module.
      const child = fork(RUNNER, ['--double-dip-runner'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      job.child = child;
      let last: FromRunner | undefined;
      const stop = () => { if (child.connected) child.send({ type: 'stop' } satisfies ToRunner); };
      signal.addEventListener('abort', stop, { once: true });
      child.on('message', (m: FromRunner) => {
        if (m.type === 'done' || m.type === 'error') last = m;
        else onMessage(m);
      });
      child.on('error', (e) => { last ??= { type: 'error', message: `Cannot start the training process: ${e.message}` }; });
      // 'close' comes after the channel has delivered every message.
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', stop);
        job.child = undefined;
        if (last?.type === 'done') resolve({ report: last.report, files: last.files });
        else reject(new Error(last?.type === 'error' ? last.message : `The training process ended unexpectedly (${sig ? `signal ${sig}` : `exit code ${code}`}), ` +
          'without a result: this job failed, the server and the other jobs go on. Start it again, perhaps with a smaller size.'));
      });
      child.send({ type: 'run', job: run, dir } satisfies ToRunner);
    });
  }

  /** The process training a running job (for tests: it is not this one), or undefined. */
  runnerPid(id: string): number | undefined {
    return ID.test(id) ? this.jobs.get(id)?.child?.pid : undefined;
  }
}

export class QueueFullError extends Error {}

/** The uploads of a job that never started (in/ without .started), or undefined. */
async function waitingUploads(inDir: string, count: number): Promise<Uploads | undefined> {
  let names: string[];
  try {
    names = await readdir(inDir);
  } catch {
    return undefined;
  }
  if (names.includes('.started')) return undefined;
  const image = (n: string) => Number(/^image-(\d+)\./.exec(n)?.[1] ?? NaN);
  const images = names.filter((n) => image(n) > 0).sort((a, b) => image(a) - image(b)).map((n) => join(inDir, n));
  const hint = names.find((n) => n.startsWith('hint.'));
  const video = names.includes('video') ? join(inDir, 'video') : undefined;
  if (images.length !== (video ? 0 : count) || (video && count !== 1)) return undefined;
  return { images, hint: hint && join(inDir, hint), video };
}
