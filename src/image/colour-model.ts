// Colour-model hint growing, after GrabCut's iterated colour models (Rother et al. 2004),
// without the graph cut: the DIPs' own prior does the spatial part later. Known foreground
// and background pixels give two colour histograms; a pixel not known to be background gets
// the posterior P(fg | colour), smoothed over a small window; the model is re-estimated from
// that labelling a few times; confident pixels become hints. Crude hints (a box's centre, a
// thresholded saliency map) thereby reach the object's rim, where they were "unknown".
import { createImage, type Image } from './image.js';

export interface GrowOptions {
  /** Re-estimations of the two colour models. */
  iterations?: number;
  /** Posterior P(fg) a pixel needs to become a fg hint. */
  fgAbove?: number;
  /** Posterior below which a pixel becomes a bg hint: stricter, as dark or grey objects share the background's colours. */
  bgBelow?: number;
  /** Whether the given fg hints are certain (a user's mask) or a guess that colour may overturn. */
  keepFg?: boolean;
}

const BINS = 16; // per channel: 4096 colours, coarse enough to fill from a few thousand pixels

/** New fg/bg hints (1-channel, 0/1). Given bg pixels always stay bg. */
export function growHints(img: Image, fg: Image, bg: Image, o: GrowOptions = {}): { fg: Image; bg: Image } {
  const { iterations = 3, fgAbove = 0.8, bgBelow = 0.05, keepFg = false } = o;
  const n = img.width * img.height;
  const bin = colourBins(img);
  let p: Float32Array = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = fg.data[i] > 0.5 ? 1 : bg.data[i] > 0.5 ? 0 : 0.5;
  // The first foreground model is every pixel not known to be background (GrabCut's box start),
  // weighted towards the given fg hints.
  let fgWeight = Float32Array.from(p, (v, i) => (bg.data[i] > 0.5 ? 0 : v === 1 ? 1 : 0.5));
  for (let it = 0; it < iterations; it++) {
    const bgWeight = Float32Array.from(p, (v, i) => (bg.data[i] > 0.5 ? 1 : 1 - v));
    const hf = histogram(bin, fgWeight), hb = histogram(bin, bgWeight);
    const raw = new Float32Array(n);
    for (let i = 0; i < n; i++) raw[i] = bg.data[i] > 0.5 ? 0 : hf[bin[i]] / (hf[bin[i]] + hb[bin[i]]);
    p = boxBlur(raw, img.width, img.height, Math.max(1, Math.round(Math.min(img.width, img.height) / 100)));
    for (let i = 0; i < n; i++) {
      if (bg.data[i] > 0.5) p[i] = 0;
      else if (keepFg && fg.data[i] > 0.5) p[i] = 1;
    }
    fgWeight = Float32Array.from(p, (v) => (v > 0.5 ? 1 : 0));
  }
  const outFg = createImage(img.width, img.height, 1), outBg = createImage(img.width, img.height, 1);
  let nf = 0;
  for (let i = 0; i < n; i++) {
    if (bg.data[i] > 0.5 || p[i] < bgBelow) outBg.data[i] = 1;
    else if (p[i] > fgAbove || (fg.data[i] > 0.5 && (keepFg || p[i] >= 0.5))) { outFg.data[i] = 1; nf++; }
  }
  // Colour could not tell the object apart: keep the hints as given rather than lose them.
  if (nf === 0) return { fg, bg };
  return { fg: outFg, bg: outBg };
}

function colourBins(img: Image): Uint16Array {
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
function histogram(bin: Uint16Array, weight: Float32Array): Float64Array {
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
  const eps = 1e-6; // unseen colours: undecided (0.5) rather than 0/0
  for (let k = 0; k < s.length; k++) s[k] = s[k] / (27 * Math.max(total, 1)) + eps;
  return s;
}

function boxBlur(v: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(v.length), out = new Float32Array(v.length);
  for (let y = 0; y < h; y++) {
    let acc = 0;
    for (let x = -r; x <= r; x++) acc += v[y * w + Math.min(w - 1, Math.max(0, x))];
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = acc / (2 * r + 1);
      acc += v[y * w + Math.min(w - 1, x + r + 1)] - v[y * w + Math.max(0, x - r)];
    }
  }
  for (let x = 0; x < w; x++) {
    let acc = 0;
    for (let y = -r; y <= r; y++) acc += tmp[Math.min(h - 1, Math.max(0, y)) * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = acc / (2 * r + 1);
      acc += tmp[Math.min(h - 1, y + r + 1) * w + x] - tmp[Math.max(0, y - r) * w + x];
    }
  }
  return out;
}
