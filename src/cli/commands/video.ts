import { join } from 'node:path';
import type { VideoMode, VideoOptions } from '../../tasks/video.js';
import type { VideoResult } from '../../core/result.js';
import { MAX_FRAMES, OPTIONS, optionFromText } from '../../tasks/options.js';
import { COMMON_OPTIONS, TASKS, optionFields } from '../../tasks/registry.js';
import { commonHelp, optionLine } from '../help.js';
import { UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { progressMode, progressReporter } from '../progress.js';
import { whileRunning } from '../signals.js';
import type { CliContext } from '../run.js';
import { CHUNK_RECIPE, planChunks, type Chunk } from '../../tasks/video-chunks.js';

export const summary = 'video decomposition: segment | separate | dehaze a clip (one DIP per layer for all frames)';
const MODES: VideoMode[] = ['segment', 'separate', 'dehaze'];

export const help = [
  `Usage: double-dip video segment|separate|dehaze INPUT -o DIR [--frames A:B] [--fps N] [--chunk N] [options]`,
  '',
  'INPUT is a video file or a folder of frames (sorted by name, all one size). Every layer is one',
  'DIP for all frames, fed noise that drifts from frame to frame, so the outputs are temporally',
  `consistent. One run takes at most ${MAX_FRAMES} frames; a longer clip (or one longer than --chunk N) is run`,
  `as chunks of ${CHUNK_RECIPE.chunk} (or N) frames, neighbours sharing ${CHUNK_RECIPE.overlap}, one after another, memory bounded by one`,
  "chunk; the chunks are joined into one clip with one mask polarity and layer order, the shared",
  'frames cross-faded. A video input is decoded whole to PNGs in a temporary folder first.',
  '',
  ...MODES.map((m) => `  ${m.padEnd(9)} ${TASKS[`video ${m}`].summary.replace(/^video \w+: /, '')}\n            ${TASKS[`video ${m}`].about.split('\n')[0]}`),
  '',
  'Frames are written as PNG (00001.png, ...) at the input\'s resolution, plus DIR/<folder>.mp4 for',
  'each folder when INPUT is a video; report.json (timings, seconds per frame; in chunks: each',
  "chunk's run and how its seam agreed) and loss.png (one run only).",
  '',
  'Options:',
  optionLine({ ...fieldOf('frames') }),
  optionLine({ ...fieldOf('fps') }),
  optionLine({ ...fieldOf('chunk') }),
  // Each mode's own options, once, with the modes that take them.
  ...[...new Set(MODES.flatMap((m) => optionFields(`video ${m}`).filter((f) => !COMMON_OPTIONS.includes(f.name)).map((f) => f.name)))].map((name) => {
    const modes = MODES.filter((m) => optionFields(`video ${m}`).some((f) => f.name === name));
    const f = optionFields(`video ${modes[0]}`).find((x) => x.name === name)!;
    return optionLine(modes.length === MODES.length ? f : { ...f, doc: `${modes.join(', ')}: ${f.doc.replace(/^\w+: /, '')}` });
  }),
  '',
  commonHelp('video segment'),
].join('\n');

/** An option the command reads itself (the frames to take, how to cut them into runs), as a help line shows it. */
function fieldOf(name: 'frames' | 'fps' | 'chunk') {
  const spec = OPTIONS[name];
  return { name, value: spec.value ?? 'VALUE', doc: spec.doc, default: spec.default, image: false, expects: spec.expects };
}

/** "A:B", "A:", ":B" -> [start, end); throws OptionError. */
export function parseFrameRange(s: string): { start: number; end?: number } {
  return optionFromText('frames', s) as { start: number; end?: number };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    frames: { type: 'string' }, fps: { type: 'string' }, chunk: { type: 'string' }, batch: { type: 'string' }, hints: { type: 'string' },
    'grow-hints': { type: 'string' }, airlight: { type: 'string' },
  });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  // Loaded after --help, which stays quick without sharp.
  const [{ readFrames, removeFrames }, { exitCode }] = await Promise.all([import('../../io/video-file.js'), import('../run.js')]);
  const [mode, input, ...more] = positionals;
  if (!MODES.includes(mode as VideoMode)) throw new UsageError(`Expected a mode, one of ${MODES.join(', ')}, but received "${mode ?? ''}"`);
  if (!input || more.length) throw new UsageError(`video ${mode} takes one INPUT (a video file or a folder of frames), got ${positionals.length - 1}`);
  const options = taskOptions<VideoOptions>(values, `video ${mode as VideoMode}`);
  const range = values.frames !== undefined ? parseFrameRange(String(values.frames)) : { start: 0, end: undefined };
  const fps = values.fps !== undefined ? optionFromText('fps', String(values.fps)) as number : undefined;
  const chunk = values.chunk !== undefined ? optionFromText('chunk', String(values.chunk)) as number : undefined;
  const dir = await requireOutput(values);
  const ctx = { quiet: Boolean(values.quiet), json: Boolean(values.json) };
  const run: Run = { mode: mode as VideoMode, input, options, first: range.start, dir, ctx, label: `video ${mode}`, started: performance.now() };

  // --chunk 0: one run, so decode one frame past the limit at most and refuse an overlong clip without decoding it all.
  const frames = await readFrames(input, { start: range.start, end: range.end ?? (chunk === 0 ? range.start + MAX_FRAMES + 1 : undefined), fps });
  try {
    const count = frames.frames.length;
    if (chunk === 0 && count > MAX_FRAMES)
      throw new Error(`${range.end === undefined ? `"${input}" has more than ${MAX_FRAMES} frames from frame ${range.start}` : `--frames ${range.start}:${range.end} selects ${count} frames of "${input}"`}: ` +
        `the maximum per run is ${MAX_FRAMES}. Leave out --chunk 0 to run it in chunks, select a shorter range with --frames A:B ` +
        `(e.g. --frames ${range.start}:${range.start + MAX_FRAMES}) or a lower rate with --fps.`);
    // Chunks only where asked for or needed: one run over all frames is the most consistent (one DIP sees them all).
    const plan = planChunks(count, { chunk: chunk || (count > MAX_FRAMES ? CHUNK_RECIPE.chunk : count) });
    const videoFps = frames.tmpDir ? frames.fps : undefined;
    return exitCode(plan.length === 1
      ? await runOnce(run, frames, videoFps)
      : await runChunks(run, frames, plan, videoFps));
  } finally {
    await removeFrames(frames);
  }
}

