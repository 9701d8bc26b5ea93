// Watermark removal (paper section 6):  I = m * W + (1 - m) * C
//  one image:  the user marks the watermark region h (a box or a hint mask); the mask is zero
//              outside it, so there I = C and the clean DIP learns the image from the outside
//              first (hint step), then the whole model explains the region. W is a given
//              colour (white unless told): one image cannot tell a dim white mark from a strong
//              coloured one. Final image: the input outside h; inside, C solved from I, m and W,
//              m first held to what the input allows (opacityBound), clipped at the mark's one
//              opacity level (opacityLevel), kept only near the mark's core (keepNearCore), its
//              core set to the level (fillCore) and made to follow its edges (followMarkEdges).
//  several images sharing one mark: I_k = m * W + (1 - m) * C_k with m and W shared, so what
//              repeats across the images is the mark; no hint needed. Beyond the authors'
//              code: an exclusion loss between the clean layers and a sparsity cost on m
//              (WATERMARK_DEFAULTS), without which the clean layers keep the mark.
// The reference repeats each run 3 times and takes a per-pixel median of the outputs: `runs`,
// default 3 for one image (the median spares a bad seed; see ONE_IMAGE_RUNS), 1 for several (9 minutes each).
import { colourImage, createImage, crop, mapPixels, median, paste, type Image, type Rect } from '../image/image.js';
import { constantImage, forEachStrip, mapRows, rowsOf } from '../image/lazy-image.js';
export { median }; // the runs' per-pixel median
import { resizeImage, toRgb } from '../image/resize.js';
import type { LayerSpec, Mixture, Term } from '../core/spec.js';
import { repeat, run, type Plan } from '../core/run.js';
import { makeReport } from '../core/report.js';
import { workingSize } from '../core/working-size.js';
import { boxMask, type Box } from './hints.js';
import { recoverScene } from './dcp.js';
import { dilate, open } from '../image/morphology.js';
import { guidedFilter } from '../image/guided-filter.js';
import { DEFAULT_SEED, DEFAULT_SIZE, assertSameSize, scalePhases, toOutput, type TaskOptions, type TaskResult } from './common.js';
import { OptionError, checkImage, checkOptions } from './options.js';

export interface WatermarkOptions extends TaskOptions {
  /** One image: a box around the mark, in pixels of the input. Not with `hint`; one image needs one of them. */
  box?: Box;
  /** One image: a mask at the image's size, white = the mark's region. Not with `box`. */
  hint?: Image;
  /** Independent runs, 1-9 (seeds seed, seed + 1, ...), combined by a per-pixel median. Default: 3 for one image, 1 for several. */
  runs?: number;
  /** Weight (0-1000) of the L1 cost on the opacity m. Default 0.05. */
  sparsity?: number;
  /** Weight (0-1000) of the exclusion loss: clean vs W (one image), every pair of clean layers (several images). Default: 0 for one image, 0.1 for several. */
  exclusion?: number;
  /**
   * 'solved' (default) takes the learned mark m * W and solves each clean image from its input,
   * C_k = (I_k - m W) / (1 - m); 'net' takes the clean DIPs' outputs (the authors' code).
   */
  clean?: 'solved' | 'net';
  /**
   * The mark's colour W, RGB in 0..1, or 'learn' (a DIP image, the authors'). Default: white for
   * one image, where a dim white mark and a strong coloured one explain the image equally well
   * (measured: the learned W drifts to the photo's colours); 'learn' for several, which pin it down.
   */
  markColour?: [number, number, number] | 'learn';
  /**
   * One image: 'uniform' (default) takes the mark to have one opacity, the mode of the learned
   * opacity's histogram (opacityLevel): the opacity is held within what the input allows
   * (opacityBound), clipped at the level, dropped away from the mark's core (keepNearCore), set to
   * the level in the core (fillCore) and made to follow the mark's edges (followMarkEdges); 'free'
   * keeps it as learned.
   */
  opacity?: 'uniform' | 'free';
}

