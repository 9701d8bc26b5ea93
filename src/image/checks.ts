// A task's own checks of its result: the failure signs it can see without ground truth. Each
// function measures one sign over host images (read a strip of rows at a time, so full-resolution
// lazy images are never made whole) and returns a concern, one sentence with the number measured
// and what the user can do, or null when the sign is absent. The thresholds are the tasks'
// (their recipe objects), passed in.
import type { Image } from './image.js';
import { forEachStrip, rowsOf } from './lazy-image.js';

/** A task's verdict on its own result: low as soon as one sign is seen. */
export interface Confidence { confidence: 'high' | 'low'; concerns: string[] }

export function judge(concerns: (string | null)[]): Confidence {
  const seen = concerns.filter((c): c is string => c !== null);
  return { confidence: seen.length > 0 ? 'low' : 'high', concerns: seen };
}

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
const num = (v: number, digits = 2) => v.toFixed(digits);

/** Rec. 601 luminance of pixel i of rows of a 1- or 3-channel image. */
const lum = (rows: Float32Array, i: number, c: number) => (c === 1 ? rows[i] : 0.299 * rows[i * 3] + 0.587 * rows[i * 3 + 1] + 0.114 * rows[i * 3 + 2]);

/** Running sums for a correlation of two series. */
class Correlation {
  n = 0; sx = 0; sy = 0; sxx = 0; syy = 0; sxy = 0;
  add(x: number, y: number): void { this.n++; this.sx += x; this.sy += y; this.sxx += x * x; this.syy += y * y; this.sxy += x * y; }
  /** Pearson's r; NaN when either series is constant. */
  get r(): number {
    const { n, sx, sy } = this;
    const vx = this.sxx - (sx * sx) / n, vy = this.syy - (sy * sy) / n;
    return vx > 1e-12 && vy > 1e-12 ? (this.sxy - (sx * sy) / n) / Math.sqrt(vx * vy) : NaN;
  }
}

/** Standard deviation of an image's luminance. */
export function luminanceSpread(img: Image): number {
  let n = 0, s = 0, ss = 0;
  forEachStrip(img, (y0, y1) => {
    const rows = rowsOf(img, y0, y1), count = rows.length / img.channels;
    for (let i = 0; i < count; i++) { const v = lum(rows, i, img.channels); s += v; ss += v * v; n++; }
  });
  return Math.sqrt(Math.max(0, ss / n - (s / n) ** 2));
}

// ---- separate ----

/**
 * Two mixtures: the coefficients m1, m2 (learned or estimated) closer than `minGap`. The solve divides by
 * m1 - m2, so the layers then come from the DIPs alone, which mix them.
 */
export function coefficientsTooClose([a, b]: [number, number], minGap: number, how: 'learned' | 'estimated' = 'learned'): string | null {
  const gap = Math.abs(a - b);
  return gap >= minGap ? null
    : `The ${how} mixing coefficients ${num(a)} and ${num(b)} are ${num(gap)} apart, under the ${minGap} needed to solve the layers, so the layers are the networks' own and likely still mixed: ` +
      'photograph the two mixtures with more different reflection strengths (e.g. another angle or polariser setting).';
}

const ONE_IMAGE_ADVICE = 'Try --model sum or more --iterations, or photograph the scene twice with different reflection strengths and give both images.';

/**
 * One image: the share of the input's contrast each layer carries, weight * (luminance spread of
 * the layer) / (that of the input); a layer under `minShare` is nearly flat, so the split put
 * (almost) everything in the other layer: no separation, only a copy of the input.
 */
export function layerNearlyFlat(input: Image, layers: [Image, Image], weights: [number, number], minShare: number): string | null {
  const spread = luminanceSpread(input);
  if (spread < 1e-6) return null; // a flat input has nothing to split; nothing to judge
  const shares = layers.map((y, k) => (weights[k] * luminanceSpread(y)) / spread);
  const k = shares[0] <= shares[1] ? 0 : 1;
  return shares[k] >= minShare ? null
    : `Layer ${k + 1} carries only ${pct(shares[k])} of the input's contrast (under ${pct(minShare)}): nothing was separated from the image. ${ONE_IMAGE_ADVICE}`;
}

