// A queued job: a task of the registry, its input files, its options and the folder its outputs go
// to. It travels as JSON (through Redis, or to a child process), so it is checked twice by the
// task's schema: when it is made, and again when a worker takes it (another machine, another
// version). A job that fails the check fails alone, with the schema's message.
import { constants, accessSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { OptionError, fieldName } from '../tasks/options.js';
import { taskEntry, type TaskEntry } from '../tasks/registry.js';
import { readJobOptions } from '../web/options.js';

export interface QueueJob {
  /** Unique among the jobs of a queue (the temporary output folder is named after it). */
  id: string;
  /** The output folder's name, for messages and reports. */
  name: string;
  task: string;
  /** Absolute paths: the images in order, or one clip (a video file or a folder of frames). */
  inputs: string[];
  /** By library name, as JSON values the schema checked; an image option (hint) is a file path. */
  options: Record<string, unknown>;
  /** The absolute output folder; it appears once, complete (execute.ts). */
  out: string;
  /** Video jobs: frames [start, end) of the clip. */
  frames?: { start: number; end: number };
  /** A chunk of a long clip (chunks.ts): k of n, written without MP4s into OUT.chunks/k for its join job. */
  chunk?: { index: number; count: number };
  /** A join job: the chunks of the clip (frames [start, end) each), already run into OUT.chunks/1..n; this job joins them into out. */
  chunks?: { start: number; end: number }[];
  /** Jobs (ids) that must complete before this one; if one fails, this one fails with its message. Queue order only: not run. */
  after?: string[];
}

/** A job that cannot run: its message says why, in the schema's words. */
export class JobError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "max-seconds" and "maxSeconds" are one option: a manifest may use the flags' names. */
const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The task a job names, or a JobError naming the tasks there are. */
export function jobTask(name: unknown): TaskEntry {
  const entry = typeof name === 'string' ? taskEntry(name) : undefined;
  if (!entry || entry.name === 'complexity')
    throw new JobError(`Unknown task ${JSON.stringify(name)}: use one of segment, separate, dehaze, watermark, video segment, video separate, video dehaze`);
  return entry;
}

/**
 * Reads a job's options (text as the command line reads it, or JSON values) and checks them with
 * the task's schema for `images` inputs; an image option is kept as its path. Throws JobError.
 */
export function jobOptions(task: TaskEntry, raw: unknown, images: number | undefined): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new JobError(`Expected an object of options for ${task.name} but received ${JSON.stringify(raw)}`);
  try {
    const { options, hint } = readJobOptions(task, Object.fromEntries(Object.entries(raw).map(([k, v]) => [camel(k), v])), images);
    return hint === undefined ? options : { ...options, hint };
  } catch (e) {
    if (e instanceof OptionError) throw new JobError(e.format(fieldName));
    throw e;
  }
}

/** Throws JobError unless `path` is a file (or, for a clip, a folder) this process can read. */
export function checkReadable(path: string, what: string, folderOk = false): void {
  let st;
  try {
    st = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new JobError(code === 'ENOENT' ? `Cannot read ${what} "${path}": no such file. Check the path (on a worker: the shared folder it sees).`
      : `Cannot read ${what} "${path}": ${code === 'EACCES' ? 'permission denied' : (e as Error).message}. Make it readable by the worker's user.`);
  }
  if (st.isDirectory() && !folderOk) throw new JobError(`Cannot read ${what} "${path}": it is a folder, not an image file.`);
}

/** Checks a job as received (JSON from anywhere): its fields, task, input count, options and files. Returns it; throws JobError. */
export function checkJob(raw: unknown): QueueJob {
  if (!isRecord(raw)) throw new JobError('A job must be an object {id, name, task, inputs, options, out}');
  const { id, name, inputs, out, frames } = raw;
  if (typeof id !== 'string' || !/^[\w.-]{1,100}$/.test(id)) throw new JobError(`A job needs an id of letters, digits, "-", "_" or ".", got ${JSON.stringify(id)}`);
  if (typeof out !== 'string' || !isAbsolute(out)) throw new JobError(`Job ${id}: "out" must be an absolute folder path, got ${JSON.stringify(out)}`);
  const task = jobTask(raw.task);
  if (!Array.isArray(inputs) || !inputs.every((p) => typeof p === 'string' && isAbsolute(p)))
    throw new JobError(`Job ${id}: "inputs" must be a list of absolute file paths, got ${JSON.stringify(inputs)}`);
  const n = inputs.length;
  if (task.inputs.kind === 'video') {
    if (n !== 1) throw new JobError(`${task.name} takes one clip (a video file or a folder of frames), got ${n} inputs`);
  } else {
    const { min, max } = task.inputs;
    if (n < min || n > max) throw new JobError(`${task.name} takes ${min === max ? min : `${min} to ${max}`} image${max > 1 ? 's' : ''}, got ${n}`);
  }
  let range: QueueJob['frames'];
  if (frames !== undefined) {
    const f = frames as { start?: unknown; end?: unknown };
    if (task.inputs.kind !== 'video' || !isRecord(frames) || !Number.isInteger(f.start) || !Number.isInteger(f.end) || (f.start as number) < 0 || (f.end as number) <= (f.start as number))
      throw new JobError(`Job ${id}: "frames" must be {start, end} with 0 <= start < end, for a video task only; got ${JSON.stringify(frames)}`);
    range = { start: f.start as number, end: f.end as number };
  }
  const chunk = raw.chunk as QueueJob['chunk'], chunks = raw.chunks as QueueJob['chunks'];
  if (chunk !== undefined && (task.inputs.kind !== 'video' || !range || !isRecord(chunk) || !Number.isInteger(chunk.index) || !Number.isInteger(chunk.count) || chunk.index < 1 || chunk.index > chunk.count))
    throw new JobError(`Job ${id}: "chunk" must be {index, count} with 1 <= index <= count, for a video task with "frames" only; got ${JSON.stringify(chunk)}`);
  if (chunks !== undefined && (task.inputs.kind !== 'video' || !Array.isArray(chunks) || chunks.length < 2
    || !chunks.every((c, i) => isRecord(c) && Number.isInteger(c.start) && Number.isInteger(c.end) && c.start >= 0 && c.end > c.start && (i === 0 || c.start > chunks[i - 1].start))))
    throw new JobError(`Job ${id}: "chunks" must be two or more {start, end} frame ranges in order, for a video task only; got ${JSON.stringify(chunks)}`);
  const options = jobOptions(task, raw.options, task.inputs.kind === 'images' ? n : undefined);
  inputs.forEach((p, i) => checkReadable(p as string, task.inputs.kind === 'video' ? 'the clip' : n > 1 ? `image ${i + 1}` : 'the image', task.inputs.kind === 'video'));
  if (typeof options.hint === 'string') checkReadable(options.hint, 'the hint mask');
  return { id, name: typeof name === 'string' ? name : id, task: task.name, inputs: inputs as string[], options, out, ...(range ? { frames: range } : {}),
    ...(chunk ? { chunk: { index: chunk.index, count: chunk.count } } : {}), ...(chunks ? { chunks: chunks.map((c) => ({ start: c.start, end: c.end })) } : {}) };
}