/**
 * Reference: 4000 + 7000 (one image), 4000 (several). Measured at 256 px on this 2-core VM,
 * bench:speed on two idle cores: 0.08 s per iteration for one image (C + D, W given), 0.27 s for
 * three (3 x C + 2 x B), so these defaults take ~3 and ~9 minutes.
 * (First measured at 4.6 / 7.0 CPU-s per iteration with the machine's load at 10-15.)
 * --iterations N scales both phases. Several images (bench/quality-dehaze-watermark, PSNR inside
 * the mark, clean DIP outputs / solved): 1200 iterations 28.6-29.8 / 28.9-30.2 dB, 2000 iterations
 * 30.2-30.9 / 30.5-31.1 with 2 threads, 30.3-30.7 / 31.9-32.4 with 1 (~12 minutes on two cores).
 */
export const WATERMARK_ITERATIONS = { hint: 700, joint: 1300, multi: 2000 };
/**
 * Recipe weights. sparsity: L1 cost on the opacity m. exclusion: one image, between the clean
 * layer and W; several images, between every pair of clean layers (edges that all the images
 * share are the mark's, so they are pushed into m * W). The authors' code has neither term for
 * several images (0, 0 restores it). Measured on bench/quality-dehaze-watermark (three images,
 * PSNR inside the mark, input 19.2-20.2 dB): reference 16.5-21.1 dB (the clean layers keep the
 * mark); exclusion 0.1 23.0-27.4; exclusion 0.1 + sparsity 0.05 29.1-29.7. One image, white mark
 * (input 19.9 dB): sparsity 0: 20.2 dB, 0.01: 21.1, 0.05: 25.3, 0.1: 24.8, 0.2: 21.9.
 */
export const WATERMARK_DEFAULTS = { single: { sparsity: 0.05, exclusion: 0 }, multi: { sparsity: 0.05, exclusion: 0.1 } };
/** Several images: where the mark adds less than this (m * W, or m for a given colour), the input pixel is kept. */
export const KEEP_BELOW = 0.1;
/**
 * One image, default runs: the median of 3, as the authors. Measured on the bench (PSNR inside the
 * mark, the current rules): the median of seeds 0-2 gives 30.88 dB; single runs, re-scored from
 * saved opacity maps, give 31.01, 28.77, 30.54, 31.51 for seeds 0-3 (mean 30.46). So the median
 * spares a bad seed (-1.7 dB) at three times the time; `runs: 1` is three times faster.
 */
export const ONE_IMAGE_RUNS = 3;
/** Solving C_k divides by 1 - m: where m is above this, the clean DIP's output is kept instead. */
export const SOLVE_BELOW = 0.9;
export const WHITE: [number, number, number] = [1, 1, 1];

/** Opacities at or below this are not counted when finding the mark's opacity level. */
export const OPACITY_FLOOR = 0.1;

/**
 * The mark's opacity level: the opacity that holds the most of the mark's total opacity, i.e.
 * the mode of the histogram of the opacities above OPACITY_FLOOR (bins of 0.02, smoothed 1-2-1)
 * with each pixel counted by its opacity; null if none is above the floor. Counting by opacity
 * keeps the many faint leaks just above the floor from outvoting the mark (unweighted, the mode
 * on the authors' fotolia demo was 0.13 where the letters are at ~0.43). A watermark is mostly
 * drawn at one opacity; what the learned opacity puts above that level is a bright image edge
 * taken for mark (the mask DIP's typical leak: a white rim or highlight fits a white mark), and
 * the solve turns it into a dark trace. Measured on the one-image bench (PSNR inside the mark):
 * one run 25.3 -> 26.8 dB, median of 3 runs 25.8 -> 27.6 (whole image 31.1 -> 32.8). A mark
 * drawn at several opacities needs `opacity: 'free'`.
 */
export function opacityLevel(alpha: Image, floor = OPACITY_FLOOR): number | null {
  const bin = 0.02, mass = new Float64Array(Math.ceil(1 / bin) + 1);
  let n = 0;
  for (const v of alpha.data) if (v > floor) { mass[Math.min(mass.length - 1, Math.floor(v / bin))] += v; n++; }
  if (n === 0) return null;
  let best = 0, bestValue = -1;
  for (let i = 0; i < mass.length; i++) {
    const v = (mass[i - 1] ?? 0) + 2 * mass[i] + (mass[i + 1] ?? 0);
    if (v > bestValue) { best = i; bestValue = v; }
  }
  return Math.min(1, (best + 0.5) * bin);
}

