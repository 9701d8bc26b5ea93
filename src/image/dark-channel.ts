// Dark channel prior (He, Sun & Tang, "Single Image Haze Removal Using Dark Channel Prior",
// CVPR 2009): in haze-free outdoor images, most patches have some pixel that is dark in some
// channel. Haze lifts that minimum, so the dark channel measures haze and locates airlight.
import { createImage, type Image } from './image.js';
import { LazyImage, forEachStrip, pixelsAt, rowsOf } from './lazy-image.js';

/**
 * Dark channel: per-pixel minimum over channels, then a minimum over a patch x patch window
 * (clipped at the borders, like erosion with a +infinity border). The window of an even patch
 * size reaches one pixel further left/up than right/down.
 */
export function darkChannel(img: Image, patch = 15): Image {
  if (!Number.isInteger(patch) || patch < 1) {
    throw new Error(`darkChannel: patch must be a positive integer, got ${patch}. Pass e.g. 15.`);
  }
  if (img.channels < 1 || (!(img instanceof LazyImage) && img.data.length !== img.width * img.height * img.channels)) {
    throw new Error(`darkChannel: image data does not match ${img.width}x${img.height}x${img.channels}. Build images with createImage().`);
  }
  const { width: w, height: h, channels: c } = img;
  const out = createImage(w, h, 1);
  const m = out.data;
  forEachStrip(img, (y0, y1) => {
    const rows = rowsOf(img, y0, y1);
    for (let i = y0 * w, j = 0; i < y1 * w; i++, j += c) {
      let v = rows[j];
      for (let k = 1; k < c; k++) v = Math.min(v, rows[j + k]);
      m[i] = v;
    }
  });
  const left = Math.floor((patch - 1) / 2);
  const right = patch - 1 - left;
  // Separable: a square min is a row min of column mins.
  const filter = new MinFilter1D(Math.max(w, h), left, right);
  const line = new Float32Array(Math.max(w, h));
  for (let y = 0; y < h; y++) {
    const row = m.subarray(y * w, (y + 1) * w);
    filter.apply(row, row);
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) line[y] = m[y * w + x];
    const col = line.subarray(0, h);
    filter.apply(col, col);
    for (let y = 0; y < h; y++) m[y * w + x] = line[y];
  }
  return out;
}

/**
 * Sliding-window minimum in O(1) per sample whatever the window (van Herk / Gil-Werman):
 * cut the padded line into blocks of the window length; any window spans at most two blocks,
 * so its minimum is (suffix-min of the first block) vs (prefix-min of the second).
 */
class MinFilter1D {
  private readonly pre: Float32Array;
  private readonly suf: Float32Array;
  private readonly p: number;

  constructor(
    maxLen: number,
    private readonly left: number,
    private readonly right: number,
  ) {
    this.p = left + right + 1;
    this.pre = new Float32Array(maxLen + this.p);
    this.suf = new Float32Array(maxLen + this.p);
  }

  /** out[x] = min(src[x-left .. x+right]) clipped to the line; out may alias src. */
  apply(src: Float32Array, out: Float32Array): void {
    const n = src.length;
    const { p, left, pre, suf } = this;
    const len = n + p - 1; // padded with +Infinity: `left` before, `right` after
    const padded = (j: number) => (j >= left && j < left + n ? src[j - left] : Infinity);
    for (let j = 0; j < len; j++) {
      const v = padded(j);
      pre[j] = j % p === 0 ? v : Math.min(pre[j - 1], v);
    }
    for (let j = len - 1; j >= 0; j--) {
      const v = padded(j);
      suf[j] = j % p === p - 1 || j === len - 1 ? v : Math.min(suf[j + 1], v);
    }
    for (let x = 0; x < n; x++) out[x] = Math.min(suf[x], pre[x + p - 1]);
  }
}

export type AirlightMode = 'mean' | 'brightest' | 'channelMax';

/**
 * Atmospheric light A (one RGB colour), following He et al.: take the `fraction` (0.1% by
 * default) of pixels with the brightest dark channel, the most haze-opaque ones, then
 * - 'mean' (default): average their input colours. Steadier than any single pixel against
 *   noise and against a lone bright object (a lamp, a white car) among the candidates.
 * - 'brightest': the colour of the one with the highest intensity (R+G+B), as in He's paper.
 * - 'channelMax': the per-channel maximum over them, as the Double-DIP authors' dehazing code
 *   does (with fraction 1e-4).
 * Grey input gives [v, v, v].
 */
export function estimateAirlight(
  img: Image,
  dark: Image,
  fraction = 0.001,
  mode: AirlightMode = 'mean',
): [number, number, number] {
  const n = img.width * img.height;
  if (dark.width !== img.width || dark.height !== img.height || dark.channels !== 1) {
    throw new Error(
      `estimateAirlight: dark channel is ${dark.width}x${dark.height}x${dark.channels}, image is ${img.width}x${img.height}. ` +
        'Pass the 1-channel darkChannel() of the same image.',
    );
  }
  if (!(fraction > 0 && fraction <= 1)) {
    throw new Error(`estimateAirlight: fraction must be in (0, 1], got ${fraction}. Pass e.g. 0.001.`);
  }
  const k = Math.max(1, Math.floor(n * fraction));
  // k-th largest dark value; pixels above it are in, ties at it fill up to k in scan order.
  const sorted = Float32Array.from(dark.data).sort();
  const threshold = sorted[n - k];
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) if (dark.data[i] > threshold) chosen.push(i);
  for (let i = 0; i < n && chosen.length < k; i++) if (dark.data[i] === threshold) chosen.push(i);

  const c = img.channels;
  // The candidates' colours, read a strip of rows at a time (the image may be a lazy full-resolution one).
  const colours = pixelsAt(img, chosen);
  const at = new Map(chosen.map((i, k) => [i, k]));
  const colour = (i: number, ch: number) => colours[at.get(i)! * c + (c === 1 ? 0 : ch)];
  if (mode === 'brightest') {
    let best = chosen[0];
    let bestSum = -Infinity;
    for (const i of chosen) {
      const s = colour(i, 0) + colour(i, 1) + colour(i, 2);
      if (s > bestSum) {
        bestSum = s;
        best = i;
      }
    }
    return [colour(best, 0), colour(best, 1), colour(best, 2)];
  }
  if (mode === 'channelMax') {
    const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
    for (const i of chosen) for (let ch = 0; ch < 3; ch++) max[ch] = Math.max(max[ch], colour(i, ch));
    return max;
  }
  const sum = [0, 0, 0];
  for (const i of chosen) for (let ch = 0; ch < 3; ch++) sum[ch] += colour(i, ch);
  return [sum[0] / chosen.length, sum[1] / chosen.length, sum[2] / chosen.length];
}
