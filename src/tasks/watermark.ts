// Watermark removal (paper section 6):  I = m * W + (1 - m) * C
//  one image:  the user marks the watermark region h (a box or a hint mask); the mask is zero
//              outside it, so there I = C and the clean DIP learns the image from the outside
//              first (hint step), then the whole model explains the region. W is a given
//              colour (white unless told): one image cannot tell a dim white mark from a strong
//              coloured one. Final image: the input outside h; inside, C solved from I, m and W,
//              m first held to what the input allows (opacityBound), clipped at the mark's one
//              opacity level (opacityLevel), kept only near the mark's core (keepNearCore), its
//              core set to the level (fillCore) and made to follow its edges (followMarkEdges);
//              these heuristics are src/image/opacity.ts, the solve src/image/solve.ts.
//  several images sharing one mark: I_k = m * W + (1 - m) * C_k with m and W shared, so what
//              repeats across the images is the mark; no hint needed. Beyond the authors'
//              code: an exclusion loss between the clean layers and a sparsity cost on m
//              (WATERMARK_DEFAULTS), without which the clean layers keep the mark. The clean
//              images are solved with the mark refit as one colour (mark-refit.ts).
// The reference repeats each run 3 times and takes a per-pixel median of the outputs: `runs`,
// default 3 for one image (the median spares a bad seed; see ONE_IMAGE_RUNS), 1 for several (~3.5 minutes each on two cores).
import { colourImage, crop, mapPixels, median, paste, type Image, type Rect } from '../image/image.js';
import { constantImage, mapRows } from '../image/lazy-image.js';
export { median }; // the runs' per-pixel median
import { resizeImage, toRgb } from '../image/resize.js';
import type { LayerSpec, Mixture, Term } from '../core/spec.js';
import { repeat, run, type Plan } from '../core/run.js';
import { makeReport } from '../core/report.js';
import { workingSize } from '../core/working-size.js';
import { REGION_HINT_LEVELS, boxMask, readHintMask, type Box } from '../image/hints.js';
import { markContext } from '../image/mask.js';
import { implausibleOpacity, judge, markRemains, nothingRemoved, unexplainedChange } from '../image/checks.js';
import { CORE_FRACTION, CORE_THICKNESS, EDGE_RADIUS, OPACITY_FLOOR, coreThickness, fillCore, followMarkEdges, keepNearCore, opacityBound, opacityLevel } from '../image/opacity.js';
import { atMost, composite, multiply as times } from '../image/pixel.js';
import { solveClean } from '../image/solve.js';
import { fitMark, markColours, opacityFor, type MarkFit } from '../image/mark-refit.js';
import { withInputDetail } from '../image/input-detail.js';
import { assertBoxInside } from './hints.js';
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
   * 'solved' takes the learned mark m * W and solves each clean image from its input,
   * C_k = (I_k - m W) / (1 - m); 'net' takes the clean DIPs' outputs (the authors' code);
   * 'refit' (several images) first refits the mark as one colour (two where the learned colours
   * fall in two clusters) with a per-pixel opacity, fitted to every image at once, then solves
   * (with a given markColour, only the opacity is refit). Default: 'refit' for several images
   * whose mark colour is learned, 'solved' otherwise. A mark of many colours may need 'solved'.
   */
  clean?: 'solved' | 'net' | 'refit';
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

