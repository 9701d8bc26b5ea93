// Runs one job in this process: its inputs decoded, the registry's task run with the checked
// options, the outputs written into a temporary folder beside the output folder and renamed to it,
// so the output folder appears once, complete, or not at all. The web server's jobs run through
// runTaskInto too (web/run.ts).
import { rmSync } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Image } from '../image/image.js';
import type { Progress } from '../core/trainer.js';
import type { Report, TaskResult } from '../core/result.js';
import { undoOnExit } from '../io/exit-cleanup.js';
import { readImageBuffer } from '../io/image-file.js';
import { writeTaskResult } from '../io/outputs.js';
import { taskEntry } from '../tasks/registry.js';
import type { VideoSelection } from '../web/options.js';
import { runVideo } from '../web/video.js';
import { checkJob, type QueueJob } from './job.js';
import { joinChunkJobs, removeChunks } from './chunks.js';

/** What a task runs on: image files in order and a hint mask, or one clip and the frames to take. */
export interface TaskFiles { images: string[]; hint?: string; video?: string; frames?: VideoSelection; /** Video: no MP4s (a chunk, joined later). */ noMp4?: boolean }

/**
 * Runs `task` on `files` with checked `options` (callbacks included) and writes its outputs into
 * `dir`. `label(i)` names input i in messages (the web: "image 1", no server paths); `extra` goes
 * into report.json. Returns the report and the files written, relative to dir.
 */
export async function runTaskInto(taskName: string, files: TaskFiles, options: Record<string, unknown>, dir: string,
  label: (i: number, n: number) => string, extra: (report: Report) => Record<string, unknown> = () => ({})): Promise<{ report: Report; files: string[] }> {
  const task = taskEntry(taskName);
  if (!task) throw new Error(`Unknown task "${taskName}"`);
  if (task.inputs.kind === 'video') {
    if (!files.video) throw new Error(`${task.name} needs a video`);
    return runVideo(task, files.video, files.frames ?? { start: 0 }, options, dir, !files.noMp4);
  }
  const images: Image[] = [];
  for (const [i, p] of files.images.entries()) images.push(await readImageBuffer(await readFile(p), label(i, files.images.length)));
  const hint = files.hint ? await readImageBuffer(await readFile(files.hint), 'the hint mask') : undefined;
  const result = await task.run({ images }, { ...options, ...(hint ? { hint } : {}) }) as TaskResult;
  const written = await writeTaskResult(dir, result, extra(result.report));
  return { report: result.report, files: written.map((p) => relative(dir, p)) };
}

/** What a finished job returns (through Redis too: small, JSON). */
export interface JobResult { seconds: number; iterations: number; psnr: number; stopReason: string; files: string[] }

export interface ExecuteOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** The worker's settings, used where the job sets none. */
  threads?: number;
  device?: string;
}

/** The temporary folder of a job's outputs: beside its output folder, named after the job. */
export const tmpFolder = (job: Pick<QueueJob, 'out' | 'id'>) => `${job.out}.tmp-${job.id}`;

/**
 * Checks the job again, runs it and moves its outputs into job.out in one rename. A job stopped by
 * its signal publishes nothing (a re-run does it again, whole). Throws with the reason it failed.
 */
export async function executeJob(raw: unknown, o: ExecuteOptions = {}): Promise<JobResult> {
  const job = checkJob(raw);
  const tmp = tmpFolder(job);
  // Left by an attempt killed mid-job (a lost worker): this attempt starts clean.
  await rm(tmp, { recursive: true, force: true });
  const forget = undoOnExit(() => rmSync(tmp, { recursive: true, force: true }));
  const started = performance.now();
  try {
    if (job.chunks) {
      // A join job: its chunks are done (the queue ran it after them); they go once OUT is there.
      const joined = await joinChunkJobs(job, tmp);
      await publish(tmp, job.out);
      await removeChunks(job.out);
      return joined;
    }
    const options: Record<string, unknown> = { ...job.options };
    delete options.hint;
    if (o.threads !== undefined) options.threads ??= o.threads;
    if (o.device !== undefined) options.device ??= o.device;
    const { report, files } = await runTaskInto(job.task, {
      images: job.inputs, hint: job.options.hint as string | undefined, video: job.inputs[0], frames: job.frames, noMp4: job.chunk !== undefined,
    }, { ...options, signal: o.signal, onProgress: o.onProgress }, tmp,
    (i) => job.inputs[i],
    (r) => ({ inputs: job.inputs.map((path, i) => ({ path, ...r.inputs[i] })) }));
    if (report.stopReason === 'aborted') throw new Error('Stopped before the end: nothing written; run the job again to finish it.');
    await publish(tmp, job.out);
    return { seconds: Math.round((performance.now() - started) / 10) / 100, iterations: report.iterations, psnr: report.psnr,
      stopReason: report.stopReason, files };
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    forget();
  }
}

/**
 * Renames the finished folder to its place. An output folder already there with its report.json is
 * a complete result (another attempt of this job, finished first): it stays, this copy goes. One
 * without a report.json is an old partial folder of ours, replaced.
 */
async function publish(tmp: string, out: string): Promise<void> {
  try {
    await rename(tmp, out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    if (await stat(`${out}/report.json`).then(() => true, () => false)) return;
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  }
}