/** Opacity within this fraction of the level is the mark's core (see keepNearCore). */
export const CORE_FRACTION = 0.7;
/** A bold mark's strokes are at least this thick, in working-size pixels: thinner lines of core are traced edges (see keepNearCore, coreThickness). */
export const CORE_THICKNESS = 2;

/**
 * A mark drawn at one opacity is its core, the pixels at nearly that level, and an antialiased rim
 * about one pixel wide around it. Opacity farther than `rim` px from the core is image detail the
 * mask DIP took for mark (a faint veil over dark areas, a highlight or bright edge that a white
 * mark fits) and is dropped: the solve would turn it into a dark trace. Measured on one-image
 * cases (bench/quality-dehaze-watermark's and the same mark on other photos at opacities 0.3-0.6,
 * one run, PSNR inside the mark): coffee 26.8 -> 28.4 dB, fruits 27.2 -> 28.9, cat 27.7 -> 31.1;
 * core fraction 0.5 / 0.6 / 0.8 and a 2 px rim each scored lower on average.
 * The core is also opened by a `thickness` square: a line of "core" one pixel wide is the mask
 * DIP tracing an image edge (the cup's rim, a highlight), not a stroke. Re-scored from saved
 * opacity maps after opacityBound (PSNR inside the mark): coffee 29.82 -> 30.38 dB, snow
 * 26.83 -> 27.62, fruits 30.15 -> 30.53, astronaut 23.88 -> 24.11, cat 31.43 -> 31.44; coffee
 * seeds 0-3 mean 28.95 -> 29.73, each higher. A 3 px square cut letters' thin parts (cat -0.9).
 * A mark in a thin font is not opened (coreThickness).
 */
export function keepNearCore(alpha: Image, level: number, rim: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const near = dilate(markCore(alpha, level, fraction, thickness), 2 * rim + 1);
  return mapRows([alpha, near], 1, ([a, n], out) => { for (let i = 0; i < out.length; i++) out[i] = n[i] > 0.5 ? a[i] : 0; });
}

/** The share of the core that a `thickness` square must keep for the mark to count as drawn in thick strokes (see coreThickness). */
export const THICK_SHARE = 0.9;

/**
 * The size of the opening of the core: `thickness` if a square that size keeps at least
 * THICK_SHARE of the core (the mark is drawn in thick strokes, so a thinner line of core is an
 * image edge traced), else 1 (a thin font, whose strokes the opening would eat: on the authors'
 * fotolia demo, 2 px left "by Adobe" as a ghost). A 2 px square keeps 0.92-0.995 of the core on
 * the five bench photos (bold text at the working size) and 0.88 on fotolia.
 */
export function coreThickness(alpha: Image, level: number, thickness = CORE_THICKNESS, fraction = CORE_FRACTION): number {
  if (thickness <= 1) return 1;
  const count = (m: Image) => m.data.reduce((n, v) => n + (v > 0.5 ? 1 : 0), 0);
  const all = count(markCore(alpha, level, fraction, 1));
  return all > 0 && count(markCore(alpha, level, fraction, thickness)) >= THICK_SHARE * all ? thickness : 1;
}

/** The mark's core (1 / 0): opacity above `fraction` of the level, opened by a `thickness` square (see keepNearCore). */
export function markCore(alpha: Image, level: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const core = createImage(alpha.width, alpha.height, 1);
  forEachStrip(alpha, (y0, y1) => {
    const a = rowsOf(alpha, y0, y1);
    for (let i = 0; i < a.length; i++) core.data[y0 * alpha.width + i] = a[i] > fraction * level ? 1 : 0;
  });
  return open(core, thickness);
}