/** Every tuned number of the watermark recipes (echoed in report.json); measurements in docs/benchmarks.md, "Watermark removal". */
export const WATERMARK_RECIPE = {
  /**
   * Iterations: one image's hint and joint phases, several images (reference: 4000 + 7000, 4000). Several: 1500, for
   * issue 22's 3x; against 2000 the dev set's check half 31.87 -> 31.77 dB, tuning 37.92 -> 37.35, every row far above
   * the baseline's ("Several images in 1500 iterations").
   */
  iterations: { hint: 700, joint: 1300, multi: 1500 },
  /** Adam's learning rate (the reference's). */
  lr: 1e-3,
  /** One image: weight of the reconstruction (L1) in the joint phase (the reference's). */
  reconstruction: 0.5,
  /** sparsity: L1 cost on the opacity; exclusion: clean vs W (one image), every pair of clean layers (several). */
  weights: { single: { sparsity: 0.05, exclusion: 0 }, multi: { sparsity: 0.05, exclusion: 0.1 } },
  /** Several images: where the mark's opacity m is under this, the input pixel is kept (m, not the reference's m * W: a dark mark was kept whole). */
  keepBelow: 0.1,
  /**
   * Several images, `clean: 'refit'` (the default): rounds of fitting the colours and the opacity in turn; colours from
   * pixels of opacity >= minOpacity (a faint one says little of them); two colours when the learned ones fall in two
   * clusters the smaller of which holds >= minShare (tuning half: a red mark's stray dark cluster at 0.30 gains from two,
   * at 0.12 loses) and whose centres are minDistance apart (one colour's noise splits into near ones). Dev set, check
   * half 27.28 -> 29.84 dB (docs/benchmarks.md, "Watermark, several images: the mark refit as one colour").
   * robust: the final opacity fitted to the images' residual norms, not their squares (an image whose clean DIP is
   * wrong at a pixel no longer drags it): every dev, bench and held-back row gains or holds, check half 31.32 -> 31.87
   * dB; flat for eps 1e-5..1e-3 and 2-10 rounds ("The opacity fitted robustly").
   */
  refit: { rounds: 10, minOpacity: 0.3, minShare: 0.2, minDistance: 0.3, robust: { rounds: 5, eps: 1e-4 },
    /**
     * The clean layers given the input's detail around the mark before the opacity fit (input-detail.ts), Gaussian sigma in
     * input pixels: chosen on the tuning half (sigma 0 / 1 / 2 / 3 / 4: 37.35 / 37.37 / 37.98 / 37.81 / 37.63 dB); check half
     * 31.77 -> 32.26, held back 31.75 -> 32.67, bench 33.41 -> 34.58; 15 of 16 rows gain ("the clean layers given the input's detail").
     */
    detailSigma: 2 },
  /** One image, default runs: the median of 3 spares a bad seed (as the authors). */
  oneImageRuns: 3,
  /** Under this share of the region (several images: the image) at opacity OPACITY_FLOOR or more, nothing was removed (checks.ts; a mark's strokes cover several % of a box around it). */
  minMarkedShare: 0.002,
  /** One image: a clean image whose luminance follows the opacity at least this many times as strongly as the input's is no better than the input (checks.ts, markRemains). */
  maxMarkCorrelationRatio: 1,
  /** One image: a pixel changed by more than its opacity plus this cannot be the mark's doing; over maxUnexplainedShare of the region, the result is invented (checks.ts). */
  unexplainedTolerance: 0.02,
  maxUnexplainedShare: 0.01,
  /** One image: a mark's opacity level outside this range is no mark removed (checks.ts, implausibleOpacity; dev set, 24 runs: rows below the input 14 -> 0, one white mark refused). */
  opacityLevelRange: [0.25, 0.9] as const,
  /** One image: when a check fires, return the input as the clean image (the attempt as clean-attempt); the dev set's false-alarm rate decides. */
  inputWhenDoubtful: true,
  /** Config C for the clean layers, D (one image) or B (several) for the mark; working side at least 96 px. */
  minSize: 96,
  /** Several images: the working size unless --size (2.4x fewer pixels than 256; with the refit, m is solved per pixel at full resolution: dev set, docs/benchmarks.md, "Several images at 160 px"). */
  multiSize: 160,
};

export const WATERMARK_ITERATIONS = WATERMARK_RECIPE.iterations;
export const WATERMARK_DEFAULTS = WATERMARK_RECIPE.weights;
export const KEEP_BELOW = WATERMARK_RECIPE.keepBelow;
export const ONE_IMAGE_RUNS = WATERMARK_RECIPE.oneImageRuns;
export const WHITE: [number, number, number] = [1, 1, 1];

/** The mark colour a run uses: the option, or the default for one image (white) or several (learned). */
export function markColourFor(images: number, o: WatermarkOptions): [number, number, number] | 'learn' {
  const c = o.markColour ?? (images === 1 ? WHITE : 'learn');
  if (c !== 'learn' && !(Array.isArray(c) && c.length === 3 && c.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)))
    throw new Error(`markColour must be 'learn' or three numbers in 0..1 (RGB), got ${JSON.stringify(c)}`);
  return c;
}

/** How the clean images are made: the option, or the default ('refit' for several images whose mark colour is learned, 'solved' otherwise). */
export function cleanFor(images: number, o: WatermarkOptions): 'solved' | 'net' | 'refit' {
  return o.clean ?? (images > 1 && markColourFor(images, o) === 'learn' ? 'refit' : 'solved');
}

/** W as a fixed map of one colour, for a mark whose colour is known. */
const colourMap = (like: Image, colour: [number, number, number]): Image => colourImage(like.width, like.height, colour);

