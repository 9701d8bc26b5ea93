// Running a queued job: its uploads decoded only now (a queued job holds files, not images), the
// registry's task run with the options the schema checked, the outputs written into the job's folder.
import type { Report } from '../core/result.js';
import { runTaskInto } from '../queue/execute.js';
import { OptionError, checkOptions, fieldName } from '../tasks/options.js';
import { taskEntry } from '../tasks/registry.js';
import type { VideoSelection } from './options.js';

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
  const up = job.uploads;
  // The page names inputs as it shows them, never by their paths on the server.
  return runTaskInto(job.task, { images: up.images, hint: up.hint, video: up.video, frames: job.video }, job.options, dir,
    (i, n) => (n > 1 ? `image ${i + 1}` : 'the image'));
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