/**
 * The mark's core set to its one opacity, within the bound (opacityBound): the mask DIP learns a
 * letter's inside below the level where the image behind it is bright (there the mark changes
 * the input little and the sparsity cost on m wins), and the solve then leaves a ghost of it.
 * Measured after keepNearCore, re-scored from saved opacity maps (PSNR inside the mark): coffee
 * 30.38 -> 31.05 dB, cat 31.44 -> 34.70, and lower where the mask DIP took thick patches of the
 * image for core: snow 27.62 -> 27.10, fruits 30.53 -> 30.45, astronaut 24.11 -> 24.01 (mean of
 * the five 28.82 -> 29.46); coffee seeds 0-3 mean 29.73 -> 30.46, each higher. Filling only above
 * 0.8 or 0.9 of the level, or halfway to it, scored between the two.
 */
export function fillCore(alpha: Image, bound: Image, level: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const core = markCore(alpha, level, fraction, thickness);
  return mapRows([alpha, core, bound], 1, ([a, k, b], out) => { for (let i = 0; i < out.length; i++) out[i] = k[i] > 0.5 ? Math.min(level, b[i]) : a[i]; });
}

/**
 * The most opacity a mark of colour W can have at each pixel. I = a W + (1 - a) C with the clean
 * image C in [0, 1] gives, for every channel c, a <= I_c / W_c (C_c >= 0) and
 * a <= (1 - I_c) / (1 - W_c) (C_c <= 1). For a white mark: a <= min_c I_c, so a dark pixel cannot
 * hold a strong white mark. The mask DIP breaks this where it takes an image edge for mark (a
 * dark saucer rim beside a bright one); capped, such a pixel falls out of the mark's core and
 * keepNearCore drops it. Measured before keepNearCore on the five one-image cases of
 * bench/quality-dehaze-watermark (saved opacity maps re-scored, PSNR inside the mark): coffee
 * 29.01 -> 29.82 dB, astronaut 23.72 -> 23.88, the others +0.01-0.07; coffee seeds 0-3 mean
 * 28.55 -> 28.95.
 */
export function opacityBound(input: Image, colour: [number, number, number]): Image {
  return mapRows([input], 1, ([I], out) => {
    for (let i = 0; i < out.length; i++) {
      let bound = 1;
      for (let c = 0; c < 3; c++) {
        const v = I[i * 3 + c], w = colour[c];
        if (w > 0) bound = Math.min(bound, v / w);
        if (w < 1) bound = Math.min(bound, (1 - v) / (1 - w));
      }
      out[i] = Math.max(0, bound);
    }
  });
}

/** Guided-filter refinement of the opacity, in working-size pixels: radius, and eps (see followMarkEdges). */
export const EDGE_RADIUS = 2;
export const EDGE_EPS = 1e-4;

/**
 * The opacity made to follow the mark's edges as they show in the input: He et al.'s guided filter
 * with the input as guide (the filter was made for such feathering), so the mask DIP's blurred
 * rim, which the solve turns into a dark outline, snaps to the letters. Measured after
 * keepNearCore on bench/quality-dehaze-watermark's five one-image cases (wm1, wm1more; one run,
 * seed 0, PSNR inside the mark): coffee 28.37 -> 28.86, fruits 28.90 -> 29.90, cat 31.17 -> 31.71,
 * astronaut 22.51 -> 23.31, snow 25.57 -> 26.47 (marked input 26.03); radius 1 / 4 and eps
 * 1e-3 / 1e-2 scored lower on average when re-scored from the saved opacity maps.
 */
export function followMarkEdges(input: Image, alpha: Image, level: number, radius: number, eps = EDGE_EPS): Image {
  const out = guidedFilter(input, alpha, radius, eps);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(level, Math.max(0, out.data[i]));
  return out;
}

/** The mark colour a run uses: the option, or the default for one image (white) or several (learned). */
export function markColourFor(images: number, o: WatermarkOptions): [number, number, number] | 'learn' {
  const c = o.markColour ?? (images === 1 ? WHITE : 'learn');
  if (c !== 'learn' && !(Array.isArray(c) && c.length === 3 && c.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)))
    throw new Error(`markColour must be 'learn' or three numbers in 0..1 (RGB), got ${JSON.stringify(c)}`);
  return c;
}