/** The mark region as a 0/1 mask at the image's size, from a box or a hint image. */
export function markRegion(width: number, height: number, o: { box?: Box; hint?: Image }): Image {
  if (o.box && o.hint) throw new OptionError('ERR_OPTION_CONFLICT', 'hint', o.hint, (n) => `Give either ${n('box')} or ${n('hint')}, not both`);
  if (o.box) { assertBoxInside(o.box, width, height); return boxMask(o.box, width, height); }
  if (!o.hint) throw new OptionError('ERR_OPTION_MISSING', 'box', undefined,
    (n) => `One image needs the watermark region: give ${n('box')} or ${n('hint')} (or several images sharing the mark)`);
  const h = o.hint;
  if (h.width !== width || h.height !== height)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask is ${h.width}x${h.height} but the image is ${width}x${height}: draw the hint at the image's size.`);
  const { white, whites } = readHintMask(h, REGION_HINT_LEVELS);
  if (whites === 0) throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask has no white pixels: paint the watermark region white.`);
  if (whites === width * height) throw new OptionError('ERR_OPTION_RANGE', 'hint', h, (n) => `The ${n('hint')} mask is white everywhere: paint only the watermark region white, the rest black.`);
  return white;
}

/** The region at the working size, grown so that every pixel touching it counts as inside. */
function regionAt(region: Image, w: number, h: number): Image {
  const small = resizeImage(region, w, h);
  for (let i = 0; i < small.data.length; i++) small.data[i] = small.data[i] > 1e-3 ? 1 : 0;
  return small;
}

/** The working size when --size is not given: several images take WATERMARK_RECIPE.multiSize. */
export const defaultSize = (images: number) => (images > 1 ? WATERMARK_RECIPE.multiSize : DEFAULT_SIZE);

/** Config C makes the clean layers, D or B the mark: a working side of at least 96 px (C's 5x5 kernels at 5 levels). */
export const watermarkSize = (width: number, height: number, size = DEFAULT_SIZE) => workingSize(width, height, Math.max(WATERMARK_RECIPE.minSize, size), ['C', 'D']);

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
      { name: 'hint', iterations: WATERMARK_ITERATIONS.hint, lr: WATERMARK_RECIPE.lr, terms: [hint] },
      { name: 'joint', iterations: WATERMARK_ITERATIONS.joint, lr: WATERMARK_RECIPE.lr, terms: [hint, { kind: 'reconstruction', metric: 'l1', weight: WATERMARK_RECIPE.reconstruction },
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
    phases: scalePhases([{ name: 'joint', iterations: WATERMARK_ITERATIONS.multi, lr: WATERMARK_RECIPE.lr, terms: [{ kind: 'reconstruction', metric: 'l1' },
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
  const result = checked(results.length === 1 ? results[0] : medianOfRuns(results, o.seed ?? DEFAULT_SEED), rgb, region, o.markColour !== undefined);
  return context ? toWholeImage(result, whole, context, markColourFor(1, o)) : result;
}

/**
 * The result's own checks (checks.ts), on the processed part: nothing removed, the mark's shape
 * still as strong, a change the mark cannot explain. One image: when one fires, the clean image
 * returned is the input (never worse than doing nothing; the dev set's rows in docs/benchmarks.md)
 * and the attempt is kept as clean-attempt. Several images: reported only.
 */
function checked(result: TaskResult, rgb: Image[], region: Image | null, colourGiven: boolean): TaskResult {
  const R = WATERMARK_RECIPE, alpha = result.images.alpha;
  if (!region) return { ...result, report: { ...result.report, ...judge([nothingRemoved(alpha, null, OPACITY_FLOOR, R.minMarkedShare)]) } };
  const [input] = rgb, clean = result.images.clean;
  const verdict = judge([nothingRemoved(alpha, region, OPACITY_FLOOR, R.minMarkedShare), markRemains(input, clean, alpha, region, R.maxMarkCorrelationRatio),
    unexplainedChange(input, clean, alpha, region, R.unexplainedTolerance, R.maxUnexplainedShare),
    implausibleOpacity(medianLevel(result.report.opacityLevel), R.opacityLevelRange, colourGiven)]);
  if (verdict.confidence === 'high' || !R.inputWhenDoubtful) return { ...result, report: { ...result.report, ...verdict } };
  verdict.concerns[verdict.concerns.length - 1] += ' The clean image returned is the input itself; the attempted removal is kept as clean-attempt.';
  return { ...result, images: { ...result.images, clean: input, 'clean-attempt': clean }, report: { ...result.report, ...verdict } };
}

/** The opacity level of one run, or the median of the runs' levels (null: none has one). */
function medianLevel(level: unknown): number | null {
  const levels = (Array.isArray(level) ? level : [level]).filter((v): v is number => typeof v === 'number');
  if (levels.length === 0) return null;
  const sorted = [...levels].sort((a, b) => a - b), mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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

/** One training run on the already checked inputs. */
async function watermarkRun(images: Image[], rgb: Image[], region: Image | null, o: WatermarkOptions): Promise<TaskResult> {
  const [first] = rgb;
  const { width, height } = first;
  const size = watermarkSize(width, height, o.size ?? defaultSize(images.length));
  const inputs = rgb.map((img) => resizeImage(img, size.width, size.height));
  const plan = region ? singleWatermark(inputs[0], regionAt(region, size.width, size.height), o) : multiWatermark(inputs, o);
  const r = await run(plan, o);
  const out = (img: Image) => toOutput(img, width, height);
  const outImages: Record<string, Image> = {};
  const colour = markColourFor(images.length, o);
  // Full-resolution images are lazy (made a strip at a time when read) but alpha, made whole
  // once it is worked on (one channel).
  let mark = colour === 'learn' ? out(r.layers.W[0]) : constantImage(width, height, colour);
  let alpha = out(r.layers.m[0]);
  const cleanMode = cleanFor(images.length, o), solved = cleanMode === 'solved';
  let fitted: MarkFit | null = null;
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
    // Where the mark's opacity is low, the input pixel is kept untouched. By m alone, whatever the
    // colour: a dark mark changes the image as much as a bright one. (The reference's m * W, for a
    // learned W, kept every pixel of a dark mark as the input: docs/benchmarks.md, "Watermark, several
    // images: the input kept where the opacity is low".)
    const marked = mapRows([alpha], 1, ([a], out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] >= KEEP_BELOW ? 1 : 0; });
    const nets = rgb.map((_, k) => out(r.layers[`clean${k + 1}`][k]));
    let cleans = nets;
    if (cleanMode === 'refit') {
      // The opacity is fitted against, and the image solved with, clean layers given the input's
      // own detail around the mark (the DIPs' are upsampled: blurred; input-detail.ts).
      cleans = nets.map((C, k) => withInputDetail(rgb[k], C, marked, WATERMARK_RECIPE.refit.detailSigma));
      // The mark refit as one colour (or two) with a per-pixel opacity, fitted to every image at
      // once (mark-refit.ts); where the learned opacity is low the input is still kept, as above.
      fitted = colour === 'learn' ? fitMark(inputs, rgb.map((_, k) => r.layers[`clean${k + 1}`][k]), r.layers.m[0], r.layers.W[0], WATERMARK_RECIPE.refit)
        : { centres: [colour], colours: [colour] };
      if (fitted) {
        mark = fitted.colours.length === 1 ? constantImage(width, height, fitted.colours[0]) : markColours(mark, fitted);
        const refit = opacityFor(rgb, cleans, mark, WATERMARK_RECIPE.refit.robust, marked);
        alpha = mapRows([marked, refit, alpha], 1, ([k, a, m], px) => { for (let i = 0; i < px.length; i++) px[i] = k[i] > 0.5 ? a[i] : m[i]; });
      }
    }
    rgb.forEach((img, k) => {
      outImages[`clean-${k + 1}`] = composite(img, cleanMode !== 'net' ? solveClean(img, alpha, mark, cleans[k]) : nets[k], marked);
      if (cleanMode !== 'net') outImages[`clean-${k + 1}-net`] = composite(img, nets[k], marked);
    });
  }
  outImages.watermark = mark;
  outImages.alpha = alpha;
  const report = makeReport('watermark', images, size, r, plan, { ...o, size: o.size ?? defaultSize(images.length) }, {
    mode: region ? (o.box ? 'box' : 'hint') : 'multi',
    box: o.box ?? null,
    clean: cleanMode, markColour: colour, ...(cleanMode === 'refit' ? { fittedColours: fitted && fitted.colours.map((c) => c.map((v) => Math.round(v * 1e4) / 1e4)) } : {}),
    ...(region ? { opacity: o.opacity ?? 'uniform', opacityLevel: level } : { keptBelow: KEEP_BELOW }),
    recipe: { ...WATERMARK_RECIPE, ...WATERMARK_DEFAULTS[region ? 'single' : 'multi'], ...(o.sparsity !== undefined ? { sparsity: o.sparsity } : {}),
      ...(o.exclusion !== undefined ? { exclusion: o.exclusion } : {}) },
  });
  return { task: 'watermark', images: outImages, report, history: r.history };
}
