// Per-pixel operations on host images of one size. The lazy ones are made a strip of rows at a
// time when read, so full-resolution outputs never stand whole in memory.
import type { Image } from './image.js';
import { mapRows } from './lazy-image.js';

/** v held to [0, 1], the range of every host image (NaN stays NaN). */
export function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** a * b per pixel, images of one size and channel count; lazy. */
export function multiply(a: Image, b: Image): Image {
  return mapRows([a, b], a.channels, ([x, y], out) => { for (let i = 0; i < out.length; i++) out[i] = x[i] * y[i]; });
}

/** min(a, b) per pixel, images of one size; lazy. */
export function atMost(a: Image, b: Image): Image {
  return mapRows([a, b], a.channels, ([x, y], out) => { for (let i = 0; i < out.length; i++) out[i] = Math.min(x[i], y[i]); });
}

/** out = region ? b : a, per pixel (region 1-channel, a and b RGB of the same size); lazy. */
export function composite(a: Image, b: Image, region: Image): Image {
  return mapRows([a, b, region], 3, ([A, B, R], out) => {
    for (let i = 0; i < R.length; i++) {
      const src = R[i] > 0.5 ? B : A;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = src[i * 3 + c];
    }
  });
}

/** (1 - w) a + w b per pixel (a linear cross-fade), images of one size and channel count; lazy. */
export function blend(a: Image, b: Image, w: number): Image {
  return mapRows([a, b], a.channels, ([x, y], out) => { for (let i = 0; i < out.length; i++) out[i] = (1 - w) * x[i] + w * y[i]; });
}

/** 1 - a per pixel (a mask's other polarity); lazy. */
export function invert(a: Image): Image {
  return mapRows([a], a.channels, ([x], out) => { for (let i = 0; i < out.length; i++) out[i] = 1 - x[i]; });
}
