// How alike two host images of one size are: mean squared error, PSNR, and the IoU of two masks.
// Read a strip of rows at a time, so full-resolution lazy images are never made whole.
import type { Image } from './image.js';
import { forEachStrip, rowsOf } from './lazy-image.js';

function sameShape(a: Image, b: Image): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels)
    throw new Error(`Cannot compare a ${a.width}x${a.height}x${a.channels} image with a ${b.width}x${b.height}x${b.channels} one: give images of one size and channel count`);
}

/** Mean of (a - b)^2 over every pixel and channel. */
export function meanSquaredError(a: Image, b: Image): number {
  sameShape(a, b);
  let s = 0;
  forEachStrip(a, (y0, y1) => {
    const x = rowsOf(a, y0, y1), y = rowsOf(b, y0, y1);
    for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  });
  return s / (a.width * a.height * a.channels);
}

/** PSNR in dB for values in [0, 1], from a mean squared error (capped at 120 dB for identical images). */
export const psnrOf = (mse: number): number => -10 * Math.log10(Math.max(mse, 1e-12));

export function psnr(a: Image, b: Image): number {
  return psnrOf(meanSquaredError(a, b));
}

/** Intersection and union of two binary (>= 0.5) masks, in pixels; `flipB` compares a with 1 - b. */
export function maskOverlap(a: Image, b: Image, flipB = false): { intersection: number; union: number } {
  sameShape(a, b);
  let intersection = 0, union = 0;
  forEachStrip(a, (y0, y1) => {
    const x = rowsOf(a, y0, y1), y = rowsOf(b, y0, y1);
    for (let i = 0; i < x.length; i++) {
      const p = x[i] >= 0.5, q = (y[i] >= 0.5) !== flipB;
      if (p && q) intersection++;
      if (p || q) union++;
    }
  });
  return { intersection, union };
}

/** Intersection over union of two binary (>= 0.5) masks; 1 when both are empty. */
export function iou(a: Image, b: Image): number {
  const { intersection, union } = maskOverlap(a, b);
  return union === 0 ? 1 : intersection / union;
}
