// Mask refinement: He et al.'s colour guided filter at full resolution (radius 50, eps 1e-4
// as the reference), guided by the input image, so mask edges follow image edges; then a
// binary mask by a minimum cut (cutMask), which settles the pixels the soft mask is unsure of
// along colour edges rather than at a fixed 0.5.
import type { Image } from '../image/image.js';
import { resizeImage, resizeLazily } from '../image/resize.js';
import { mapRows } from '../image/lazy-image.js';
import { guidedFilter } from '../image/guided-filter.js';
import { minCut } from '../image/graph-cut.js';
import { contrastEdges } from '../image/grabcut.js';

export const GUIDED_RADIUS = 50;
export const GUIDED_EPS = 1e-4;
/**
 * Edge weight of cutMask. bench/quality, IoU of mask.png (0.5 threshold -> cut, gamma 3): horse box
 * 0.909 -> 0.929, VOC box 0.520 -> 0.538, automatic hints horse 0.581 -> 0.576, VOC 0.164 -> 0.165.
 * Gamma 2 / 3 / 5 re-cut from the saved 8-bit soft masks: horse box 0.941 / 0.940 / 0.929, VOC box
 * 0.537 / 0.538 / 0.525, automatic horse 0.577 / 0.577 / 0.564.
 */
export const CUT_GAMMA = 3;
/** Largest mask cut at full size (0.5 s, ~100 MB); larger ones are cut at this size. */
export const CUT_PIXELS = 512 * 512;

export function refineMask(guide: Image, mask: Image, radius = GUIDED_RADIUS, eps = GUIDED_EPS): Image {
  // The radius was chosen for full-size photos; keep it proportionate on small images.
  const r = Math.max(1, Math.min(radius, Math.round(Math.min(guide.width, guide.height) / 8)));
  const out = guidedFilter(guide, mask, r, eps);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]));
  return out;
}

/**
 * Weight of the hints in the mask that is cut: p = (1 - w) soft + w hint, the hint 1 on fg, 0 on bg,
 * 0.5 where unknown. At 0.25 a hint cannot overturn a confident DIP (soft 0 stays below 0.5) but
 * settles the pixels it is unsure of, such as a thin leg the mask DIP left at 0.4. Re-cut from the
 * saved soft masks of bench/quality (IoU, w 0 / 0.25 / 0.5): horse box 0.929 / 0.940 / 0.957,
 * VOC box 0.538 / 0.538 / 0.543, automatic hints horse 0.776 / 0.799 / 0.798, VOC 0.165 / 0.169 / 0.170.
 * The bench re-run at 0.25: 0.941, 0.538, 0.799, 0.169. 0.5 is not taken although it scores a little
 * higher here: there every hinted pixel is the hint's, whatever the DIPs learned, so a wrong
 * automatic hint (saliency on the wrong object) could never be corrected.
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
    const small = cutMask(resizeImage(image, w, h), resizeImage(soft, w, h), gamma, maxPixels);
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
