// Foreground/background segmentation (paper section 3):  I = m * y_fg + (1 - m) * y_bg,
// the mask pushed to binary (eq. 3). Crude hints decide which DIP takes the foreground,
// then are relaxed: the authors' two-step schedule.
import { createImage, mapPixels, type Image } from '../image/image.js';
import { resizeImage, resizeLazily } from '../image/resize.js';
import { grabCutHints } from '../image/grabcut.js';
import { histogramEqualise } from '../image/equalise.js';
import { focusMap, focusRatio } from '../image/focus.js';
import { referencePerturbation } from '../core/schedule.js';
import { run, type Plan } from '../core/run.js';
import { makeReport } from '../core/report.js';
import { judge, maskContradictsHints, noClearObject } from '../image/checks.js';
import { workingSize } from '../core/working-size.js';
import { saliencyHintsFor, type Box, type Hints } from '../image/hints.js';
import { assertBoxInside, checkBoxAtWorkingSize, hintsFromBox, hintsFromMask } from './hints.js';
import { OptionError, checkImage, checkOptions } from './options.js';
import { cutMask, refineMask, threshold } from '../image/mask.js';
import { DEFAULT_SIZE, scalePhases, toOutput, type TaskOptions, type TaskResult } from './common.js';

export interface SegmentOptions extends TaskOptions {
  /** A hint mask at the image's size: white = foreground, black = background, grey = unknown. Not with `box`. Default: automatic (saliency). */
  hint?: Image;
  /** A box around the object, in pixels of the input (inside it; its inner half is taken as foreground). Not with `hint`. */
  box?: Box;
  /** Grow the hints to the object's rim by GrabCut. Default: true for a box or automatic hints, false for a hint mask. */
  growHints?: boolean;
  /** Weight (0-1000) the hint terms keep once relaxed, for the rest of the joint phase. Default: 0.2 for grown hints, else 0 (the reference). */
  hintsAfter?: number;
  /**
   * The mask hint counts only where the hints say fg or bg. Default true. The reference pulls the
   * mask to 0.5 wherever the hints are unknown, so there the mask DIP never decides (measured in
   * docs/benchmarks.md, "Segmentation").
   */
  freeUnknown?: boolean;
}

/** Every tuned number of the segmentation recipe (echoed in report.json); measurements in docs/benchmarks.md. */
export const SEGMENT_RECIPE = {
  /** The reference's two steps: hints alone, then the whole model with the hints relaxed (its schedules are written for these lengths). */
  iterations: { hints: 500, joint: 1500 },
  /** A photo's run: the reference's schedule compressed to this many iterations (dev set: mean IoU of every kind and half level or better than 2000; one row of 80 lost 0.023). */
  imageIterations: 600,
  /** Adam's learning rate, both phases (the reference's). */
  lr: 1e-3,
  /** Weight of the reconstruction (L1) in the joint phase (the reference's). */
  reconstruction: 0.5,
  /** The binary-mask term's weight rises by this every 100 iterations for 1000 (the reference's ramp). */
  binaryStep: 0.001,
  /** The joint phase stops once the reconstruction is this good, dB (the reference's). */
  stopAbovePsnr: 30,
  /** Weight grown hints keep after relaxing (bench: box IoU +0.04 on both cases). */
  grownHintsAfter: 0.2,
  /** A mask labelling more than this share of its fg hint background, or of its bg hint foreground, contradicts them (checks.ts). */
  maxHintContradiction: 0.5,
  /** Automatic hints: a saliency map whose hinted object is less than this many times as salient as the rest shows no clear object (checks.ts: photos of one object 2.5-4.2, textures 1.7-2.1). */
  minSaliencyRatio: 2.2,
  /** Three config-A DIPs, the reference's. */
  net: 'A' as const,
  /** Smallest working side, px: below it the mask has too few pixels to place an object. */
  minSide: 64,
  /**
   * Automatic hints: GrabCut's first colour models weighted by the equalised saliency only where the hinted object is
   * at least this many times sharper than the hinted background (focus.ts). Always on: dev check half 0.677 -> 0.804,
   * but sharp photos fell (0.81 -> 0.16, 0.97 -> 0.32); 20: above the sharp tuning row it cost (star over rocket, 15.6).
   */
  saliencyPriorFocus: 20,
  /**
   * Where the object is in focus over a defocused background (focus ratio >= saliencyPriorFocus), GrabCut's cut also weighs
   * how in focus each pixel is (focus.ts's focusMap: local |Laplacian|, Gaussian sigma px, against k times the known
   * background's mean; weight in nats): colour alone gives the object a background of its colours (the dev set's horse
   * over snow). Box: chosen on the tuning composites' GrabCut labellings; dev check half 0.886 -> 0.971, no row lower by
   * 0.01. Automatic hints (`auto`): off, measured in docs/benchmarks.md ("Segmentation: focus in the cut").
   */
  focusCut: { sigma: 1, k: 3, box: 0.5, auto: 0 },
};