/**
 * One image: the Pearson correlation of the two layers' gradient magnitudes (forward differences
 * of luminance). Separated layers have their edges in different places (the exclusion loss's
 * aim); above `maxCorrelation` both layers show the same edges, i.e. each is a copy of the input.
 */
export function layersAlike(y1: Image, y2: Image, maxCorrelation: number): string | null {
  const r = gradientCorrelation(y1, y2);
  return !(r > maxCorrelation) ? null
    : `The two layers show the same edges (gradient correlation ${num(r)}, above ${maxCorrelation}): the split did not separate two layers. ${ONE_IMAGE_ADVICE}`;
}

/** Pearson correlation of the gradient magnitudes of two images of one size (small: working-size images). */
export function gradientCorrelation(a: Image, b: Image): number {
  const { width: w, height: h } = a, c = new Correlation();
  const ga = gradients(a), gb = gradients(b);
  for (let i = 0; i < w * h; i++) if (ga[i] >= 0) c.add(ga[i], gb[i]);
  return c.r;
}

/** |grad| of luminance by forward differences; -1 on the last row and column (no forward neighbour). */
function gradients(img: Image): Float32Array {
  const { width: w, height: h, channels: ch, data } = img, out = new Float32Array(w * h).fill(-1);
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x + 1 < w; x++) {
    const i = y * w + x, v = lum(data, i, ch);
    out[i] = Math.hypot(lum(data, i + 1, ch) - v, lum(data, i + w, ch) - v);
  }
  return out;
}

// ---- watermark ----

/**
 * The mark's opacity: the share of the region's pixels whose opacity reaches `floor` (the lowest
 * a mark is taken to have). Under `minShare`, nothing was taken for mark: nothing was removed.
 */
export function nothingRemoved(alpha: Image, region: Image | null, floor: number, minShare: number): string | null {
  let n = 0, marked = 0;
  forEachStrip(alpha, (y0, y1) => {
    const a = rowsOf(alpha, y0, y1), r = region && rowsOf(region, y0, y1);
    for (let i = 0; i < a.length; i++) {
      if (r && r[i] <= 0.5) continue;
      n++;
      if (a[i] >= floor) marked++;
    }
  });
  const share = n > 0 ? marked / n : 0;
  return share >= minShare ? null
    : `The estimated opacity reaches ${floor} on only ${pct(share)} of the ${region ? 'region' : 'image'} (under ${pct(minShare)}): nothing was removed. ` +
      (region ? 'Check that the box covers the mark, and give its colour with --mark-colour R,G,B if it is not white.' : 'Check that the images share one mark at one place.');
}

/**
 * The mark's one opacity level (opacityLevel) outside [low, high]. A mark of the colour assumed is
 * learned at the opacity it was drawn with; one that colour cannot explain (a dark or coloured mark
 * taken for white cannot be added by any white opacity) leaves only faint opacity on bright image
 * detail, its level at the floor, and near 1 the mask took part of the image for an opaque mark,
 * under which nothing is recovered. null: no level (nothing above the floor, or `opacity: 'free'`).
 */
export function implausibleOpacity(level: number | null, [low, high]: readonly [number, number], colourGiven: boolean): string | null {
  if (level === null || (level >= low && level <= high)) return null;
  return level < low
    ? `The mark's opacity came out at ${num(level)} (under ${low}): the ${colourGiven ? 'colour given' : 'white mark assumed'} explains no mark in the region, ` +
      `only faint opacity on bright image detail. ${colourGiven ? 'Check the colour given with --mark-colour' : 'A dark or coloured mark looks like this: give its colour with --mark-colour R,G,B'}.`
    : `The mark's opacity came out at ${num(level)} (over ${high}): parts of the image were taken for an opaque mark, under which nothing can be recovered. ` +
      'Try a tighter box, or --opacity free.';
}

