// Writes a task's outputs: one PNG per image (or a folder of frames per video layer), report.json,
// and the loss-curve plot.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskResult } from '../tasks/common.js';
import type { FrameSource, VideoResult } from '../tasks/video.js';
import type { HistoryPoint } from '../core/trainer.js';
import { writeImage } from './image-file.js';
import { plotCurves } from './plot.js';
import { writeVideo } from './video-file.js';

/** Writes a file atomically (temp file + rename) so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function writeLossPlot(path: string, history: HistoryPoint[], title: string): Promise<void> {
  const total = { name: 'total loss', values: history.map((h) => h.loss) };
  const names = [...new Set(history.flatMap((h) => Object.keys(h.terms)))];
  const terms = names.map((n) => ({ name: n, values: history.map((h) => h.terms[n] ?? NaN) }));
  const png = await plotCurves([total, ...terms].filter((s) => s.values.some((v) => Number.isFinite(v) && v > 0)),
    { title, xLabel: 'iteration', yLabel: 'loss', logY: true });
  await writeFileAtomic(path, png);
}

/** Returns the paths written. */
export async function writeTaskResult(dir: string, result: TaskResult, extra: Record<string, unknown> = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [stem, img] of Object.entries(result.images)) {
    const path = join(dir, `${stem}.png`);
    await writeImage(path, img);
    written.push(path);
  }
  if (result.history.length > 0) {
    await writeLossPlot(join(dir, 'loss.png'), result.history, `${result.task}: loss`);
    written.push(join(dir, 'loss.png'));
  }
  const report = { ...result.report, ...extra, outputs: written.map((p) => p.slice(dir.length + 1)).concat('report.json') };
  await writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return [...written, join(dir, 'report.json')];
}

export interface VideoOutputs {
  /** Frame paths of each output folder (DIR/<folder>/00001.png, ...), in order. */
  frames: Record<string, string[]>;
  /** DIR/<folder>.mp4 per folder, when an fps was given. */
  videos: string[];
  lossPlot?: string;
}

/**
 * Writes a video result one frame at a time: DIR/<folder>/00001.png ..., then DIR/<folder>.mp4 per
 * folder when `fps` is given (the input was a video), and loss.png. report.json is the caller's.
 */
export async function writeVideoResult(dir: string, result: VideoResult, source: FrameSource, fps: number | undefined,
  title: string): Promise<VideoOutputs> {
  const frames: Record<string, string[]> = Object.fromEntries(result.folders.map((f) => [f, []]));
  for (const f of result.folders) await mkdir(join(dir, f), { recursive: true });
  // Segmentation refines each mask with its full-resolution frame, dehazing its transmission.
  const needsInput = result.task === 'video-segment' || result.task === 'video-dehaze';
  for (let k = 0; k < source.count; k++) {
    const out = result.frame(k, needsInput ? await source.load(k) : undefined);
    for (const f of result.folders) {
      const p = join(dir, f, `${String(k + 1).padStart(5, '0')}.png`);
      await writeImage(p, out[f]);
      frames[f].push(p);
    }
  }
  const videos: string[] = [];
  if (fps !== undefined) {
    for (const f of result.folders) {
      const p = join(dir, `${f}.mp4`);
      await writeVideo(frames[f], fps, p);
      videos.push(p);
    }
  }
  let lossPlot: string | undefined;
  if (result.history.length > 0) {
    lossPlot = join(dir, 'loss.png');
    await writeLossPlot(lossPlot, result.history, `${title}: loss`);
  }
  return { frames, videos, lossPlot };
}