interface Run {
  mode: VideoMode;
  input: string;
  options: VideoOptions;
  /** The clip's first frame (--frames A:), which the plan counts from. */
  first: number;
  dir: string;
  ctx: CliContext;
  label: string;
  started: number;
}

type Decoded = Awaited<ReturnType<typeof import('../../io/video-file.js').readFrames>>;
const seconds2 = (s: number) => Math.round(s * 100) / 100;
const inputReport = (run: Run, frames: Decoded, count: number, first = run.first) =>
  ({ path: run.input, kind: frames.tmpDir ? 'video' : 'folder', frames: count, first, fps: frames.fps, width: frames.width, height: frames.height });

/** Trains on `paths` and writes the result into dir; returns the result's report and the paths written. */
async function trainAndWrite(run: Run, frames: Decoded, paths: string[], first: number, dir: string, fps: number | undefined,
  options: VideoOptions, label: string): Promise<{ report: Record<string, unknown>; result: VideoResult; written: string[] }> {
  const [{ writeVideoResult }, { fileFrames }] = await Promise.all([import('../../io/outputs.js'), import('../../io/video-file.js')]);
  const started = performance.now();
  const source = fileFrames(paths, frames.width, frames.height);
  const progress = progressReporter(progressMode(run.ctx.quiet, run.ctx.json), label);
  const result = await TASKS[`video ${run.mode}`].run({ frames: source }, { ...options, onProgress: progress.update }) as VideoResult;
  progress.done();
  const written: string[] = [];
  let report: Record<string, unknown> = {};
  try {
    await writeVideoResult(dir, result, source, fps, run.label, (out) => {
      written.push(...result.folders.map((f) => join(dir, f) + '/'), ...out.videos, ...(out.lossPlot ? [out.lossPlot] : []));
      const seconds = (performance.now() - started) / 1000;
      report = {
        ...result.report, input: inputReport(run, frames, source.count, first),
        totalSeconds: seconds2(seconds), totalSecondsPerFrame: Math.round((seconds / source.count) * 1000) / 1000,
        outputs: written.map((p) => p.slice(dir.length + 1)).concat('report.json'),
      };
      return report;
    });
  } finally {
    result.dispose();
  }
  written.push(join(dir, 'report.json'));
  return { report, result, written };
}

