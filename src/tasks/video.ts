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
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { colourImage, median, type Image } from '../image/image.js';
import { resizeImage, toRgb } from '../image/resize.js';
import { airlightEstimate, dcpTransmissionMap, dehazing, solveScene } from './dehaze.js';
import { checkAirlight } from '../image/dcp.js';
import { imageToTensor } from '../core/images.js';
import type { Decomposition, LayerSpec, Phase } from '../core/spec.js';
import type { HistoryPoint, TrainResult } from '../core/trainer.js';
import { readImage } from '../io/image-file.js';
import { saliencyHintsFor } from '../image/hints.js';
import { cutMask, leanOnHints, refineMask, threshold } from '../image/mask.js';
import { GROWN_HINTS_AFTER, hintImage, segmentation, workingHints } from './segment.js';
import { separation } from './separate.js';
import { DEFAULT_SIZE, deviceOf, disposeResult, makeReport, runDecomposition, scalePhases, toOutput, workingSize,
  type Report, type TaskOptions } from './common.js';
import { MAX_FRAMES, checkImage, checkOptions } from './options.js';

export { MAX_FRAMES };
/** Frames per training iteration. */
export const DEFAULT_BATCH = 4;

/** Frames to decompose, loaded one at a time. */
export interface FrameSource {
  count: number;
  width: number;
  height: number;
  load(k: number): Promise<Image>;
}

export interface VideoOptions extends TaskOptions {
  /** Frames per iteration (default 4); the whole clip when it is shorter. */
  batch?: number;
  /**
   * Segmentation hints: each frame's own saliency (default), the first frame's for all frames, or none.
   * bench/quality-video (horse / truck): colour-grown hints, 'each' IoU 0.271 / 0.255, 'first' 0.174 on the horse;
   * GrabCut-grown hints from each full frame (now), 'each' 0.755 / 0.195 (per-frame segment() 0.761 / 0.194);
   * with the masks binarised by a cut (image/mask.ts) 0.788 / 0.194 (per-frame 0.787 / 0.194).
   */
  hints?: 'first' | 'each' | 'none';
  /** Segmentation: grow the saliency hints by GrabCut, as the single-image task does (default true). */
  growHints?: boolean;
  /** Dehazing: a known airlight colour in [0, 1], used as A0 for the whole clip instead of the frames' median estimate. */
  airlight?: [number, number, number];
}