/**
 * Mark-shaped structure left in the clean image: |corr(luminance, opacity)| over the region, for
 * the clean image and for the input. The marked input correlates with its opacity (the mark adds
 * to it); a clean image should not. At `maxRatio` times the input's or more, the clean image shows
 * the mark's shape as strongly as the input did (a trace left, or an inverted imprint from a mark
 * of another colour than assumed): no better than the input.
 */
export function markRemains(input: Image, clean: Image, alpha: Image, region: Image, maxRatio: number): string | null {
  const ci = new Correlation(), cc = new Correlation();
  forEachStrip(alpha, (y0, y1) => {
    const a = rowsOf(alpha, y0, y1), r = rowsOf(region, y0, y1), I = rowsOf(input, y0, y1), C = rowsOf(clean, y0, y1);
    for (let i = 0; i < a.length; i++) {
      if (r[i] <= 0.5) continue;
      ci.add(a[i], lum(I, i, input.channels));
      cc.add(a[i], lum(C, i, clean.channels));
    }
  });
  const before = Math.abs(ci.r), after = Math.abs(cc.r);
  if (!(before > 0) || !(after >= maxRatio * before)) return null; // NaN (a constant opacity): the other signs judge
  return `The clean image follows the mark's shape as strongly as the input does (correlation with the opacity ${num(after)} against the input's ${num(before)}): ` +
    'the result may be no better than the input: compare the two inside the region. Give the mark\'s colour with --mark-colour R,G,B if it is not white, or a tighter box.';
}

/**
 * A change the mark cannot explain: with I = a W + (1 - a) C and colours in [0, 1], |I - C| <= a
 * in every channel. The share of region pixels changed by more than a + `tolerance`; above
 * `maxShare` the clean image was invented there, not recovered.
 */
export function unexplainedChange(input: Image, clean: Image, alpha: Image, region: Image, tolerance: number, maxShare: number): string | null {
  let n = 0, bad = 0;
  forEachStrip(alpha, (y0, y1) => {
    const a = rowsOf(alpha, y0, y1), r = rowsOf(region, y0, y1), I = rowsOf(input, y0, y1), C = rowsOf(clean, y0, y1);
    for (let i = 0; i < a.length; i++) {
      if (r[i] <= 0.5) continue;
      n++;
      let d = 0;
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(I[i * 3 + c] - C[i * 3 + c]));
      if (d > a[i] + tolerance) bad++;
    }
  });
  const share = n > 0 ? bad / n : 0;
  return share <= maxShare ? null
    : `The clean image differs from the input by more than the mark's opacity can explain on ${pct(share)} of the region (over ${pct(maxShare)}): ` +
      'compare it with the input inside the region. Try --clean solved, or a tighter box.';
}

// ---- segment ----

/**
 * The final mask against its hints (hint map: 1 fg, 0 bg, 0.5 unknown): the share of fg-hinted
 * pixels labelled background and of bg-hinted pixels labelled foreground. Above `maxShare` the
 * mask contradicts what it was told.
 */
export function maskContradictsHints(mask: Image, hints: Image, maxShare: number): string | null {
  let fg = 0, fgLost = 0, bg = 0, bgLost = 0;
  forEachStrip(mask, (y0, y1) => {
    const m = rowsOf(mask, y0, y1), h = rowsOf(hints, y0, y1);
    for (let i = 0; i < m.length; i++) {
      if (h[i] > 0.75) { fg++; if (m[i] < 0.5) fgLost++; } else if (h[i] < 0.25) { bg++; if (m[i] >= 0.5) bgLost++; }
    }
  });
  const lostFg = fg > 0 ? fgLost / fg : 0, lostBg = bg > 0 ? bgLost / bg : 0;
  if (lostFg <= maxShare && lostBg <= maxShare) return null;
  const what = lostFg > maxShare ? `${pct(lostFg)} of the foreground hint is labelled background` : `${pct(lostBg)} of the background hint is labelled foreground`;
  return `The mask contradicts its hints: ${what} (over ${pct(maxShare)}). ` +
    'Give a box around the object (--box X,Y,W,H; on the web page, draw one) or a hint mask.';
}