/** W as a fixed map of one colour, for a mark whose colour is known. */
const colourMap = (like: Image, colour: [number, number, number]): Image => colourImage(like.width, like.height, colour);

/** The mark region as a 0/1 mask at the image's size, from a box or a hint image. */
export function markRegion(width: number, height: number, o: { box?: Box; hint?: Image }): Image {
  if (o.box && o.hint) throw new OptionError('ERR_OPTION_CONFLICT', 'hint', o.hint, (n) => `Give either ${n('box')} or ${n('hint')}, not both`);
  if (o.box) return boxMask(o.box, width, height);
  if (!o.hint) throw new OptionError('ERR_OPTION_MISSING', 'box', undefined,
    (n) => `One image needs the watermark region: give ${n('box')} or ${n('hint')} (or several images sharing the mark)`);
  const h = o.hint;
  if (h.width !== width || h.height !== height)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask is ${h.width}x${h.height} but the image is ${width}x${height}: draw the hint at the image's size.`);
  const inside = (rows: Float32Array, i: number) => {
    let v = 0;
    for (let c = 0; c < h.channels; c++) v += rows[i * h.channels + c];
    return v / h.channels > 0.5;
  };
  let n = 0;
  forEachStrip(h, (y0, y1) => {
    const rows = rowsOf(h, y0, y1);
    for (let i = 0; i < (y1 - y0) * width; i++) if (inside(rows, i)) n++;
  });
  if (n === 0) throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask has no white pixels: paint the watermark region white.`);
  if (n === width * height) throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask is white everywhere: paint only the watermark region white, the rest black.`);
  return mapRows([h], 1, ([rows], out) => { for (let i = 0; i < out.length; i++) out[i] = inside(rows, i) ? 1 : 0; });
}

/** The region at the working size, grown so that every pixel touching it counts as inside. */
function regionAt(region: Image, w: number, h: number): Image {
  const small = resizeImage(region, w, h);
  for (let i = 0; i < small.data.length; i++) small.data[i] = small.data[i] > 1e-3 ? 1 : 0;
  return small;
}

/** Config C makes the clean layers, D or B the mark: a working side of at least 96 px (C's 5x5 kernels at 5 levels). */
export const watermarkSize = (width: number, height: number, size = DEFAULT_SIZE) => workingSize(width, height, Math.max(96, size), ['C', 'D']);

export function singleWatermark(input: Image, region: Image, o: WatermarkOptions): Plan {
  const noise = { channels: 2, scale: 0.1 };
  const hint = { kind: 'hint-reconstruction', layer: 'clean', hint: 'outside' } as const;
  const colour = markColourFor(1, o);
  return {
    inputs: [input],
    layers: [
      { name: 'clean', net: 'C', channels: 3, noise },
      ...(colour === 'learn' ? [{ name: 'W', net: 'C', channels: 3, noise } satisfies LayerSpec] : []),
      { name: 'm', net: 'D', channels: 1, noise },
    ],
    given: { box: region, outside: mapPixels([region], ([r]) => 1 - r), ...(colour === 'learn' ? {} : { W: colourMap(input, colour) }) },
    mixtures: [{ kind: 'blend', mask: 'm', a: 'W', b: 'clean', maskWithin: 'box' }],
    phases: scalePhases([
      { name: 'hint', iterations: WATERMARK_ITERATIONS.hint, lr: 1e-3, terms: [hint] },
      { name: 'joint', iterations: WATERMARK_ITERATIONS.joint, lr: 1e-3, terms: [hint, { kind: 'reconstruction', metric: 'l1', weight: 0.5 },
        // A mark is thin and semi-transparent: without a cost on m, m -> 1 over whole patches lets
        // W copy the image there and leaves the clean layer unconstrained (measured: blobs).
        { kind: 'match', layer: 'm', target: 0, metric: 'l1', weight: o.sparsity ?? WATERMARK_DEFAULTS.single.sparsity },
        ...((o.exclusion ?? WATERMARK_DEFAULTS.single.exclusion) > 0
          ? [{ kind: 'exclusion', layers: ['clean', 'W'], weight: o.exclusion ?? WATERMARK_DEFAULTS.single.exclusion } satisfies Term] : [])] },
    ], o.iterations),
  };
}

