// A job's training in a process of its own (forked by jobs.ts), so that the server's event loop only
// serves requests while a job trains, and a crash of libtorch or the addon ends one job, not the server.
//
// Messages, over the fork's IPC channel:
//   parent -> child  {type: 'run', job, dir}   the job to run, its outputs written into dir
//                    {type: 'stop'}            stop, keeping the best result so far (also SIGTERM, SIGINT)
//   child -> parent  {type: 'progress', data}  every iteration
//                    {type: 'preview', data}   the layers as small PNG data: URLs (one encoding at a time)
//                    {type: 'done', report, files} or {type: 'error', message}, then the child exits
import type { Image } from '../image/image.js';
import { resizeImage } from '../image/resize.js';
import { encodePng } from '../io/image-file.js';
import type { TaskOptions } from '../tasks/common.js';
import { runJob, type JobRun } from './run.js';

export type ToRunner = { type: 'run'; job: JobRun; dir: string } | { type: 'stop' };

export interface ProgressInfo {
  phase: string; iteration: number; total: number; loss: number; psnr: number; bestPsnr: number; elapsed: number; eta: number;
}
/** What a finished job tells the page of its report; confidence and concerns: the task's checks of its result (video tasks: none). */
export interface JobReport { iterations: number; seconds: number; psnr: number; stopReason: string; confidence?: 'high' | 'low'; concerns?: string[] }

/** `input`: which image or video frame the layers are of (0-based). */
export interface Preview { iteration: number; input: number; images: Record<string, string> }

export type FromRunner =
  | { type: 'progress'; data: ProgressInfo }
  | { type: 'preview'; data: Preview }
  | { type: 'done'; report: JobReport; files: string[] }
  | { type: 'error'; message: string };

const PREVIEW_SIDE = 256;

/** Small PNG data URLs of the preview layers. */
export async function previewUrls(images: Record<string, Image>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, img] of Object.entries(images)) {
    const scale = Math.min(1, PREVIEW_SIDE / Math.max(img.width, img.height));
    const small = scale < 1 ? resizeImage(img, Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale))) : img;
    out[name] = `data:image/png;base64,${(await encodePng(small)).toString('base64')}`;
  }
  return out;
}

/** Runs one job, reporting through `send`; stops when `signal` aborts. */
export async function runInChild(job: JobRun, dir: string, signal: AbortSignal, send: (m: FromRunner) => void): Promise<FromRunner> {
  let encoding = false;
  const options: TaskOptions = {
    ...job.options,
    signal,
    onProgress: (p) => send({ type: 'progress', data: { phase: p.phase, iteration: p.iteration, total: p.total, loss: p.loss, psnr: p.psnr,
      bestPsnr: p.bestPsnr, elapsed: p.elapsed, eta: p.eta } }),
    onPreview: ({ iteration, input, images }) => {
      if (encoding) return; // never let previews pile up
      encoding = true;
      void previewUrls(images).then((urls) => send({ type: 'preview', data: { iteration, input, images: urls } }))
        .catch(() => {}).finally(() => { encoding = false; });
    },
  };
  try {
    const { report: r, files } = await runJob({ ...job, options: options as Record<string, unknown> }, dir);
    return { type: 'done', report: { iterations: r.iterations, seconds: r.seconds, psnr: r.psnr, stopReason: r.stopReason,
      ...(r.confidence ? { confidence: r.confidence, concerns: r.concerns ?? [] } : {}) }, files };
  } catch (e) {
    return { type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
}

// Run as a forked child: take the job, run it, answer, exit.
if (process.send && process.argv[2] === '--double-dip-runner') {
  const controller = new AbortController();
  const stop = () => controller.abort();
  // A stop asked by signal as by message; a parent gone (its channel closed) stops too: nobody is left to keep the result for.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  const send = (m: FromRunner) => { if (process.connected) process.send!(m); };
  process.on('message', (m: ToRunner) => {
    if (m.type === 'stop') stop();
    else if (m.type === 'run') {
      void runInChild(m.job, m.dir, controller.signal, send).then((last) => {
        if (!process.connected) process.exit(0);
        // Exit once the answer has left: the parent reads it before it sees the channel close.
        process.send!(last, undefined, {}, () => process.exit(0));
      });
    }
  });
}