export interface VideoResult {
  task: string;
  count: number;
  /** Output folders, in order. */
  folders: string[];
  /** Frame k of every folder at the input resolution. `input` is the original frame k (used to refine masks). */
  frame(k: number, input?: Image): Record<string, Image>;
  report: Report;
  history: HistoryPoint[];
  /** Frees the working-size outputs. */
  dispose(): void;
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

/** Frames as image files (readFrames' paths), read when needed. */
export function fileFrames(paths: string[], width: number, height: number): FrameSource {
  checkFrameCount(paths.length);
  return {
    count: paths.length, width, height,
    load: async (k) => {
      const img = await readImage(paths[k]);
      if (img.width !== width || img.height !== height)
        throw new Error(`All frames must have one size: "${paths[k]}" is ${img.width}x${img.height}, the first frame is ${width}x${height}.`);
      return img;
    },
  };
}

const asSource = (frames: Image[] | FrameSource): FrameSource => (Array.isArray(frames) ? imageFrames(frames) : frames);

/** Reads every frame once, keeping only its working-size copy: K x 3 x h x w. `each` sees the small frame. */
async function loadClip(src: FrameSource, size: { width: number; height: number }, device: string,
  each?: (small: Image, k: number, full: Image) => void): Promise<Tensor> {
  const parts: Tensor[] = [];
  try {
    for (let k = 0; k < src.count; k++) {
      const full = await src.load(k);
      const small = resizeImage(full, size.width, size.height);
      each?.(small, k, full);
      parts.push(torch.keep(imageToTensor(small, device)));
    }
    return torch.keep(torch.tidy(() => torch.cat(parts, 0)));
  } finally {
    torch.dispose(parts);
  }
}

/** Stacks 1-channel host images into K x 1 x h x w. */
const stackMaps = (maps: Image[], device: string): Tensor =>
  torch.keep(torch.tidy(() => torch.cat(maps.map((m) => imageToTensor(m, device)), 0)));

/** Mini-batching: no best-iterate (PSNRs of different batches do not compare), no early stop on one batch. */
function miniBatched(d: Decomposition, K: number, o: VideoOptions): Decomposition {
  const batch = Math.min(o.batch ?? DEFAULT_BATCH, K);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${o.batch}`);
  const whole = batch >= K;
  return { ...d, batch, keepBest: whole, phases: whole ? d.phases : d.phases.map(({ stopAbovePsnr: _, ...p }): Phase => p) };
}

const perFrame = (l: LayerSpec, perInput: 'drift' | 'shared' | 'independent'): LayerSpec =>
  ({ ...l, noise: { ...l.noise, perInput } });

interface Run { d: Decomposition; r: TrainResult; size: { width: number; height: number }; K: number }

async function trainVideo(task: string, src: FrameSource, d: Decomposition, size: { width: number; height: number }, o: VideoOptions,
  extra: (run: Run) => Record<string, unknown>, frame: (run: Run, k: number, input?: Image) => Record<string, Image>,
  folders: string[], toFree: unknown[]): Promise<VideoResult> {
  const K = src.count;
  try {
    const r = await runDecomposition(d, o);
    const run = { d, r, size, K };
    const pseudo = { width: src.width, height: src.height, channels: 3, data: new Float32Array(0) };
    const report = makeReport(task, [pseudo], size, r, d, o, {
      frames: K, batch: d.batch, secondsPerFrame: Math.round((r.seconds / K) * 1000) / 1000, ...extra(run),
    });
    return {
      task, count: K, folders, report, history: r.history,
      frame: (k, input) => frame(run, k, input),
      dispose: () => disposeResult(r),
    };
  } finally {
    torch.dispose(toFree as never);
  }
}

/** Fg/bg video segmentation (eq. 4-5). Writes mask, foreground, background per frame. */
export async function videoSegment(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video segment', o);
  const src = asSource(frames);
  const device = deviceOf(o);
  const size = workingSize(src.width, src.height, o.size ?? DEFAULT_SIZE, 8, 64);
  const mode = o.hints ?? 'each', grow = o.growHints ?? true;
  const fgs: Image[] = [], bgs: Image[] = [];
  const input = await loadClip(src, size, device, (_small, k, full) => {
    if (mode === 'each' || (mode === 'first' && k === 0)) {
      // Saliency on the full frame, as the single-image task: its filters are scale-dependent.
      const h = workingHints(full, saliencyHintsFor(full), size, grow);
      fgs.push(h.fg);
      bgs.push(h.bg);
    }
  });
  const K = src.count;
  let d: Decomposition;
  let given: Tensor[] = [];
  if (mode === 'none') {
    const base = segmentation(input, input, input, { ...o, iterations: undefined }); // hint maps unused below
    d = { ...base, given: undefined, phases: scalePhases([{ ...base.phases[1], name: 'joint',
      iterations: base.phases.reduce((n, p) => n + p.iterations, 0),
      terms: base.phases[1].terms.filter((t) => t.kind !== 'hint-reconstruction' && t.kind !== 'match') }], o.iterations) };
    torch.dispose([base.given?.maskHint, base.given?.hinted]); // made from the stand-in maps; the others are the input
  } else {
    // 'first': 1 x 1 x h x w maps broadcast to every frame; 'each': K x 1 x h x w.
    given = [stackMaps(fgs, device), stackMaps(bgs, device)];
    d = segmentation(input, given[0], given[1], { ...o, hintsAfter: grow ? GROWN_HINTS_AFTER : 0 });
  }
  d = miniBatched({
    ...d,
    layers: d.layers.map((l) => perFrame(l, 'drift')),
    mixtures: Array(K).fill(d.mixtures[0]),
  }, K, o);
  return trainVideo('video-segment', src, d, size, o, () => ({ hints: mode, grownHints: mode !== 'none' && grow }), ({ r }, k, full) => {
    const out = (t: Tensor) => toOutput(t, src.width, src.height);
    const soft = out(r.layers.mask[k]);
    const refined = full ? refineMask(full, soft) : soft;
    // Each frame's own hints settle what its mask is unsure of (not the first frame's: the object moves).
    const hinted = mode === 'each' ? leanOnHints(refined, hintImage({ fg: fgs[k], bg: bgs[k], source: 'saliency' })) : refined;
    return {
      mask: full ? cutMask(full, hinted) : threshold(hinted),
      foreground: out(r.layers.foreground[k]),
      background: out(r.layers.background[k]),
    };
  }, ['mask', 'foreground', 'background'], [input, ...given, d.given?.maskHint, d.given?.hinted]);
}

/** Video transparency separation (eq. 7): dynamic layer1, static layer2, per-frame coefficient. */
export async function videoSeparate(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video separate', o);
  const src = asSource(frames);
  const device = deviceOf(o);
  const size = workingSize(src.width, src.height, o.size ?? DEFAULT_SIZE, 32, 128);
  const input = await loadClip(src, size, device);
  const K = src.count;
  const base0 = separation(input, 'two', { ...o, iterations: undefined });
  const base = { ...base0, phases: scalePhases(base0.phases, o.iterations) }; // y1, y2, m (one coefficient per input); I_k = m_k y1 + (1 - m_k) y2
  const d = miniBatched({
    ...base,
    layers: base.layers.map((l) => perFrame(l, l.name === 'y1' ? 'drift' : l.name === 'y2' ? 'shared' : K > 1 ? 'independent' : 'shared')),
  }, K, o);
  const coefficients = ({ r }: Run) => r.layers.m.map((t) => Math.round(t.item() * 1e4) / 1e4);
  return trainVideo('video-separate', src, d, size, o, (run) => ({ coefficients: coefficients(run) }), ({ r }, k) => ({
    layer1: toOutput(r.layers.y1[k], src.width, src.height),
    layer2: toOutput(r.layers.y2[k], src.width, src.height),
  }), ['layer1', 'layer2'], [input]);
}

/**
 * Video dehazing is the image recipe (dehaze.ts: J, t and a coarse airlight map A, A pulled to A0,
 * t to the dark channel prior's refined transmission, the dark channel prior on J) with J and t
 * per frame from shared DIPs fed drifting noise and one A for the clip. Iterations in total; each
 * draws a mini-batch of frames. bench/quality-video haze case (6 frames, 160 x 128): 20.20 dB,
 * SSIM 0.905 (20.03 / 0.903 with the dark channel prior counted everywhere, 2 threads; DCP frame by frame
 * 20.68 / 0.904, hazy input 14.64); the recipe this replaced (A a
 * learned colour, t's prior unrefined and let go after 300 iterations, no dark channel prior)
 * 16.60 / 0.84. The image recipe on one of these frames alone: 20.84 dB.
 */
export const VIDEO_DEHAZE_ITERATIONS = 2000;

/** Video dehazing: I_i = t_i J_i + (1 - t_i) A, J and t per frame (drift noise), A shared. */
export async function videoDehaze(frames: Image[] | FrameSource, o: VideoOptions = {}): Promise<VideoResult> {
  checkOptions('video dehaze', o);
  const src = asSource(frames);
  const device = deviceOf(o);
  const size = workingSize(src.width, src.height, o.size ?? DEFAULT_SIZE, 32, 64);
  const given = o.airlight ? checkAirlight(o.airlight) : undefined;
  const estimates: [number, number, number][] = [];
  const input = await loadClip(src, size, device, (_small, _k, full) => { if (!given) estimates.push(airlightEstimate(full)); });
  // A0: the per-channel median of the frames' estimates, so one frame's white object cannot set it.
  const A0 = given ?? (Array.from(median(estimates.map((a) => colourImage(1, 1, a))).data) as [number, number, number]);
  // Each frame's hint is DCP's refined transmission for that A0, from the full frame (a second read).
  const tMaps: Image[] = [];
  for (let k = 0; k < src.count; k++) tMaps.push(dcpTransmissionMap(toRgb(await src.load(k)), A0, size));
  const K = src.count;
  const tHint = stackMaps(tMaps, device);
  const base = dehazing(input, A0, { ...o, iterations: o.iterations ?? VIDEO_DEHAZE_ITERATIONS }, tHint);
  const d = miniBatched({
    ...base,
    layers: base.layers.map((l) => perFrame(l, l.name === 'A' ? 'shared' : 'drift')),
    mixtures: Array(K).fill(base.mixtures[0]),
  }, K, o);
  let airlight: Image | undefined;
  return trainVideo('video-dehaze', src, d, size, o, ({ r }) => ({
    A0: A0.map((v) => Math.round(v * 1e4) / 1e4), airlightEstimator: given ? 'given' : 'dark channel: brightest pixel of the 0.1% haziest, median over frames',
    airlight: Array.from(torch.tidy(() => r.layers.A[0].mean([0, 2, 3]).toFloat32Array()), (v) => Math.round(v * 1e4) / 1e4),
  }), ({ r }, k, full): Record<string, Image> => {
    const jNet = toOutput(r.layers.J[k], src.width, src.height);
    const t = toOutput(r.layers.t[k], src.width, src.height);
    airlight ??= toOutput(r.layers.A[0], src.width, src.height); // one map for the clip: upsampled once
    if (!full) return { dehazed: jNet, transmission: t, airlight };
    // As the image task (and the authors): t refined at full resolution by the frame, J* solved from it.
    return { ...solveScene(toRgb(full), t, airlight), airlight, 'J-net': jNet };
  }, ['dehazed', 'transmission'], [input, tHint]);
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
