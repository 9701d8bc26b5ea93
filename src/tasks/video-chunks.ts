// Long clips in chunks. A clip too long for one run (memory grows with the frames, MAX_FRAMES) is
// split into chunks of consecutive frames, neighbours sharing a few frames; each chunk is its own
// video run (`double-dip video MODE IN --frames A:B -o DIR`), and the chunks' output folders are
// joined here into one clip. Chunks are separate trainings, so the paper's ambiguities come back
// at each seam: a segmentation may call the object background (mask polarity), a separation may
// give the moving layer as layer2 (layer order). The shared frames settle both: each chunk is
// flipped or swapped to agree with the one before it, then the shared frames are cross-faded.
// Host maths and files only: each frame is read, aligned, blended and written one at a time.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image } from '../image/image.js';
import { maskOverlap, meanSquaredError, psnrOf } from '../image/compare.js';
import { blend, invert } from '../image/pixel.js';
import { threshold } from '../image/mask.js';
import { TASKS } from './registry.js';
import type { VideoMode } from './video.js';

/** How a long clip is cut (echoed in report.json). */
export const CHUNK_RECIPE = {
  /** Frames per chunk: ~12 mini-batches of 4 frames, so every frame is seen as often as in a short clip; a 48-frame run at 256 px holds ~0.1 GB of per-frame tensors. */
  chunk: 48,
  /** Frames shared by neighbouring chunks: enough for a majority vote on polarity and a visible cross-fade, little extra training (4 of 48, 8%). */
  overlap: 4,
};

/** Frames [start, end) of the clip, end exclusive. */
export interface Chunk { start: number; end: number }

const isCount = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Cuts frameCount frames into chunks of at most `chunk` frames, each sharing `overlap` frames with
 * the next. A clip of at most `chunk` frames is one chunk. The chunks are rebalanced to one length
 * (within a frame), so the last is never a short tail. The overlap defaults to
 * CHUNK_RECIPE.overlap, at most a third of the chunk; a chunk must be at least three overlaps long,
 * so that no frame is in more than two chunks.
 */
export function planChunks(frameCount: number, o: { chunk?: number; overlap?: number } = {}): Chunk[] {
  const chunk = o.chunk ?? CHUNK_RECIPE.chunk;
  if (!isCount(frameCount, 1)) throw new Error(`planChunks: the clip must have a whole number of frames, at least 1, got ${frameCount}. Pass the clip's frame count.`);
  if (!isCount(chunk, 1)) throw new Error(`planChunks: the chunk length must be a whole number of frames, at least 1, got ${chunk}. Pass e.g. {chunk: ${CHUNK_RECIPE.chunk}}.`);
  if (frameCount <= chunk) return [{ start: 0, end: frameCount }];
  const overlap = o.overlap ?? Math.min(CHUNK_RECIPE.overlap, Math.floor(chunk / 3));
  if (!isCount(overlap, 1))
    throw new Error(`planChunks: chunks need at least one shared frame to be joined, got an overlap of ${overlap} (chunk ${chunk}). Pass an overlap of 1 or more and a chunk of at least 3.`);
  if (chunk < 3 * overlap)
    throw new Error(`planChunks: an overlap of ${overlap} frames needs chunks of at least ${3 * overlap} frames (so no frame is in three chunks), got ${chunk}. Pass a longer chunk or a smaller overlap.`);
  // n chunks: boundaries b_i spread evenly over frameCount - overlap; chunk i is [b_i, b_{i+1} + overlap).
  const span = frameCount - overlap;
  const n = Math.ceil(span / (chunk - overlap));
  const b = Array.from({ length: n + 1 }, (_, i) => Math.round((i * span) / n));
  return Array.from({ length: n }, (_, i) => ({ start: b[i], end: b[i + 1] + overlap }));
}