export function multiWatermark(inputs: Image[], o: WatermarkOptions): Plan {
  const K = inputs.length;
  const noise = { channels: 2, scale: 0.1 };
  const clean = (k: number): LayerSpec => ({ name: `clean${k + 1}`, net: 'C', channels: 3, noise, inputs: [k] });
  const exclusion = o.exclusion ?? WATERMARK_DEFAULTS.multi.exclusion, sparsity = o.sparsity ?? WATERMARK_DEFAULTS.multi.sparsity;
  const colour = markColourFor(K, o);
  return {
    inputs,
    layers: [...Array.from({ length: K }, (_, k) => clean(k)),
      ...(colour === 'learn' ? [{ name: 'W', net: 'B', channels: 3, noise } satisfies LayerSpec] : []), { name: 'm', net: 'B', channels: 1, noise }],
    ...(colour === 'learn' ? {} : { given: { W: colourMap(inputs[0], colour) } }),
    mixtures: Array.from({ length: K }, (_, k): Mixture => ({ kind: 'blend', mask: 'm', a: 'W', b: `clean${k + 1}` })),
    phases: scalePhases([{ name: 'joint', iterations: WATERMARK_ITERATIONS.multi, lr: 1e-3, terms: [{ kind: 'reconstruction', metric: 'l1' },
      ...(sparsity > 0 ? [{ kind: 'match', layer: 'm', target: 0, metric: 'l1', weight: sparsity } satisfies Term] : []),
      ...(exclusion > 0 ? pairs(K).map(([i, j]): Term => ({ kind: 'exclusion', layers: [`clean${i + 1}`, `clean${j + 1}`], at: [i, j], weight: exclusion })) : [])] }], o.iterations),
  };
}

/** Every pair (i, j), i < j, of n items. */
function pairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  return out;
}

/** out = region ? b : a, per pixel (region 1-channel, a and b RGB of the same size); lazy. */
function composite(a: Image, b: Image, region: Image): Image {
  return mapRows([a, b, region], 3, ([A, B, R], out) => {
    for (let i = 0; i < R.length; i++) {
      const src = R[i] > 0.5 ? B : A;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = src[i * 3 + c];
    }
  });
}

/**
 * removeWatermark()'s images: the mark's colour (`watermark`) and opacity (`alpha`); one image: `clean`
 * (and `clean-net`, the DIP's output, when solved); several: `clean-1`, `clean-2`, ... (and `clean-K-net`).
 */
export type WatermarkResult = TaskResult<'watermark' | 'alpha'>;

export async function removeWatermark(images: Image[], o: WatermarkOptions = {}): Promise<WatermarkResult> {
  if (!Array.isArray(images) || images.length < 1) throw new Error('watermark needs at least one image');
  checkOptions('watermark', o, { images: images.length });
  images.forEach((img, i) => checkImage(img, `images[${i}]`));
  if (o.hint) checkImage(o.hint, 'hint');
  assertSameSize(images, images.map((_, i) => `image ${i + 1}`));
  markColourFor(images.length, o);
  let rgb = images.map(toRgb);
  const [whole] = rgb;
  let region = images.length === 1 ? markRegion(whole.width, whole.height, o) : null; // checks before any training
  // One image: only the mark's surroundings are processed, so the working size spends its pixels
  // on the mark (a thin mark shrunk with a whole large photo loses its edges) and the context.
  const context = region ? markContext(region) : null;
  if (context) { rgb = [crop(whole, context)]; region = crop(region!, context); }
  const runs = o.runs ?? (images.length === 1 ? ONE_IMAGE_RUNS : 1);
  const results = await repeat<TaskResult>(runs, o, 'run', (k, settings) =>
    watermarkRun(images, rgb, region, { ...o, ...settings, seed: (o.seed ?? DEFAULT_SEED) + k }));
  const result = results.length === 1 ? results[0] : medianOfRuns(results, o.seed ?? DEFAULT_SEED);
  return context ? toWholeImage(result, whole, context, markColourFor(1, o)) : result;
}

