// Long clips as chunk jobs. A video job whose clip is longer than the chunk length becomes chunk
// jobs (each a video job on a frame range, written into OUT.chunks/<k> through execute.ts's
// atomic rename, so chunks run on any workers at once) and a join job that runs after them all
// (Redis: a BullMQ flow, the join the parent; in-process: local.ts waits for its `after`), joins
// the chunk folders into OUT with joinChunks (one mask polarity, one layer order, cross-faded
// seams) and removes them. A chunk whose report.json exists is done: a re-run skips it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DEFAULT_FOLDER_FPS, IMAGE_EXTENSIONS } from '../io/video-file.js';
import { MAX_FRAMES } from '../tasks/options.js';
import { CHUNK_RECIPE, planChunks, type Chunk } from '../tasks/video-chunks.js';
import type { VideoMode } from '../tasks/video.js';
import type { QueueJob } from './job.js';
import { jobId, type Planned } from './plan.js';

/** Chunk k's output folder (k from 0): beside OUT, removed once joined. */
export const chunkFolder = (out: string, k: number) => join(`${out}.chunks`, String(k + 1));

/** The frames a clip job selects, counted without decoding: a folder's images, a video's packets. Undefined when unknown (the job then runs whole and fails with its own message if it must). */
export async function selectedFrames(job: QueueJob): Promise<number | undefined> {
  const path = job.inputs[0];
  let total: number;
  try {
    if (statSync(path).isDirectory()) total = readdirSync(path, { withFileTypes: true }).filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())).length;
    else total = (await (await import('../io/video-file.js')).probeVideo(path)).frames;
  } catch {
    return undefined;
  }
  if (!total) return undefined;
  const start = job.frames?.start ?? 0;
  return Math.max(0, Math.min(job.frames?.end ?? Infinity, total) - start);
}

/** One chunk job of a long clip, and whether it is done already. */
export interface Part { job: QueueJob; done: boolean }

/**
 * The chunks of a video job, as the video command cuts them: chunks of `chunk` frames when given
 * (0: never), else of CHUNK_RECIPE.chunk for clips over MAX_FRAMES only (one run over all frames
 * is the most consistent). Returns the join job (the same id and folder as the job) and its chunk
 * jobs, or undefined when the clip is one run.
 */
export async function splitJob(job: QueueJob, chunk: number | undefined): Promise<{ join: QueueJob; parts: Part[] } | undefined> {
  if (chunk === 0) return undefined;
  const count = await selectedFrames(job);
  if (count === undefined) return undefined;
  const plan = planChunks(count, { chunk: chunk ?? (count > MAX_FRAMES ? CHUNK_RECIPE.chunk : count) });
  if (plan.length < 2) return undefined;
  const first = job.frames?.start ?? 0;
  const chunks = plan.map((c) => ({ start: first + c.start, end: first + c.end }));
  const parts = chunks.map((frames, k): Part => {
    const out = chunkFolder(job.out, k);
    return {
      job: { id: jobId(out), name: `${job.name} chunk ${k + 1}/${chunks.length} (frames ${frames.start}-${frames.end - 1})`, task: job.task,
        inputs: job.inputs, options: job.options, out, frames, chunk: { index: k + 1, count: chunks.length } },
      done: existsSync(join(out, 'report.json')),
    };
  });
  const join_: QueueJob = { ...job, frames: { start: first, end: chunks.at(-1)!.end }, chunks };
  return { join: join_, parts };
}

/** What a join job's run gives back (a job's result): its own seconds; iterations the chunks' most, PSNR their mean. */
export interface Joined { seconds: number; iterations: number; psnr: number; stopReason: string; files: string[] }

/**
 * Joins a join job's chunk folders into `dir` (its temporary folder; execute.ts renames it to
 * OUT). The report names each chunk by its frames, as `double-dip video --chunk` does.
 */
export async function joinChunkJobs(job: QueueJob, dir: string): Promise<Joined> {
  const started = performance.now();
  const chunks = job.chunks!;
  const first = chunks[0].start;
  const plan: Chunk[] = chunks.map((c) => ({ start: c.start - first, end: c.end - first }));
  const mode = job.task.replace(/^video /, '') as VideoMode;
  const [{ joinChunks }, { probeVideo }] = await Promise.all([import('../tasks/video-chunks.js'), import('../io/video-file.js')]);
  const path = job.inputs[0];
  // MP4s as an unchunked job writes them: at the video's rate, a folder's at DEFAULT_FOLDER_FPS.
  const fps = statSync(path).isDirectory() ? DEFAULT_FOLDER_FPS : (await probeVideo(path)).fps || DEFAULT_FOLDER_FPS;
  const report = await joinChunks(mode, chunks.map((_, k) => chunkFolder(job.out, k)), plan, dir, fps, (r) => ({
    ...r,
    chunks: r.chunks.map(({ dir: _, ...c }) => ({ ...c, start: first + c.start, end: first + c.end })),
    seams: r.seams.map((s) => ({ ...s, frames: s.frames.map((f) => first + f) })),
    chunking: { chunk: Math.max(...plan.map((c) => c.end - c.start)), overlap: plan[0].end - plan[1].start, planned: plan.length, run: plan.length, recipe: CHUNK_RECIPE },
    input: { path, kind: statSync(path).isDirectory() ? 'folder' : 'video', frames: r.frames, first },
  }));
  const psnr = report.chunks.reduce((s, c) => s + c.psnr, 0) / report.chunks.length;
  return {
    seconds: Math.round((performance.now() - started) / 10) / 100,
    iterations: Math.max(...report.chunks.map((c) => c.iterations)), psnr: Math.round(psnr * 1e4) / 1e4,
    stopReason: report.chunks.find((c) => c.stopReason !== report.chunks[0].stopReason)?.stopReason ?? report.chunks[0].stopReason,
    files: report.outputs,
  };
}

/** Removes a joined job's chunk folders (its OUT is complete). */
export const removeChunks = (out: string) => rm(`${out}.chunks`, { recursive: true, force: true });

/** A batch's planned jobs with each long clip's queued job split into its chunk jobs and join (splitJob). */
export async function splitLongClips(planned: Planned[], chunk: number | undefined): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const p of planned) {
    const split = p.state === 'queued' ? await splitJob(p.job, chunk) : undefined;
    out.push(split ? { job: split.join, state: 'queued', parts: split.parts } : p);
  }
  return out;
}