/** Refuses a plan that joinChunks cannot join: each chunk starts after the one before and shares 1 or more frames with it, and none with the one after that. */
export function checkPlan(plan: Chunk[]): void {
  const fix = 'Pass the plan the chunks were run with (planChunks).';
  if (!Array.isArray(plan) || plan.length === 0) throw new Error(`joinChunks: the plan has no chunks. ${fix}`);
  plan.forEach((c, i) => {
    if (!c || !isCount(c.start, 0) || !isCount(c.end, c.start + 1))
      throw new Error(`joinChunks: chunk ${i + 1} of the plan is ${JSON.stringify(c)}: start and end must be whole frame numbers with end > start. ${fix}`);
    if (i === 0) return;
    const p = plan[i - 1];
    if (c.start <= p.start || c.end <= p.end || c.start >= p.end)
      throw new Error(`joinChunks: chunk ${i + 1} (frames ${c.start}-${c.end - 1}) must start and end after chunk ${i} (frames ${p.start}-${p.end - 1}) and share at least one frame with it. ${fix}`);
    if (i >= 2 && c.start < plan[i - 2].end)
      throw new Error(`joinChunks: frame ${c.start} is in chunks ${i - 1}, ${i} and ${i + 1}: a frame may be in two chunks at most. ${fix}`);
  });
}

/** How one chunk ran, from its report.json, and how it was aligned to the chunk before it. */
export interface ChunkReport extends Chunk {
  dir: string;
  iterations: number;
  plannedIterations: number;
  /** Training time. */
  seconds: number;
  /** The chunk's whole run: reading, training, writing. */
  totalSeconds?: number;
  psnr: number;
  stopReason: string;
  /** segment: mask inverted and foreground/background swapped; separate: layer1 and layer2 swapped. */
  flipped: boolean;
}

/** How well neighbouring chunks agree on their shared frames, after alignment. */
export interface SeamReport {
  /** The shared frames [start, end), in the plan's numbering. */
  frames: [number, number];
  /** segment: mask IoU over the shared frames; separate, dehaze: PSNR (dB) of the layers. */
  agreement: number;
  /** The same measure for the other alignment (segment: the later mask inverted; separate: layers swapped). Absent for dehaze. */
  otherwise?: number;
  /** The later chunk was flipped relative to the earlier (before the earlier's own flip is applied). */
  flippedRelative: boolean;
}

export interface JoinReport {
  task: string;
  frames: number;
  folders: string[];
  chunks: ChunkReport[];
  seams: SeamReport[];
  recipe: { overlapBlend: string; agreement: string };
  /** Sum of the chunks' training time, and of their whole runs. */
  seconds: number;
  chunkSeconds: number;
  outputs: string[];
  [extra: string]: unknown;
}

const frameName = (k: number) => `${String(k + 1).padStart(5, '0')}.png`;

/** The chunk's report.json, and a check that each output folder holds its frames, numbered from 00001.png. */
async function readChunk(dir: string, c: Chunk, folders: string[], mode: VideoMode, i: number): Promise<Record<string, unknown>> {
  const again = `Run \`double-dip video ${mode} INPUT --frames ${c.start}:${c.end} -o ${dir}\` for chunk ${i + 1} first, or pass its folder.`;
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'has no report.json (the run did not finish)' : `has an unreadable report.json (${(e as Error).message.split('\n')[0]})`;
    throw new Error(`joinChunks: chunk ${i + 1}'s folder "${dir}" ${why}. ${again}`);
  }
  if (report.task !== `video-${mode}`)
    throw new Error(`joinChunks: chunk ${i + 1}'s folder "${dir}" holds a ${String(report.task)} result, not video ${mode}. ${again}`);
  const want = Array.from({ length: c.end - c.start }, (_, k) => frameName(k));
  for (const f of folders) {
    const names = await readdir(join(dir, f)).catch(() => undefined);
    const pngs = names?.filter((n) => n.endsWith('.png')).sort();
    if (!pngs || pngs.length !== want.length || pngs.some((n, k) => n !== want[k]))
      throw new Error(`joinChunks: chunk ${i + 1} covers frames ${c.start}-${c.end - 1}, so "${join(dir, f)}" must hold ${want[0]} to ${want.at(-1)}, ` +
        `but it ${pngs ? `holds ${pngs.length} PNG frames` : 'is missing'}. ${again}`);
  }
  return report;
}

