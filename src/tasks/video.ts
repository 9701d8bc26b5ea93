// Video decomposition (paper sections 3-4): every frame is one input of one Decomposition, each
// video layer is ONE DIP shared by all frames, fed a per-frame noise that drifts slowly from frame
// to frame (eq. 5), so consecutive outputs are alike (temporal consistency for free).
//
//  segment   (eq. 4-5)  I_i = m_i * fg_i + (1 - m_i) * bg_i.  fg, bg and mask DIPs shared by all
//                       frames; all three get 'drift' noise (fg/bg must change per frame: the object
//                       moves, the camera pans; drift keeps them temporally coherent too). fg and bg
//                       share one noise tensor, as the single-image recipe. Hints: each frame's own
//                       grown saliency (default: measured better than the first frame's for all), the first frame's, or none.
//  separate  (eq. 7)    I_i = m_i * y1_i + (1 - m_i) * y2. y1 dynamic (drift noise), y2 static
//                       (shared noise), m_i a learned scalar per frame (independent noise, 32x32 net).
//  dehaze               I_i = t_i * J_i + (1 - t_i) * A. The image recipe (dehaze.ts) with J and t per
//                       frame from shared DIPs with drift noise and one coarse airlight map A for the
//                       clip, pulled to A0 (the median of the frames' estimates); each frame's t
//                       starts from its dark-channel-prior transmission.
//
// Training draws mini-batches of `batch` frames per iteration (Decomposition.batch), so the
// activations held by autograd are bounded by the batch size, not the clip length. What grows with
// the clip, per frame at the working size w x h: the input (3 w h floats), the noise of each
// per-frame layer (2-8 w h each), per-frame given maps (1 w h), and what the trainer's render()
// keeps: one output per layer per frame plus the reconstruction (segment: 3+3+1+3 w h). Segment
// holds ~16 floats per pixel per frame: at 256 x 144, ~2.4 MB per frame, 300 frames ~0.7 GB;
// dehaze (8-channel J noise) ~24 floats, ~3.5 MB per frame. Full-resolution frames are never held
// together: each is read, resized to the working size and dropped; outputs are upsampled one frame
// at a time when written.
import { channelMeans, colourImage, median, type Image } from '../image/image.js';
import { resizeImage, toRgb } from '../image/resize.js';
import { airlightEstimate, dcpTransmissionMap, dehazing, solveScene } from './dehaze.js';
import { checkAirlight } from '../image/dcp.js';
import type { LayerSpec, Phase } from '../core/spec.js';
import { run, type Plan, type RunResult } from '../core/run.js';
import { makeReport } from '../core/report.js';
import type { FrameSource, VideoResult } from '../core/result.js';
import { saliencyHintsFor } from '../image/hints.js';
import { cutMask, leanOnHints, refineMask, threshold } from '../image/mask.js';
import { GROWN_HINTS_AFTER, hintImage, segmentSize, segmentation, workingHints } from './segment.js';
import { separateSize, separation } from './separate.js';
import { DEHAZE_RECIPE, dehazeSize } from './dehaze.js';
import { DEFAULT_SIZE, scalePhases, toOutput, type TaskOptions } from './common.js';
import { MAX_FRAMES, checkImage, checkOptions } from './options.js';

