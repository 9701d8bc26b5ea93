// Hints as maps: foreground/background hints for segmentation (automatic from saliency, from a
// user's mask, from a box) and the 0/1 region of a box. The maps are lazy full-resolution images
// (made a strip of rows at a time when read, as they are resized to the working size). Checking a
// user's mask or box against the image is src/tasks/hints.ts's, whose errors name the option.
import type { Image } from './image.js';
import { LazyImage, forEachStrip, mapRows, rowsOf } from './lazy-image.js';
import { saliencyHints, saliencyMap } from './saliency.js';

/** `saliency`: for automatic hints, the map they were taken from. */
export interface Hints { fg: Image; bg: Image; source: 'saliency' | 'mask' | 'box'; saliency?: Image }
export interface Box { x: number; y: number; width: number; height: number }

/** Automatic hints: the authors thresholded an external saliency map; we compute our own. */
export function saliencyHintsFor(img: Image): Hints {
  const saliency = saliencyMap(img);
  return { ...saliencyHints(saliency), source: 'saliency', saliency };
}

/** Thresholds on a hint mask's grey value (the mean of its channels), strict: white is above whiteAbove, black below blackBelow. */
export interface HintLevels { whiteAbove: number; blackBelow: number }

/**
 * Segmentation reads three levels: white is foreground, black background and the grey between
 * unknown, so a soft brush edge or a JPEG's ringing says nothing rather than the wrong thing.
 */
export const SEGMENT_HINT_LEVELS: HintLevels = { whiteAbove: 0.9, blackBelow: 0.1 };
/**
 * A watermark region is in or out: white is whatever is brighter than mid-grey, so an antialiased
 * edge splits halfway. Kept apart from SEGMENT_HINT_LEVELS, as each task read masks before: one
 * threshold for both would move the region's edge (grey 0.5-0.9 would fall out of it).
 */
export const REGION_HINT_LEVELS: HintLevels = { whiteAbove: 0.5, blackBelow: 0.5 };

/** A hint mask read at given levels: 1 / 0 maps of its white and black pixels (lazy, as the mask) and how many of each. */
export interface HintMask { white: Image; black: Image; whites: number; blacks: number }

/** The one parser of hint masks (segmentation's hints, a watermark's region): counts its white and black pixels and maps them. */
export function readHintMask(mask: Image, { whiteAbove, blackBelow }: HintLevels): HintMask {
  const { width, channels } = mask;
  const grey = (rows: Float32Array, i: number) => {
    let v = 0;
    for (let c = 0; c < channels; c++) v += rows[i * channels + c];
    return v / channels;
  };
  let whites = 0, blacks = 0;
  forEachStrip(mask, (y0, y1) => {
    const rows = rowsOf(mask, y0, y1);
    for (let i = 0; i < (y1 - y0) * width; i++) { const v = grey(rows, i); if (v > whiteAbove) whites++; if (v < blackBelow) blacks++; }
  });
  const white = mapRows([mask], 1, ([rows], out) => { for (let i = 0; i < out.length; i++) out[i] = grey(rows, i) > whiteAbove ? 1 : 0; });
  const black = mapRows([mask], 1, ([rows], out) => { for (let i = 0; i < out.length; i++) out[i] = grey(rows, i) < blackBelow ? 1 : 0; });
  return { white, black, whites, blacks };
}

/** A box around the object: outside is background, the box's inner half is foreground (lazy full-resolution maps). */
export function boxHints(box: Box, width: number, height: number): Hints {
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const map = (value: (inside: boolean, core: boolean) => boolean) => new LazyImage(width, height, 1, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width);
    for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) {
      const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      const core = Math.abs(x + 0.5 - cx) < box.width / 4 && Math.abs(y + 0.5 - cy) < box.height / 4;
      if (value(inside, core)) out[(y - y0) * width + x] = 1;
    }
    return out;
  });
  return { fg: map((inside, core) => inside && core), bg: map((inside) => !inside), source: 'box' };
}

/** Input pixels of the core of a box side of n pixels, as boxHints marks it (a 2 px side has none). */
export function boxCoreSpan(n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (Math.abs(i + 0.5 - n / 2) < n / 4) k++;
  return k;
}

/** A 1-channel image that is 1 inside the box, which must lie inside the image (lazy: made a strip of rows at a time when read). */
export function boxMask(box: Box, width: number, height: number): Image {
  return new LazyImage(width, height, 1, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width);
    for (let y = Math.max(y0, box.y); y < Math.min(y1, box.y + box.height); y++) out.fill(1, (y - y0) * width + box.x, (y - y0) * width + box.x + box.width);
    return out;
  });
}