export const SEGMENT_ITERATIONS = SEGMENT_RECIPE.iterations;
export const GROWN_HINTS_AFTER = SEGMENT_RECIPE.grownHintsAfter;
export const SEGMENT_NETS = [SEGMENT_RECIPE.net] as const;
const MIN_SIDE = SEGMENT_RECIPE.minSide;

/** The working size of a width x height image at --size `size`. */
export const segmentSize = (width: number, height: number, size = DEFAULT_SIZE) => workingSize(width, height, size, [...SEGMENT_NETS], MIN_SIDE);

/**
 * The recipe over inputs at the working size and their hints (one pair shared, or one per input;
 * none: no hint terms, the joint phase only, for video without hints).
 */
export function segmentation(inputs: Image[], hints: { fg: Image[]; bg: Image[] } | null, o: SegmentOptions): Plan {
  const noise = { channels: 2, scale: 0.1 };
  const free = o.freeUnknown !== false; // the mask hint counts only on hinted pixels
  const hintTerms = [
    { kind: 'hint-reconstruction', layer: 'foreground', hint: 'fgHint' },
    { kind: 'hint-reconstruction', layer: 'background', hint: 'bgHint' },
    { kind: 'match', layer: 'mask', target: 'maskHint', metric: 'l1', ...(free ? { within: 'hinted' } : {}) },
  ] as const;
  // The reference drops the hints to 0 once the DIPs have taken their sides.
  const relaxed = { steps: [[0, 1], [SEGMENT_ITERATIONS.hints, o.hintsAfter ?? 0]] as [number, number][] };
  const joint = {
    name: 'joint', iterations: SEGMENT_ITERATIONS.joint, lr: SEGMENT_RECIPE.lr, stopAbovePsnr: SEGMENT_RECIPE.stopAbovePsnr,
    terms: [
      ...(hints ? hintTerms.map((t) => ({ ...t, weight: relaxed })) : []),
      { kind: 'reconstruction', metric: 'l1', weight: SEGMENT_RECIPE.reconstruction } as const,
      { kind: 'binary', layer: 'mask', weight: { steps: Array.from({ length: 11 }, (_, i) => [i * 100, SEGMENT_RECIPE.binaryStep * i] as [number, number]) } } as const,
    ],
  };
  const given = hints && {
    fgHint: hints.fg, bgHint: hints.bg,
    maskHint: hints.fg.map((f, k) => mapPixels([f, hints.bg[k]], ([a, b]) => (a - b + 1) / 2)),
    ...(free ? { hinted: hints.fg.map((f, k) => mapPixels([f, hints.bg[k]], ([a, b]) => Math.min(1, Math.max(0, a + b)))) } : {}),
  };
  return {
    inputs,
    layers: [
      { name: 'foreground', net: SEGMENT_RECIPE.net, channels: 3, noise, perturb: referencePerturbation },
      { name: 'background', net: SEGMENT_RECIPE.net, channels: 3, noise: { ...noise, shareWith: 'foreground' }, perturb: referencePerturbation },
      { name: 'mask', net: SEGMENT_RECIPE.net, channels: 1, noise, perturb: referencePerturbation },
    ],
    ...(given ? { given } : {}),
    mixtures: inputs.map(() => ({ kind: 'blend', mask: 'mask', a: 'foreground', b: 'background' }) as const),
    phases: hints
      ? scalePhases([{ name: 'hints', iterations: SEGMENT_ITERATIONS.hints, lr: SEGMENT_RECIPE.lr, terms: [...hintTerms] }, joint], o.iterations)
      // No hints: the joint phase alone, for the recipe's whole length.
      : scalePhases([{ ...joint, iterations: SEGMENT_ITERATIONS.hints + SEGMENT_ITERATIONS.joint }], o.iterations),
  };
}