export { MAX_FRAMES };
/** Frames per training iteration. */
/** Every tuned number of the video recipes beyond their image recipes (echoed in report.json); measurements in docs/benchmarks.md, "Video". */
export const VIDEO_RECIPE = {
  /** Frames per iteration: bounds autograd's memory by the batch, not the clip. */
  batch: 4,
  /** Video dehazing's iterations, over all frames: 1000 against 2000 on the eight dev scenes panned (128 px, seed 0): tuning 18.64 -> 18.71 dB, check 17.96 -> 18.18, one row -0.61. */
  dehazeIterations: 1000,
  /** Video dehazing's working size unless --size, the image recipe's (J* is solved per frame at full resolution from t and A); with 1000 iterations 4.4x faster a frame, bench case +0.14 / +0.82 dB. */
  dehazeSize: DEHAZE_RECIPE.size,
  /** Video dehazing's hint share (see DEHAZE_RECIPE.matchUntil): the reference's first 1000 of 4000, not re-measured for video. */
  dehazeMatchUntil: 1000 / 4000,
  /** Video segmentation's iterations, over all frames: the image recipe's compressed schedule (quality-video, horse and truck, two seeds: IoU within 0.008 of 2000). */
  segmentIterations: 600,
  /** Video separation's iterations, over all frames (quality-video sep, two seeds: 2000 let the coefficients drift, 0.19-0.24 off against 0.08 at 600; layers +0.4-5 dB). */
  separateIterations: 600,
};
export const DEFAULT_BATCH = VIDEO_RECIPE.batch;

export type { FrameSource, VideoResult };

export interface VideoOptions extends TaskOptions {
  /** Frames per iteration, 1-300; the whole clip when it is shorter. Memory grows with it. Default 4. */
  batch?: number;
  /** Segmentation hints: each frame's own saliency (default: measured best, docs/benchmarks.md), the first frame's for all frames, or none. */
  hints?: 'first' | 'each' | 'none';
  /** Segmentation: grow the saliency hints by GrabCut, as the single-image task does (default true). */
  growHints?: boolean;
  /** Dehazing: a known airlight colour, each channel in (0, 1], used as A0 for the whole clip. Default: the median of the frames' estimates. */
  airlight?: [number, number, number];
}

export function checkFrameCount(n: number, what = 'The clip'): void {
  if (n === 0) throw new Error(`${what} has no frames: pass a video or a folder with at least one image.`);
  if (n > MAX_FRAMES)
    throw new Error(`${what} has ${n} frames, more than the maximum of ${MAX_FRAMES} per run: ` +
      `select a range with --frames A:B (e.g. --frames 0:${MAX_FRAMES}) or a lower rate with --fps.`);
}

/** Frames already in memory (small clips, tests). */
export function imageFrames(images: Image[]): FrameSource {
  checkFrameCount(images.length);
  images.forEach((img, k) => checkImage(img, `frames[${k}]`));
  const [a] = images;
  images.forEach((b, i) => {
    if (b.width !== a.width || b.height !== a.height)
      throw new Error(`All frames must have one size: frame 1 is ${a.width}x${a.height} but frame ${i + 1} is ${b.width}x${b.height}.`);
  });
  return { count: images.length, width: a.width, height: a.height, load: async (k) => images[k] };
}

const asSource = (frames: Image[] | FrameSource): FrameSource => {
  const src = Array.isArray(frames) ? imageFrames(frames) : frames;
  checkFrameCount(src.count);
  return src;
};

/** Reads every frame once, keeping only its working-size copy. `each` sees the small frame and the full one. */
async function loadClip(src: FrameSource, size: { width: number; height: number }, each?: (small: Image, k: number, full: Image) => void): Promise<Image[]> {
  const small: Image[] = [];
  for (let k = 0; k < src.count; k++) {
    const full = await src.load(k);
    small.push(resizeImage(full, size.width, size.height));
    each?.(small[k], k, full);
  }
  return small;
}