/** The whole clip in one run. Returns whether it was stopped early. */
async function runOnce(run: Run, frames: Decoded, fps: number | undefined): Promise<boolean> {
  const { stopping } = await import('../run.js');
  const controller = new AbortController();
  const done = whileRunning((signal) => { stopping(run.ctx, signal); controller.abort(); });
  try {
    const { report, result, written } = await trainAndWrite(run, frames, frames.frames, run.first, run.dir, fps,
      { ...run.options, signal: controller.signal }, run.label);
    const r = result.report;
    if (run.ctx.json) process.stdout.write(JSON.stringify({ type: 'result', outputs: written, report }) + '\n');
    else if (!run.ctx.quiet) {
      process.stderr.write(`${run.label}: ${result.count} frames, ${r.iterations} iterations in ${r.seconds.toFixed(1)} s ` +
        `(${report.totalSecondsPerFrame} s per frame in all), reconstruction ${r.psnr.toFixed(2)} dB (${r.stopReason})\n`);
      for (const p of written) process.stderr.write(`  wrote ${p}\n`);
    }
    return r.stopReason === 'aborted';
  } finally {
    done();
  }
}

/**
 * The clip as chunks, one run after another in this process (memory: one chunk's), each written to
 * a folder in a staging area inside DIR, then joined into DIR. A signal stops the running chunk,
 * keeps its best result and joins the chunks done so far; a second quits, leaving nothing.
 */
async function runChunks(run: Run, frames: Decoded, plan: Chunk[], fps: number | undefined): Promise<boolean> {
  const [{ Staging }, { joinChunks }, { stopping }] = await Promise.all([import('../../io/staging.js'), import('../../tasks/video-chunks.js'), import('../run.js')]);
  const controller = new AbortController();
  const done = whileRunning((signal) => { stopping(run.ctx, signal); controller.abort(); });
  const work = Staging.open(run.dir);
  try {
    const dirs: string[] = [];
    let aborted = false;
    for (let i = 0; i < plan.length && !controller.signal.aborted; i++) {
      const c = plan[i];
      // A time budget is for the whole clip: each chunk gets an even share of what is left.
      const left = run.options.maxSeconds === undefined ? undefined
        : Math.max(0.001, (run.options.maxSeconds - (performance.now() - run.started) / 1000) / (plan.length - i));
      const chunkDir = work.file(`chunk-${i + 1}`);
      const label = `${run.label} chunk ${i + 1}/${plan.length} (frames ${run.first + c.start}-${run.first + c.end - 1})`;
      const { result } = await trainAndWrite(run, frames, frames.frames.slice(c.start, c.end), run.first + c.start, chunkDir, undefined,
        { ...run.options, signal: controller.signal, ...(left === undefined ? {} : { maxSeconds: left }) }, label);
      dirs.push(chunkDir);
      aborted ||= result.report.stopReason === 'aborted';
    }
    const joined = plan.slice(0, dirs.length);
    let full: Record<string, unknown> = {};
    const report = await joinChunks(run.mode, dirs, joined, run.dir, fps, (r) => {
      // The chunks' folders are gone once joined: their reports live on in this one, named by frame range.
      const seconds = (performance.now() - run.started) / 1000;
      full = {
        ...r,
        chunks: r.chunks.map(({ dir: _, ...c }) => ({ ...c, start: run.first + c.start, end: run.first + c.end })),
        seams: r.seams.map((s) => ({ ...s, frames: s.frames.map((f) => run.first + f) })),
        chunking: { chunk: Math.max(...plan.map((c) => c.end - c.start)), overlap: plan[0].end - plan[1].start, planned: plan.length, run: dirs.length, recipe: CHUNK_RECIPE },
        input: inputReport(run, frames, r.frames),
        totalSeconds: seconds2(seconds), totalSecondsPerFrame: Math.round((seconds / r.frames) * 1000) / 1000,
      };
      return full;
    });
    const written = [...report.outputs.map((o) => join(run.dir, o))];
    if (run.ctx.json) process.stdout.write(JSON.stringify({ type: 'result', outputs: written, report: full }) + '\n');
    else if (!run.ctx.quiet) {
      const flipped = report.chunks.flatMap((c, k) => (c.flipped ? [k + 1] : []));
      process.stderr.write(`${run.label}: ${report.frames} frames in ${dirs.length}${dirs.length < plan.length ? ` of ${plan.length}` : ''} chunks ` +
        `(${report.seconds.toFixed(1)} s training, ${full.totalSecondsPerFrame} s per frame in all); ` +
        `${flipped.length ? `chunks ${flipped.join(', ')} ${run.mode === 'segment' ? 'inverted' : 'swapped'} to agree with chunk 1` : 'every chunk agreed with chunk 1 as it was'}\n`);
      for (const p of written) process.stderr.write(`  wrote ${p}\n`);
    }
    return aborted || dirs.length < plan.length;
  } finally {
    work.abort();
    done();
  }
}
