import { join } from 'node:path';
import type { VideoMode, VideoOptions } from '../../tasks/video.js';
import type { VideoResult } from '../../core/result.js';
import { MAX_FRAMES, OPTIONS, optionFromText } from '../../tasks/options.js';
import { COMMON_OPTIONS, TASKS, optionFields } from '../../tasks/registry.js';
import { commonHelp, optionLine } from '../help.js';
import { UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { progressMode, progressReporter } from '../progress.js';
import { whileRunning } from '../signals.js';

export const summary = 'video decomposition: segment | separate | dehaze a clip (one DIP per layer for all frames)';
const MODES: VideoMode[] = ['segment', 'separate', 'dehaze'];

export const help = [
  `Usage: double-dip video segment|separate|dehaze INPUT -o DIR [--frames A:B] [--fps N] [options]`,
  '',
  `INPUT is a video file or a folder of frames (sorted by name, all one size). At most ${MAX_FRAMES}`,
  'frames per run: select a range with --frames. Every layer is one DIP for all frames, fed noise',
  'that drifts from frame to frame, so the outputs are temporally consistent.',
  '',
  ...MODES.map((m) => `  ${m.padEnd(9)} ${TASKS[`video ${m}`].summary.replace(/^video \w+: /, '')}\n            ${TASKS[`video ${m}`].about.split('\n')[0]}`),
  '',
  'Frames are written as PNG (00001.png, ...) at the input\'s resolution, plus DIR/<folder>.mp4 for',
  'each folder when INPUT is a video; report.json (timings, seconds per frame) and loss.png.',
  '',
  'Options:',
  optionLine({ ...fieldOf('frames') }),
  optionLine({ ...fieldOf('fps') }),
  // Each mode's own options, once, with the modes that take them.
  ...[...new Set(MODES.flatMap((m) => optionFields(`video ${m}`).filter((f) => !COMMON_OPTIONS.includes(f.name)).map((f) => f.name)))].map((name) => {
    const modes = MODES.filter((m) => optionFields(`video ${m}`).some((f) => f.name === name));
    const f = optionFields(`video ${modes[0]}`).find((x) => x.name === name)!;
    return optionLine(modes.length === MODES.length ? f : { ...f, doc: `${modes.join(', ')}: ${f.doc.replace(/^\w+: /, '')}` });
  }),
  '',
  commonHelp('video segment'),
].join('\n');

/** An option the command reads itself (the frames to take), as a help line shows it. */
function fieldOf(name: 'frames' | 'fps') {
  const spec = OPTIONS[name];
  return { name, value: spec.value ?? 'VALUE', doc: spec.doc, default: spec.default, image: false, expects: spec.expects };
}

/** "A:B", "A:", ":B" -> [start, end); throws OptionError. */
export function parseFrameRange(s: string): { start: number; end?: number } {
  return optionFromText('frames', s) as { start: number; end?: number };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    frames: { type: 'string' }, fps: { type: 'string' }, batch: { type: 'string' }, hints: { type: 'string' }, 'grow-hints': { type: 'string' },
    airlight: { type: 'string' },
  });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  // Loaded after --help, which stays quick without sharp.
  const [{ writeVideoResult }, { fileFrames, readFrames, removeFrames }, { exitCode, stopping }] = await Promise.all([
    import('../../io/outputs.js'), import('../../io/video-file.js'), import('../run.js')]);
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
    const result = await TASKS[`video ${mode as VideoMode}`].run({ frames: source }, { ...options, signal: controller.signal, onProgress: progress.update }) as VideoResult;
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