/** Runs combined by a per-pixel median of every output; the report counts every run. */
function medianOfRuns(results: TaskResult[], seed: number): TaskResult {
  const last = results[results.length - 1];
  return {
    ...last,
    images: Object.fromEntries(Object.keys(last.images).map((name) => [name, median(results.map((r) => r.images[name]))])),
    report: { ...last.report, seed, runs: results.length, runPsnr: results.map((r) => r.report.psnr),
      ...('opacityLevel' in last.report ? { opacityLevel: results.map((r) => r.report.opacityLevel) } : {}),
      iterations: results.reduce((n, r) => n + r.report.iterations, 0), seconds: Math.round(results.reduce((n, r) => n + r.report.seconds, 0) * 100) / 100 },
  };
}

/** Outputs of the processed part put back into the whole image: outside it, the input and no mark (a given mark colour fills it). */
function toWholeImage(r: TaskResult, whole: Image, context: Rect, colour: [number, number, number] | 'learn'): TaskResult {
  const base = (name: string, channels: number) => name.startsWith('clean') ? whole
    : constantImage(whole.width, whole.height, name === 'watermark' && colour !== 'learn' ? colour : Array(channels).fill(0));
  const images = Object.fromEntries(Object.entries(r.images).map(([name, img]) => [name, paste(base(name, img.channels), img, context.x, context.y)]));
  return { ...r, images, report: { ...r.report, processedRegion: context } };
}

/**
 * The part of the image processed for one image and its mark region: the region's bounding box
 * grown by half its longer side (at least 32 px) on every side, within the image. The clean DIP
 * learns the photo from this surrounding context.
 */
