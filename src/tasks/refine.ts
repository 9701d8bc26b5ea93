// Mask refinement: He et al.'s colour guided filter at full resolution (radius 50, eps 1e-4
// as the reference), guided by the input image, so mask edges follow image edges.
import type { Image } from '../image/image.js';
import { guidedFilter } from '../image/guided-filter.js';

export const GUIDED_RADIUS = 50;
export const GUIDED_EPS = 1e-4;

export function refineMask(guide: Image, mask: Image, radius = GUIDED_RADIUS, eps = GUIDED_EPS): Image {
  // The radius was chosen for full-size photos; keep it proportionate on small images.
  const r = Math.max(1, Math.min(radius, Math.round(Math.min(guide.width, guide.height) / 8)));
  const out = guidedFilter(guide, mask, r, eps);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]));
  return out;
}

export function threshold(img: Image, at = 0.5): Image {
  return { ...img, data: img.data.map((v) => (v > at ? 1 : 0)) };
}