/** Mini-batching: no best-iterate (PSNRs of different batches do not compare), no early stop on one batch. */
function miniBatched(d: Plan, K: number, o: VideoOptions): Plan {
  const batch = Math.min(o.batch ?? DEFAULT_BATCH, K);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${o.batch}`);
  const whole = batch >= K;
  return { ...d, batch, keepBest: whole, phases: whole ? d.phases : d.phases.map(({ stopAbovePsnr: _, ...p }): Phase => p) };
}

const perFrame = (l: LayerSpec, perInput: 'drift' | 'shared' | 'independent'): LayerSpec =>
  ({ ...l, noise: { ...l.noise, perInput } });

interface Run { r: RunResult; size: { width: number; height: number }; K: number }

async function trainVideo(task: string, src: FrameSource, d: Plan, size: { width: number; height: number }, o: VideoOptions,
  extra: (run: Run) => Record<string, unknown>, frame: (run: Run, k: number, input?: Image) => Record<string, Image>,
  folders: string[]): Promise<VideoResult> {
  const K = src.count;
  const r = await run(d, o);
  const result = { r, size, K };
  const report = makeReport(task, [{ width: src.width, height: src.height }], size, r, d, { ...o, size: o.size ?? DEFAULT_SIZE }, {
    frames: K, batch: d.batch, recipe: VIDEO_RECIPE, secondsPerFrame: Math.round((r.seconds / K) * 1000) / 1000, ...extra(result),
  });
  return { task, count: K, folders, report, history: r.history, frame: (k, input) => frame(result, k, input), dispose: () => undefined };
}

/** Fg/bg video segmentation (eq. 4-5). Writes mask, foreground, background per frame. */
export async function videoSegment(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video segment', o);
  const src = asSource(frames);
  const size = segmentSize(src.width, src.height, o.size);
  const mode = o.hints ?? 'each', grow = o.growHints ?? true;
  const fgs: Image[] = [], bgs: Image[] = [];
  const input = await loadClip(src, size, (_small, k, full) => {
    if (mode === 'each' || (mode === 'first' && k === 0)) {
      // Saliency on the full frame, as the single-image task: its filters are scale-dependent.
      // Video keeps GrabCut's start from the hints alone: the saliency prior, measured always on, cost the horse clip 0.03-0.04.
      const h = workingHints(full, saliencyHintsFor(full), size, grow, false);
      fgs.push(h.fg);
      bgs.push(h.bg);
    }
  });
  const K = src.count;
  // 'first': one map pair for every frame; 'each': one per frame; 'none': no hint terms.
  const so = { ...o, iterations: o.iterations ?? VIDEO_RECIPE.segmentIterations };
  const base = mode === 'none' ? segmentation(input, null, so) : segmentation(input, { fg: fgs, bg: bgs }, { ...so, hintsAfter: grow ? GROWN_HINTS_AFTER : 0 });
  const d = miniBatched({ ...base, layers: base.layers.map((l) => perFrame(l, 'drift')) }, K, o);
  return trainVideo('video-segment', src, d, size, o, () => ({ hints: mode, grownHints: mode !== 'none' && grow }), ({ r }, k, full) => {
    const out = (img: Image) => toOutput(img, src.width, src.height);
    const soft = out(r.layers.mask[k]);
    const refined = full ? refineMask(full, soft) : soft;
    // Each frame's own hints settle what its mask is unsure of (not the first frame's: the object moves).
    const hinted = mode === 'each' ? leanOnHints(refined, hintImage({ fg: fgs[k], bg: bgs[k], source: 'saliency' })) : refined;
    return {
      mask: full ? cutMask(full, hinted) : threshold(hinted),
      foreground: out(r.layers.foreground[k]),
      background: out(r.layers.background[k]),
    };
  }, ['mask', 'foreground', 'background']);
}

/** Video transparency separation (eq. 7): dynamic layer1, static layer2, per-frame coefficient. */
export async function videoSeparate(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video separate', o);
  const src = asSource(frames);
  const size = separateSize(src.width, src.height, o.size);
  const input = await loadClip(src, size);
  const K = src.count;
  // y1, y2, m (one coefficient per input); I_k = m_k y1 + (1 - m_k) y2
  const base = separation(input, 'two', { ...o, iterations: o.iterations ?? VIDEO_RECIPE.separateIterations });
  const d = miniBatched({
    ...base,
    layers: base.layers.map((l) => perFrame(l, l.name === 'y1' ? 'drift' : l.name === 'y2' ? 'shared' : K > 1 ? 'independent' : 'shared')),
  }, K, o);
  const coefficients = ({ r }: Run) => r.layers.m.map((m) => Math.round(m.data[0] * 1e4) / 1e4);
  return trainVideo('video-separate', src, d, size, o, (run) => ({ coefficients: coefficients(run) }), ({ r }, k) => ({
    layer1: toOutput(r.layers.y1[k], src.width, src.height),
    layer2: toOutput(r.layers.y2[k], src.width, src.height),
  }), ['layer1', 'layer2']);
}

/** Video dehazing is the image recipe with J and t per frame (drift noise) and one A for the clip; iterations in total. */
export const VIDEO_DEHAZE_ITERATIONS = VIDEO_RECIPE.dehazeIterations;

/** Video dehazing: I_i = t_i J_i + (1 - t_i) A, J and t per frame (drift noise), A shared. */
export async function videoDehaze(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video dehaze', o);
  o = { ...o, size: o.size ?? VIDEO_RECIPE.dehazeSize }; // the recipe's size, also as the report's setting
  const src = asSource(frames);
  const size = dehazeSize(src.width, src.height, o.size);
  const given = o.airlight ? checkAirlight(o.airlight) : undefined;
  const estimates: [number, number, number][] = [];
  const input = await loadClip(src, size, (_small, _k, full) => { if (!given) estimates.push(airlightEstimate(full)); });
  // A0: the per-channel median of the frames' estimates, so one frame's white object cannot set it.
  const A0 = given ?? (Array.from(median(estimates.map((a) => colourImage(1, 1, a))).data) as [number, number, number]);
  // Each frame's hint is DCP's refined transmission for that A0, from the full frame (a second read).
  const tMaps: Image[] = [];
  for (let k = 0; k < src.count; k++) tMaps.push(dcpTransmissionMap(toRgb(await src.load(k)), A0, size));
  const K = src.count;
  const base = dehazing(input, A0, { ...o, iterations: o.iterations ?? VIDEO_DEHAZE_ITERATIONS }, tMaps, VIDEO_RECIPE.dehazeMatchUntil);
  const d = miniBatched({
    ...base,
    layers: base.layers.map((l) => perFrame(l, l.name === 'A' ? 'shared' : 'drift')),
    mixtures: Array(K).fill(base.mixtures[0]),
  }, K, o);
  let airlight: Image | undefined;
  return trainVideo('video-dehaze', src, d, size, o, ({ r }) => ({
    A0: A0.map((v) => Math.round(v * 1e4) / 1e4), airlightEstimator: given ? 'given' : 'dark channel: brightest pixel of the 0.1% haziest, median over frames',
    airlight: channelMeans(r.layers.A[0]).map((v) => Math.round(v * 1e4) / 1e4),
  }), ({ r }, k, full): Record<string, Image> => {
    const jNet = toOutput(r.layers.J[k], src.width, src.height);
    const t = toOutput(r.layers.t[k], src.width, src.height);
    airlight ??= toOutput(r.layers.A[0], src.width, src.height); // one map for the clip: upsampled once
    if (!full) return { dehazed: jNet, transmission: t, airlight };
    // As the image task (and the authors): t refined at full resolution by the frame, J* solved from it.
    return { ...solveScene(toRgb(full), t, airlight), airlight, 'J-net': jNet };
  }, ['dehazed', 'transmission']);
}

export type VideoMode = 'segment' | 'separate' | 'dehaze';
export const VIDEO_TASKS: Record<VideoMode, (f: Image[] | FrameSource, o?: VideoOptions) => Promise<VideoResult>> = {
  segment: videoSegment, separate: videoSeparate, dehaze: videoDehaze,
};

/** Mean |m_{i+1} - m_i| over pixels and frame pairs (temporal flicker of a mask sequence). */
export function flicker(masks: Image[]): number {
  if (masks.length < 2) return 0;
  let s = 0, n = 0;
  for (let i = 1; i < masks.length; i++) {
    const a = masks[i - 1].data, b = masks[i].data;
    for (let j = 0; j < a.length; j++) s += Math.abs(b[j] - a[j]);
    n += a.length;
  }
  return s / n;
}