export function markContext(region: Image): Rect {
  const { width, height } = region;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  forEachStrip(region, (top, bottom) => {
    const rows = rowsOf(region, top, bottom);
    for (let y = top; y < bottom; y++) for (let x = 0; x < width; x++) {
      if (rows[(y - top) * width + x] <= 0.5) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  });
  const margin = Math.max(32, Math.ceil(Math.max(x1 - x0 + 1, y1 - y0 + 1) / 2));
  const x = Math.max(0, x0 - margin), y = Math.max(0, y0 - margin);
  return { x, y, width: Math.min(width, x1 + 1 + margin) - x, height: Math.min(height, y1 + 1 + margin) - y };
}

/**
 * I = m W + (1 - m) C  =>  C = (I - m W) / (1 - m), clipped to [0, 1], at full resolution: the
 * shared mark is what three images pin down well, and the solve keeps the photo's own detail,
 * which the clean DIP blurs. It is the haze model's inversion with t = 1 - m and A = W. Where
 * m > SOLVE_BELOW the division amplifies noise: `net` there.
 */
export function solveClean(input: Image, alpha: Image, mark: Image, net: Image): Image {
  // Lazy, as recoverScene: solved a strip of rows at a time when read.
  const t = mapRows([alpha], 1, ([a], out) => { for (let i = 0; i < out.length; i++) out[i] = 1 - a[i]; });
  const solved = recoverScene(input, t, mark, 1 - SOLVE_BELOW);
  return mapRows([solved, alpha, net], 3, ([C, a, N], out) => {
    out.set(C);
    for (let i = 0; i < a.length; i++) if (a[i] > SOLVE_BELOW) for (let c = 0; c < 3; c++) out[i * 3 + c] = N[i * 3 + c];
  });
}

/** min(a, b) per pixel, images of one size; lazy. */
function atMost(a: Image, b: Image): Image {
  return mapRows([a, b], a.channels, ([x, y], out) => { for (let i = 0; i < out.length; i++) out[i] = Math.min(x[i], y[i]); });
}

/** a * b per pixel, b 1-channel; lazy. */
function times(a: Image, b: Image): Image {
  return mapRows([a, b], 1, ([x, y], out) => { for (let i = 0; i < out.length; i++) out[i] = x[i] * y[i]; });
}

/** One training run on the already checked inputs. */
async function watermarkRun(images: Image[], rgb: Image[], region: Image | null, o: WatermarkOptions): Promise<TaskResult> {
  const [first] = rgb;
  const { width, height } = first;
  const size = watermarkSize(width, height, o.size);
  const inputs = rgb.map((img) => resizeImage(img, size.width, size.height));
  const plan = region ? singleWatermark(inputs[0], regionAt(region, size.width, size.height), o) : multiWatermark(inputs, o);
  const r = await run(plan, o);
  const out = (img: Image) => toOutput(img, width, height);
  const outImages: Record<string, Image> = {};
  const colour = markColourFor(images.length, o);
  // Full-resolution images are lazy (made a strip at a time when read) but alpha, made whole
  // once it is worked on (one channel).
  const mark = colour === 'learn' ? out(r.layers.W[0]) : constantImage(width, height, colour);
  let alpha = out(r.layers.m[0]);
  const solved = (o.clean ?? 'solved') === 'solved';
  let level: number | null = null;
  if (region) {
    alpha = times(alpha, region);
    const uniform = (o.opacity ?? 'uniform') === 'uniform';
    const bound = uniform && colour !== 'learn' ? opacityBound(first, colour) : constantImage(width, height, [1]);
    if (uniform) {
      alpha = atMost(alpha, bound);
      level = opacityLevel(alpha);
    }
    if (level !== null) {
      // Sizes are in pixels of the working size, where m was learned.
      const px = width / size.width;
      const thickness = coreThickness(alpha, level, Math.max(CORE_THICKNESS, Math.round(CORE_THICKNESS * px)));
      const kept = keepNearCore(alpha, level, Math.max(1, Math.round(px)), CORE_FRACTION, thickness);
      alpha = followMarkEdges(first, fillCore(kept, bound, level, CORE_FRACTION, thickness), level, Math.max(1, Math.round(EDGE_RADIUS * px)));
      alpha = times(alpha, region); // the filter reaches past the region's edge
    }
    const net = out(r.layers.clean[0]);
    outImages.clean = composite(first, solved ? solveClean(first, alpha, mark, net) : net, region);
    if (solved) outImages['clean-net'] = composite(first, net, region);
  } else {
    // Where the mark adds little, the input pixel is kept untouched: m * W for a learned W (as the
    // reference; away from the mark a learned W goes dark, so m alone there would measure leaks),
    // m alone for a given colour (a dark mark changes the image as much as a bright one).
    const marked = mapRows([alpha, mark], 1, ([a, M], out) => {
      for (let i = 0; i < out.length; i++) {
        const w = colour === 'learn' ? (M[i * 3] + M[i * 3 + 1] + M[i * 3 + 2]) / 3 : 1;
        out[i] = a[i] * w >= KEEP_BELOW ? 1 : 0;
      }
    });
    rgb.forEach((img, k) => {
      const net = out(r.layers[`clean${k + 1}`][k]);
      outImages[`clean-${k + 1}`] = composite(img, solved ? solveClean(img, alpha, mark, net) : net, marked);
      if (solved) outImages[`clean-${k + 1}-net`] = composite(img, net, marked);
    });
  }
  outImages.watermark = mark;
  outImages.alpha = alpha;
  const report = makeReport('watermark', images, size, r, plan, { ...o, size: o.size ?? DEFAULT_SIZE }, {
    mode: region ? (o.box ? 'box' : 'hint') : 'multi',
    box: o.box ?? null,
    clean: o.clean ?? 'solved', markColour: colour,
    ...(region ? { opacity: o.opacity ?? 'uniform', opacityLevel: level } : { keptBelow: KEEP_BELOW }),
    recipe: { ...WATERMARK_DEFAULTS[region ? 'single' : 'multi'], ...(o.sparsity !== undefined ? { sparsity: o.sparsity } : {}),
      ...(o.exclusion !== undefined ? { exclusion: o.exclusion } : {}) },
  });
  return { task: 'watermark', images: outImages, report, history: r.history };
}
