// Writes a task's outputs: one PNG per image (or a folder of frames per video layer), report.json,
// and the loss-curve plot, as a whole or not at all (staging.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameSource, TaskResult, VideoResult } from '../core/result.js';
import type { Image } from '../image/image.js';
import type { HistoryPoint } from '../core/trainer.js';
import { encodePng } from './image-file.js';
import { plotCurves } from './plot.js';
import { writeVideo } from './video-file.js';
import { Staging } from './staging.js';

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

/**
 * A PNG into a staging folder. Not writeImage: its recursive mkdir, still running in a worker
 * thread when a second signal removes the staging folder, could make that folder again.
 */
export async function writePng(path: string, img: Image): Promise<void> {
  const png = await encodePng(img);
  try {
    await writeFile(path, png);
  } catch (e) {
    throw new Error(`Cannot write image "${path}": ${(e as Error).message}. Check that the disk is not full.`);
  }
}

/** Writes the images, loss.png and report.json into dir, all or none (staging.ts); returns the paths written. */
export async function writeTaskResult(dir: string, result: TaskResult, extra: Record<string, unknown> = {}): Promise<string[]> {
  const stage = Staging.open(dir);
  try {
    const names: string[] = [];
    for (const [stem, img] of Object.entries(result.images)) {
      await writePng(stage.file(`${stem}.png`), img);
      names.push(`${stem}.png`);
    }
    if (result.history.length > 0) {
      await writeLossPlot(stage.file('loss.png'), result.history, `${result.task}: loss`);
      names.push('loss.png');
    }
    names.push('report.json');
    const report = { ...result.report, ...extra, outputs: names };
    await writeFile(stage.file('report.json'), JSON.stringify(report, null, 2) + '\n');
    stage.commit();
    return names.map((n) => join(dir, n));
  } catch (e) {
    stage.abort();
    throw e;
  }
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
 * folder when `fps` is given (the input was a video), loss.png, and last report.json, made by
 * `report` from the paths written. All or none (staging.ts).
 */
export async function writeVideoResult(dir: string, result: VideoResult, source: FrameSource, fps: number | undefined,
  title: string, report: (out: VideoOutputs) => Record<string, unknown>): Promise<VideoOutputs> {
  const stage = Staging.open(dir);
  try {
    const frames: Record<string, string[]> = Object.fromEntries(result.folders.map((f) => [f, []]));
    for (const f of result.folders) await mkdir(stage.file(f));
    // Segmentation refines each mask with its full-resolution frame, dehazing its transmission.
    const needsInput = result.task === 'video-segment' || result.task === 'video-dehaze';
    for (let k = 0; k < source.count; k++) {
      const out = result.frame(k, needsInput ? await source.load(k) : undefined);
      for (const f of result.folders) {
        const name = join(f, `${String(k + 1).padStart(5, '0')}.png`);
        await writePng(stage.file(name), out[f]);
        frames[f].push(name);
      }
    }
    const videos: string[] = [];
    if (fps !== undefined) {
      for (const f of result.folders) {
        await writeVideo(frames[f].map((n) => stage.file(n)), fps, stage.file(`${f}.mp4`));
        videos.push(`${f}.mp4`);
      }
    }
    let lossPlot: string | undefined;
    if (result.history.length > 0) {
      lossPlot = 'loss.png';
      await writeLossPlot(stage.file(lossPlot), result.history, `${title}: loss`);
    }
    const final = (n: string) => join(dir, n);
    const out: VideoOutputs = {
      frames: Object.fromEntries(Object.entries(frames).map(([f, names]) => [f, names.map(final)])),
      videos: videos.map(final),
      lossPlot: lossPlot && final(lossPlot),
    };
    await writeFile(stage.file('report.json'), JSON.stringify(report(out), null, 2) + '\n');
    stage.commit();
    return out;
  } catch (e) {
    stage.abort();
    throw e;
  }
}
