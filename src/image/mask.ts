// Mask operations on host images. Refinement: He et al.'s colour guided filter at full
// resolution (radius 50, eps 1e-4 as the reference), guided by the input image, so mask edges
// follow image edges; then a binary mask by a minimum cut (cutMask), which settles the pixels the
// soft mask is unsure of along colour edges rather than at a fixed 0.5.
import type { Image, Rect } from './image.js';
import { resizeImage, resizeLazily } from './resize.js';
import { forEachStrip, mapRows, rowsOf } from './lazy-image.js';
import { guidedFilter } from './guided-filter.js';
import { minCut } from './graph-cut.js';
import { contrastEdges } from './grabcut.js';
import { clamp01 } from './pixel.js';

export const GUIDED_RADIUS = 50;
export const GUIDED_EPS = 1e-4;
/** Edge weight of cutMask: the cut raised bench/quality's box IoU over the 0.5 threshold (docs/benchmarks.md, segmentation). */
export const CUT_GAMMA = 3;
/** Largest mask cut at full size (its graph: ~93 bytes a pixel, 25 MB); larger ones are cut at this size. */
export const CUT_PIXELS = 512 * 512;

export function refineMask(guide: Image, mask: Image, radius = GUIDED_RADIUS, eps = GUIDED_EPS): Image {
  // The radius was chosen for full-size photos; keep it proportionate on small images.
  const r = Math.max(1, Math.min(radius, Math.round(Math.min(guide.width, guide.height) / 8)));
  const out = guidedFilter(guide, mask, r, eps);
  for (let i = 0; i < out.data.length; i++) out.data[i] = clamp01(out.data[i]);
  return out;
}

/**
 * Weight of the hints in the mask that is cut: p = (1 - w) soft + w hint, the hint 1 on fg, 0 on bg,
 * 0.5 where unknown. At 0.25 a hint cannot overturn a confident DIP (soft 0 stays below 0.5) but
 * settles the pixels it is unsure of; at 0.5 a wrong automatic hint could never be corrected
 * (measurements: docs/benchmarks.md, segmentation). Video segmentation only: a photo's mask is cut
 * without it since it lost on the dev set's check half.
 */
export const HINT_WEIGHT = 0.25;

/** Lazy (made a strip at a time when read), as threshold: soft and hint must not change afterwards. */
export function leanOnHints(soft: Image, hint: Image, weight = HINT_WEIGHT): Image {
  const h = hint.width === soft.width && hint.height === soft.height ? hint : resizeLazily(hint, soft.width, soft.height);
  return mapRows([soft, h], soft.channels, ([s, hs], out) => { for (let i = 0; i < out.length; i++) out[i] = (1 - weight) * s[i] + weight * hs[i]; });
}

export function threshold(img: Image, at = 0.5): Image {
  return mapRows([img], img.channels, ([v], out) => { for (let i = 0; i < out.length; i++) out[i] = v[i] > at ? 1 : 0; });
}

/**
 * Binary mask from a soft one by a minimum cut rather than a threshold: each pixel pays
 * -log p for the label it takes (p the soft mask, as a probability) and neighbours pay
 * GrabCut's contrast-sensitive cost for a label change, so the boundary snaps to colour edges
 * where the soft mask is unsure. gamma = 0 gives the 0.5 threshold.
 */
export function cutMask(image: Image, soft: Image, gamma = CUT_GAMMA, maxPixels = CUT_PIXELS): Image {
  const { width, height } = soft;
  if (width * height > maxPixels) {
    // A full-size cut of a large photo costs seconds and gigabytes: cut a smaller copy, then bring
    // its boundary back to full resolution along the photo's edges with the guided filter.
    const s = Math.sqrt(maxPixels / (width * height));
    const w = Math.max(1, Math.round(width * s)), h = Math.max(1, Math.round(height * s));
    // Rounding can leave w x h a little above maxPixels: cut that size as it is (recursing again
    // would shrink it by ~nothing, forever; a 513x553 mask did).
    const small = cutMask(resizeImage(image, w, h), resizeImage(soft, w, h), gamma, Math.max(maxPixels, w * h));
    return threshold(refineMask(image, resizeLazily(small, width, height), Math.round(2 / s)));
  }
  const n = width * height;
  const fgCost = new Float32Array(n), bgCost = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - 1e-3, Math.max(1e-3, soft.data[i]));
    fgCost[i] = -Math.log(p);
    bgCost[i] = -Math.log(1 - p);
  }
  const label = minCut({ width: soft.width, height: soft.height, fgCost, bgCost, pair: contrastEdges(image, gamma) });
  return { ...soft, data: Float32Array.from(label) };
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