/**
 * Automatic hints: how clearly the saliency map singles out an object, the mean saliency of the
 * pixels hinted foreground over that of all other pixels. Under `minRatio` the map has no clear
 * object and the hints taken from it are close to a guess. (On 16 photos of ../shared/data at
 * 400 px: single objects 2.5-4.2; textures, a painting and a heap of fruit 1.7-2.1; noise 1.6.
 * The difference of the means separated them less: objects 0.39-0.52, textures 0.30-0.37.)
 */
export function noClearObject(saliency: Image, fgHint: Image, minRatio: number): string | null {
  let nIn = 0, sIn = 0, nOut = 0, sOut = 0;
  forEachStrip(saliency, (y0, y1) => {
    const s = rowsOf(saliency, y0, y1), f = rowsOf(fgHint, y0, y1);
    for (let i = 0; i < s.length; i++) if (f[i] > 0.5) { nIn++; sIn += s[i]; } else { nOut++; sOut += s[i]; }
  });
  const ratio = nIn > 0 && nOut > 0 ? sIn / nIn / Math.max(sOut / nOut, 1e-6) : 0;
  return ratio >= minRatio ? null
    : `The automatic saliency map shows no clear object (the hinted object is only ${num(ratio)} times as salient as the rest, under ${minRatio}), so the automatic hints are a guess: ` +
      'give a box around the object (--box X,Y,W,H; on the web page, draw one) or a hint mask.';
}

// ---- dehaze ----

/** The values at quantiles q of a 1-channel image in [0, 1], from a 1000-bin histogram (strip by strip). */
export function quantiles(img: Image, qs: number[]): number[] {
  const bins = new Float64Array(1001);
  let n = 0;
  forEachStrip(img, (y0, y1) => {
    for (const v of rowsOf(img, y0, y1)) { bins[Math.round(Math.min(1, Math.max(0, v)) * 1000)]++; n++; }
  });
  return qs.map((q) => {
    let seen = 0;
    for (let b = 0; b < bins.length; b++) { seen += bins[b]; if (seen >= q * n) return b / 1000; }
    return 1;
  });
}

/**
 * The transmission's spread, its 95th minus its 5th percentile: under `minSpread` the map is
 * uniform, i.e. no haze that varies with depth was found (nothing for the model to remove, or
 * a uniform haze it cannot tell from the scene's own colours).
 */
export function transmissionUniform(t: Image, minSpread: number): string | null {
  const [lo, hi] = quantiles(t, [0.05, 0.95]);
  return hi - lo >= minSpread ? null
    : `The transmission map is nearly uniform (5th to 95th percentile ${num(lo)} to ${num(hi)}, a spread under ${minSpread}): no depth-dependent haze was found to remove. ` +
      'Compare with --method dcp, or give the haze colour with --airlight R,G,B.';
}

/**
 * Pixels the dehazed image clipped: at 0 or 1 in some channel, where the input is not. Above
 * `maxShare` the solve pushed a large part of the image out of range (too little transmission
 * or a wrong airlight).
 */
export function clippedShare(input: Image, dehazed: Image, maxShare: number): string | null {
  let n = 0, clipped = 0;
  const atEdge = (rows: Float32Array, i: number) => {
    for (let c = 0; c < 3; c++) if (rows[i * 3 + c] <= 0 || rows[i * 3 + c] >= 1) return true;
    return false;
  };
  forEachStrip(dehazed, (y0, y1) => {
    const I = rowsOf(input, y0, y1), J = rowsOf(dehazed, y0, y1);
    for (let i = 0; i < J.length / 3; i++) { n++; if (atEdge(J, i) && !atEdge(I, i)) clipped++; }
  });
  const share = n > 0 ? clipped / n : 0;
  return share <= maxShare ? null
    : `The dehazed image is clipped to black or white on ${pct(share)} of its pixels (over ${pct(maxShare)}): the haze was over-removed there. ` +
      'Give the haze colour with --airlight R,G,B, or compare with --method dcp.';
}
