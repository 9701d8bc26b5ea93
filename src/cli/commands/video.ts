import { join } from 'node:path';
import { writeVideoResult } from '../../io/outputs.js';
import { fileFrames, readFrames, removeFrames } from '../../io/video-file.js';
import { DEFAULT_BATCH, MAX_FRAMES, VIDEO_TASKS, type VideoMode, type VideoOptions } from '../../tasks/video.js';
import { optionFromText } from '../../tasks/options.js';
import { COMMON_HELP, UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { progressMode, progressReporter } from '../progress.js';
import { exitCode, stopping } from '../run.js';
import { whileRunning } from '../signals.js';

export const summary = 'video decomposition: segment | separate | dehaze a clip (one DIP per layer for all frames)';
export const help = `Usage: double-dip video segment|separate|dehaze INPUT -o DIR [--frames A:B] [--fps N] [--batch N]

INPUT is a video file or a folder of frames (sorted by name, all one size). At most ${MAX_FRAMES}
frames per run: select a range with --frames.

  segment   I_i = m_i * fg_i + (1 - m_i) * bg_i          writes DIR/mask/, foreground/, background/
  separate  I_i = m_i * layer1_i + (1 - m_i) * layer2    writes DIR/layer1/ (dynamic), layer2/ (static)
            (per-frame coefficients m_i in report.json)
  dehaze    I_i = t_i * J_i + (1 - t_i) * A              writes DIR/dehazed/, transmission/

Frames are written as PNG (00001.png, ...) at the input's resolution, plus DIR/<folder>.mp4 for
each folder when INPUT is a video; report.json (timings, seconds per frame) and loss.png.

  --frames A:B          frames A to B-1, counted from 0 (A: or :B for open ends)
  --fps N               resample a video to N frames per second first
  --batch N             frames per training iteration (default ${DEFAULT_BATCH}); memory grows with it
  --hints each|first|none  segment: saliency hints from every frame (default), the first frame, or none
  --grow-hints yes|no   segment: grow the hints by GrabCut, as the image task (default yes)
  --airlight R,G,B      dehaze: a known airlight colour (each 1-255) for the whole clip
                        (default: the median of the frames' estimates)

${COMMON_HELP}`;

/** "A:B", "A:", ":B" -> [start, end); throws OptionError. */
export function parseFrameRange(s: string): { start: number; end?: number } {
  return optionFromText('frames', s) as { start: number; end?: number };
}

const MODES: VideoMode[] = ['segment', 'separate', 'dehaze'];

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    frames: { type: 'string' }, fps: { type: 'string' }, batch: { type: 'string' }, hints: { type: 'string' }, 'grow-hints': { type: 'string' },
    airlight: { type: 'string' },
  });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  const [mode, input, ...more] = positionals;
  if (!MODES.includes(mode as VideoMode)) throw new UsageError(`Expected a mode, one of ${MODES.join(', ')}, but received "${mode ?? ''}"`);
  if (!input || more.length) throw new UsageError(`video ${mode} takes one INPUT (a video file or a folder of frames), got ${positionals.length - 1}`);
  const options = taskOptions<VideoOptions>(values, `video ${mode as VideoMode}`);
  const range = values.frames !== undefined ? parseFrameRange(String(values.frames)) : { start: 0, end: undefined };
  const fps = values.fps !== undefined ? optionFromText('fps', String(values.fps)) as number : undefined;
  const dir = await requireOutput(values);
  const ctx = { quiet: Boolean(values.quiet), json: Boolean(values.json) };
  const label = `video ${mode}`;
  const started = performance.now();

  // Decode one frame past the limit at most, so an overlong clip is refused without decoding it all.
  const frames = await readFrames(input, { start: range.start, end: range.end ?? range.start + MAX_FRAMES + 1, fps });
  const controller = new AbortController();
  let done = () => {};
  try {
    if (frames.frames.length > MAX_FRAMES)
      throw new Error(`"${input}" has more than ${MAX_FRAMES} frames from frame ${range.start}: the maximum per run is ${MAX_FRAMES}. ` +
        `Select a range with --frames A:B (e.g. --frames ${range.start}:${range.start + MAX_FRAMES}) or a lower rate with --fps.`);
    const source = fileFrames(frames.frames, frames.width, frames.height);
    done = whileRunning((signal) => { stopping(ctx, signal); controller.abort(); });
    const progress = progressReporter(progressMode(ctx.quiet, ctx.json), label);
    const result = await VIDEO_TASKS[mode as VideoMode](source, { ...options, signal: controller.signal, onProgress: progress.update });
    progress.done();
    const written: string[] = [];
    let report: Record<string, unknown> = {};
    try {
      await writeVideoResult(dir, result, source, frames.tmpDir ? frames.fps : undefined, label, (out) => {
        written.push(...result.folders.map((f) => join(dir, f) + '/'), ...out.videos, ...(out.lossPlot ? [out.lossPlot] : []));
        const seconds = (performance.now() - started) / 1000;
        report = {
          ...result.report,
          input: { path: input, kind: frames.tmpDir ? 'video' : 'folder', frames: source.count, first: range.start, fps: frames.fps,
            width: frames.width, height: frames.height },
          totalSeconds: Math.round(seconds * 100) / 100,
          totalSecondsPerFrame: Math.round((seconds / source.count) * 1000) / 1000,
          outputs: written.map((p) => p.slice(dir.length + 1)).concat('report.json'),
        };
        return report;
      });
    } finally {
      result.dispose();
    }
    written.push(join(dir, 'report.json'));
    if (ctx.json) process.stdout.write(JSON.stringify({ type: 'result', outputs: written, report }) + '\n');
    else if (!ctx.quiet) {
      process.stderr.write(`${label}: ${source.count} frames, ${result.report.iterations} iterations in ${result.report.seconds.toFixed(1)} s ` +
        `(${report.totalSecondsPerFrame} s per frame in all), reconstruction ${result.report.psnr.toFixed(2)} dB (${result.report.stopReason})\n`);
      for (const p of written) process.stderr.write(`  wrote ${p}\n`);
    }
    return exitCode(result.report.stopReason === 'aborted');
  } finally {
    done();
    await removeFrames(frames);
  }
}