/**
 * Joins chunks run one by one into one clip. `chunkDirs[i]` is the output folder of chunk
 * `plan[i]`, as `double-dip video MODE IN --frames A:B -o DIR` writes it. Writes outDir/<folder>/
 * 00001.png ... (frames numbered from the plan's first), outDir/<folder>.mp4 when `fps` is given,
 * and report.json, all or none (a staging folder renamed at the end). Holds a few frames at a time.
 * `amend` makes the report.json written from the join's report (a caller's own fields added).
 */
export async function joinChunks(mode: VideoMode, chunkDirs: string[], plan: Chunk[], outDir: string, fps?: number,
  amend: (report: JoinReport) => Record<string, unknown> = (r) => r): Promise<JoinReport> {
  if (!['segment', 'separate', 'dehaze'].includes(mode))
    throw new Error(`joinChunks: mode must be segment, separate or dehaze, got ${JSON.stringify(mode)}.`);
  checkPlan(plan);
  if (!Array.isArray(chunkDirs) || chunkDirs.length !== plan.length)
    throw new Error(`joinChunks: the plan has ${plan.length} chunks but ${Array.isArray(chunkDirs) ? chunkDirs.length : 'no'} folders were given. Pass one output folder per chunk, in order.`);
  if (fps !== undefined && !(fps > 0 && Number.isFinite(fps))) throw new Error(`joinChunks: fps must be a positive number, got ${fps}. Pass e.g. 30, or leave it out for no MP4s.`);
  // Loaded here, so that planning chunks (a queue's --help) does not load sharp.
  const [{ readImage }, { writePng }, { writeVideo }, { Staging }] = await Promise.all([
    import('../io/image-file.js'), import('../io/outputs.js'), import('../io/video-file.js'), import('../io/staging.js')]);
  const folders = [...TASKS[`video ${mode}`].outputs];
  const reports: Record<string, unknown>[] = [];
  for (let i = 0; i < plan.length; i++) reports.push(await readChunk(chunkDirs[i], plan[i], folders, mode, i));

  let size: { width: number; height: number } | undefined;
  /** Frame `g` (the plan's numbering) of `folder` as chunk i wrote it. */
  const raw = async (i: number, folder: string, g: number): Promise<Image> => {
    const path = join(chunkDirs[i], folder, frameName(g - plan[i].start));
    const img = await readImage(path, { channels: folder === 'mask' || folder === 'transmission' ? 1 : 3 });
    size ??= { width: img.width, height: img.height };
    if (img.width !== size.width || img.height !== size.height)
      throw new Error(`joinChunks: "${path}" is ${img.width}x${img.height} but the first chunk's frames are ${size.width}x${size.height}. Run every chunk on the same clip.`);
    return img;
  };
  // The folder to read for `folder` when the chunk is flipped: the layers trade places.
  const SWAP: Record<string, string> = { foreground: 'background', background: 'foreground', layer1: 'layer2', layer2: 'layer1' };
  const flips: boolean[] = [false];
  /** Frame g of `folder` from chunk i, aligned to the first chunk. */
  const aligned = async (i: number, folder: string, g: number): Promise<Image> => {
    if (!flips[i]) return raw(i, folder, g);
    if (folder === 'mask') return invert(await raw(i, 'mask', g));
    return raw(i, SWAP[folder] ?? folder, g);
  };

  // Each seam: compare the shared frames both ways, keep the better, and carry the flip on.
  const seams: SeamReport[] = [];
  for (let i = 1; i < plan.length; i++) {
    const from = plan[i].start, to = plan[i - 1].end;
    let straight = 0, other = 0;
    if (mode === 'segment') {
      const s = { i: 0, u: 0 }, f = { i: 0, u: 0 };
      for (let g = from; g < to; g++) {
        const a = await raw(i - 1, 'mask', g), b = await raw(i, 'mask', g);
        const x = maskOverlap(a, b), y = maskOverlap(a, b, true);
        s.i += x.intersection; s.u += x.union; f.i += y.intersection; f.u += y.union;
      }
      straight = s.u === 0 ? 1 : s.i / s.u; other = f.u === 0 ? 1 : f.i / f.u;
    } else {
      const [p, q] = mode === 'separate' ? ['layer1', 'layer2'] : ['dehazed', 'dehazed'];
      let sm = 0, om = 0;
      for (let g = from; g < to; g++) {
        const a1 = await raw(i - 1, p, g), b1 = await raw(i, p, g);
        if (mode === 'dehaze') { sm += meanSquaredError(a1, b1); continue; }
        const a2 = await raw(i - 1, q, g), b2 = await raw(i, q, g);
        sm += (meanSquaredError(a1, b1) + meanSquaredError(a2, b2)) / 2;
        om += (meanSquaredError(a1, b2) + meanSquaredError(a2, b1)) / 2;
      }
      straight = psnrOf(sm / (to - from)); other = psnrOf(om / (to - from));
    }
    // Higher is better for both IoU and PSNR; a tie keeps the chunk as it is.
    const relative = mode !== 'dehaze' && other > straight;
    flips.push(flips[i - 1] !== relative);
    seams.push({ frames: [from, to], agreement: round(relative ? other : straight), ...(mode === 'dehaze' ? {} : { otherwise: round(relative ? straight : other) }), flippedRelative: relative });
  }

  const stage = Staging.open(outDir);
  try {
    const first = plan[0].start, last = plan.at(-1)!.end;
    const written: Record<string, string[]> = Object.fromEntries(folders.map((f) => [f, []]));
    for (const f of folders) await mkdir(stage.file(f));
    let i = 0;
    for (let g = first; g < last; g++) {
      while (g >= plan[i].end) i++;
      // Shared with the next chunk: its weight ramps from 1/(n+1) to n/(n+1) across the n shared frames.
      const next = i + 1 < plan.length && g >= plan[i + 1].start ? i + 1 : undefined;
      const w = next === undefined ? 0 : (g - plan[next].start + 1) / (plan[i].end - plan[next].start + 1);
      for (const f of folders) {
        let img = await aligned(i, f, g);
        if (next !== undefined) {
          img = blend(img, await aligned(next, f, g), w);
          if (f === 'mask') img = threshold(img); // masks stay binary, as every other frame's
        }
        const name = join(f, frameName(g - first));
        await writePng(stage.file(name), img);
        written[f].push(name);
      }
    }
    const videos: string[] = [];
    if (fps !== undefined) {
      for (const f of folders) {
        await writeVideo(written[f].map((n) => stage.file(n)), fps, stage.file(`${f}.mp4`));
        videos.push(`${f}.mp4`);
      }
    }
    const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
    const chunks: ChunkReport[] = plan.map((c, k) => ({
      start: c.start, end: c.end, dir: chunkDirs[k], iterations: num(reports[k].iterations), plannedIterations: num(reports[k].plannedIterations),
      seconds: num(reports[k].seconds), ...(typeof reports[k].totalSeconds === 'number' ? { totalSeconds: reports[k].totalSeconds as number } : {}),
      psnr: num(reports[k].psnr), stopReason: String(reports[k].stopReason), flipped: flips[k],
    }));
    const report: JoinReport = {
      task: `video-${mode}`, frames: last - first, folders, chunks, seams,
      recipe: {
        overlapBlend: 'linear: the later chunk weighs k/(n+1) on the k-th of n shared frames; masks thresholded at 0.5 after',
        agreement: mode === 'segment' ? 'mask IoU over the shared frames, the later mask as it is vs inverted'
          : mode === 'separate' ? 'PSNR (dB) of both layers over the shared frames, in order vs swapped' : 'PSNR (dB) of the dehazed frames (nothing to align)',
      },
      seconds: round(chunks.reduce((s, c) => s + c.seconds, 0)),
      chunkSeconds: round(chunks.reduce((s, c) => s + (c.totalSeconds ?? c.seconds), 0)),
      outputs: [...folders.map((f) => `${f}/`), ...videos, 'report.json'],
    };
    await writeFile(stage.file('report.json'), JSON.stringify(amend(report), null, 2) + '\n');
    stage.commit();
    return report;
  } catch (e) {
    stage.abort();
    throw e;
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
