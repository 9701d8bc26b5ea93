// Writes a task's outputs: one PNG per image, report.json, and the loss-curve plot.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskResult } from '../tasks/common.js';
import type { HistoryPoint } from '../core/trainer.js';
import { writeImage } from './image-file.js';
import { plotCurves } from './plot.js';

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