/**
 * The hints at the working size, grown by GrabCut if asked (a box or saliency leaves the object's
 * rim unknown). Measured on bench/quality, box IoU of the final mask: horse 0.68 with colour-posterior
 * growing, 0.909 with GrabCut (0.929 with the cut binarisation, image/mask.ts); VOC 0.58, 0.520 (0.538).
 */
export function workingHints(image: Image, h: Hints, size: { width: number; height: number }, grow: boolean,
  saliencyPrior: boolean | 'when-defocused' = 'when-defocused'): Hints & { grown: boolean; focus?: number } {
  const binary = (m: Image) => threshold(resizeImage(m, size.width, size.height));
  const fg = binary(h.fg), bg = binary(h.bg);
  if (h.source !== 'saliency') {
    // A user's hints that vanish at the working size would train an all-background mask.
    const option = h.source === 'box' ? 'box' : 'hint';
    const empty = !fg.data.includes(1) ? 'foreground (white)' : !bg.data.includes(1) ? 'background (black)' : null;
    if (empty) throw new OptionError('ERR_OPTION_RANGE', option, undefined, (n) => `The ${n(option)} leaves no ${empty} pixel at the working size ` +
      `${size.width}x${size.height}: make that region larger or raise ${n('size')}.`);
  }
  if (!grow) return { fg, bg, source: h.source, grown: false };
  // GrabCut's start (every pixel inside the box may be fg) needs a tight box; the unknown region
  // left by saliency or a drawn mask is not one, so there the colour models start from the hints.
  const start = h.source === 'box' ? 'box' : 'hints';
  const small = resizeImage(image, size.width, size.height);
  // Automatic hints: the whole saliency map, equalised, seeds the colour models when asked, or by
  // default when the object is in focus over a defocused background (SEGMENT_RECIPE.saliencyPriorFocus):
  // there the map is mostly right and its extremes alone too thin a start; on sharp photos it misleads as often as not.
  const focus = h.saliency || h.source === 'box' ? focusRatio(small, fg, bg) : undefined;
  const usePrior = saliencyPrior === 'when-defocused' ? inFocusOverDefocused(focus) : saliencyPrior;
  const prior = h.saliency && usePrior ? histogramEqualise(resizeImage(h.saliency, size.width, size.height)) : undefined;
  const sharp = focusCut(small, bg, h.source === 'box' ? 'box' : prior ? 'auto' : null, focus);
  return { ...grabCutHints(small, fg, bg, { keepFg: h.source === 'mask', start, prior, ...sharp }), source: h.source, grown: true,
    ...(focus !== undefined ? { focus } : {}) };
}

/**
 * GrabCut's focus term for hints at the working size (SEGMENT_RECIPE.focusCut), or none: where the object is in focus
 * over a defocused background, colour alone gives the object any background of its colours (the dev set's horse over
 * snow) and focus tells them apart. `kind`: a box, automatic hints grown with the saliency prior, or neither.
 */
export function focusCut(small: Image, bg: Image, kind: 'box' | 'auto' | null, focus: number | undefined): { focus?: Image; focusWeight?: number } {
  const { sigma, k, box, auto } = SEGMENT_RECIPE.focusCut;
  const weight = kind === 'box' && inFocusOverDefocused(focus) ? box : kind === 'auto' ? auto : 0;
  return weight > 0 ? { focus: focusMap(small, bg, sigma, k), focusWeight: weight } : {};
}

/** segment's default for automatic hints: the saliency prior when the hinted object is this much sharper than the background (SEGMENT_RECIPE.saliencyPriorFocus). */
export const inFocusOverDefocused = (focus: number | undefined) => focus !== undefined && focus >= SEGMENT_RECIPE.saliencyPriorFocus;

