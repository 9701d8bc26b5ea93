// Running a queued job: its uploads decoded only now (a queued job holds files, not images), the
// registry's task run with the options the schema checked, the outputs written into the job's folder.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Image } from '../image/image.js';
import type { Report, TaskResult } from '../core/result.js';
import { readImageBuffer } from '../io/image-file.js';
import { writeTaskResult } from '../io/outputs.js';
import { OptionError, checkOptions, fieldName } from '../tasks/options.js';
import { taskEntry } from '../tasks/registry.js';
import type { VideoSelection } from './options.js';
import { runVideo } from './video.js';

/** Paths of uploaded files: the images in order, a hint mask, or a video. */
export interface Uploads { images: string[]; hint?: string; video?: string }

/** A job as it runs: its task, its checked options (with the server's callbacks), its uploads. */
export interface JobRun {
  task: string;
  options: Record<string, unknown>;
  uploads: Uploads;
  video?: VideoSelection;
}

/** Runs a job and writes its outputs into `dir`; returns the report and the files written (relative to dir, frames as "mask/00001.png"). */
export async function runJob(job: JobRun, dir: string): Promise<{ report: Report; files: string[] }> {
  const task = taskEntry(job.task);
  if (!task) throw new Error(`Unknown task "${job.task}"`);
  const up = job.uploads;
  if (task.inputs.kind === 'video') {
    if (!up.video) throw new Error(`${task.name} needs a video`);
    return runVideo(task, up.video, job.video ?? { start: 0 }, job.options, dir);
  }
  const images: Image[] = [];
  for (const [i, p] of up.images.entries()) images.push(await readUpload(p, up.images.length > 1 ? `image ${i + 1}` : 'the image'));
  const hint = up.hint ? await readUpload(up.hint, 'the hint mask') : undefined;
  const result = await task.run({ images }, { ...job.options, ...(hint ? { hint } : {}) }) as TaskResult;
  const written = await writeTaskResult(dir, result);
  return { report: result.report, files: written.map((p) => relative(dir, p)) };
}

/**
 * Checks a job read back from disk after a restart, as a request is checked: a known task and its
 * options by the task's schema. Returns the reason it cannot run, or nothing.
 */
export function recheckJob(task: string, options: unknown, uploads: Uploads): string | undefined {
  const entry = taskEntry(task);
  if (!entry) return `This job's task "${task}" is not one of this server's tasks: start it again with one of them.`;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    return 'This job was saved by an older version of the server, without its options: start it again.';
  try {
    checkOptions(entry.name, options as Record<string, unknown>, entry.inputs.kind === 'images' ? { images: uploads.images.length } : {},
      uploads.hint ? ['hint'] : []);
    return undefined;
  } catch (e) {
    if (e instanceof OptionError) return `${e.format(fieldName)}: start the job again with valid options.`;
    throw e;
  }
}

/** An upload as an image; the message names it as the page does, not by its path on the server. */
async function readUpload(path: string, name: string): Promise<Image> {
  return readImageBuffer(await readFile(path), name);
}
