// A colour model: a smoothed histogram of RGB colours (16 bins per channel), the colour term
// of GrabCut (grabcut.ts) as in Boykov & Jolly's interactive graph cuts.

import type { Image } from './image.js';

const BINS = 16; // per channel: 4096 colours, coarse enough to fill from a few thousand pixels

/** Each pixel's histogram bin. */
export function colourBins(img: Image): Uint16Array {
  const n = img.width * img.height, out = new Uint16Array(n);
  const q = (v: number) => Math.min(BINS - 1, Math.max(0, Math.floor(v * BINS)));
  for (let i = 0; i < n; i++) {
    const c = img.channels;
    const r = img.data[i * c], g = img.data[i * c + (c > 1 ? 1 : 0)], b = img.data[i * c + (c > 2 ? 2 : 0)];
    out[i] = (q(r) * BINS + q(g)) * BINS + q(b);
  }
  return out;
}

/** A normalised colour histogram, smoothed by one bin in each direction so nearby colours share evidence. */
export function histogram(bin: Uint16Array, weight: Float32Array): Float64Array {
  const h = new Float64Array(BINS ** 3);
  let total = 0;
  for (let i = 0; i < bin.length; i++) { h[bin[i]] += weight[i]; total += weight[i]; }
  let s = h;
  for (let axis = 0; axis < 3; axis++) {
    const stride = BINS ** axis, t = new Float64Array(s.length);
    for (let k = 0; k < s.length; k++) {
      const pos = Math.floor(k / stride) % BINS;
      t[k] = s[k] + (pos > 0 ? s[k - stride] : 0) + (pos < BINS - 1 ? s[k + stride] : 0);
    }
    s = t;
  }
  const eps = 1e-6; // an unseen colour gets a small probability, not 0 (whose cost would be infinite)
  for (let k = 0; k < s.length; k++) s[k] = s[k] / (27 * Math.max(total, 1)) + eps;
  return s;
}