/**
 * The working hints for segment's options: the given or automatic full-resolution ones, resized
 * (and grown); for automatic hints, whether the saliency map shows a clear object (checked here,
 * so that the full-size map is not kept through training).
 */
function hintsAt(image: Image, o: SegmentOptions, size: { width: number; height: number }): Hints & { grown: boolean; focus?: number; unclear: string | null } {
  const given = o.hint ? hintsFromMask(o.hint, image.width, image.height)
    : o.box ? hintsFromBox(o.box, image.width, image.height) : saliencyHintsFor(image);
  const unclear = given.saliency ? noClearObject(given.saliency, given.fg, SEGMENT_RECIPE.minSaliencyRatio) : null;
  return { ...workingHints(image, given, size, o.growHints ?? given.source !== 'mask'), unclear };
}

/** The hints as one picture, in the --hint format (white fg, black bg, grey unknown), to inspect or edit and pass back. */
export function hintImage(h: Hints): Image {
  const out = createImage(h.fg.width, h.fg.height, 1, 0.5);
  for (let i = 0; i < out.data.length; i++) if (h.fg.data[i] > 0.5) out.data[i] = 1; else if (h.bg.data[i] > 0.5) out.data[i] = 0;
  return out;
}

/** A box must lie inside the image and keep a foreground core at the working size (the web checks it at upload too). */
export function checkSegmentBox(box: Box, width: number, height: number, size = DEFAULT_SIZE): void {
  assertBoxInside(box, width, height);
  checkBoxAtWorkingSize(box, width, height, size, (s) => segmentSize(width, height, s));
}

/** segment()'s images: the mask (1 = foreground), the soft mask before the cut, both layers, the reconstruction and the hints used. */
export type SegmentResult = TaskResult<'mask' | 'mask-soft' | 'foreground' | 'background' | 'reconstruction' | 'hints'>;

export async function segment(image: Image, o: SegmentOptions = {}): Promise<SegmentResult> {
  checkOptions('segment', o, { images: 1 });
  checkImage(image, 'image');
  if (o.hint) checkImage(o.hint, 'hint');
  const size = segmentSize(image.width, image.height, o.size);
  if (o.box) checkSegmentBox(o.box, image.width, image.height, o.size);
  const hints = hintsAt(image, o, size);
  // Grown hints are trustworthy enough to keep as a weak pull (bench: box IoU +0.04 on both cases).
  const hintsAfter = o.hintsAfter ?? (hints.grown ? GROWN_HINTS_AFTER : 0);
  const plan = segmentation([resizeImage(image, size.width, size.height)], { fg: [hints.fg], bg: [hints.bg] },
    { ...o, hintsAfter, iterations: o.iterations ?? SEGMENT_RECIPE.imageIterations });
  const r = await run(plan, o);
  // Full-resolution outputs are lazy (made a strip at a time as they are written) but mask-soft,
  // which the guided filter makes whole (one channel).
  const out = (img: Image) => toOutput(img, image.width, image.height);
  const soft = refineMask(image, out(r.layers.mask[0]));
  const hintMap = resizeLazily(hintImage(hints), image.width, image.height);
  const images = {
    // The soft mask alone is cut: leaning it on the hints (video's leanOnHints) lost on the dev set's
    // check half (helped 2 of 30 rows, hurt 6; docs/benchmarks.md, "each step of the mask").
    mask: cutMask(image, soft),
    'mask-soft': soft,
    foreground: out(r.layers.foreground[0]),
    background: out(r.layers.background[0]),
    reconstruction: out(r.reconstructions[0]),
    hints: hintMap,
  };
  // The mask against the hints it was trained with; the saliency map's clarity was checked with the hints.
  const verdict = judge([maskContradictsHints(images.mask, hintMap, SEGMENT_RECIPE.maxHintContradiction), hints.unclear]);
  const report = makeReport('segment', [image], size, r, plan, { ...o, size: o.size ?? DEFAULT_SIZE },
    { ...verdict, hints: hints.source, grownHints: hints.grown, hintsAfter,
      ...(hints.focus !== undefined ? { hintFocusRatio: Math.round(hints.focus * 100) / 100 } : {}), recipe: SEGMENT_RECIPE });
  return { task: 'segment', images, report, history: r.history };
}
