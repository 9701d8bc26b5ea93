// How much sharper the hinted object is than the hinted background: the mean Laplacian magnitude
// of the grey image over each hint. An object in focus over a defocused background scores tens
// (composites, background defocused 4-6 px: 7-220); a sharp scene 0.5-8, up to 19 over smooth
// snow or sky; the real photos in ../shared 0.55-19 (docs/benchmarks.md). The focus map says the
// same per pixel, for GrabCut's cut.
import { createImage, type Image } from './image.js';
import { gaussianKernel, separableBlur } from './filters.js';

/** Mean |Laplacian| of the grey image over the fg hint divided by its mean over the bg hint (0 if either hint is empty). */
export function focusRatio(img: Image, fg: Image, bg: Image): number {
  const { width: w, height: h } = img;
  if (fg.width !== w || fg.height !== h || bg.width !== w || bg.height !== h)
    throw new Error(`focusRatio: hints ${fg.width}x${fg.height} and ${bg.width}x${bg.height} for a ${w}x${h} image: give hints at the image's size.`);
  const lap = laplacianMagnitude(img);
  let sumFg = 0, nFg = 0, sumBg = 0, nBg = 0;
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = y * w + x;
    if (fg.data[i] > 0.5) { sumFg += lap[i]; nFg++; } else if (bg.data[i] > 0.5) { sumBg += lap[i]; nBg++; }
  }
  if (!nFg || !nBg) return 0;
  return sumFg / nFg / Math.max(sumBg / nBg, 1e-6);
}

/** |Laplacian| of the grey image (the channels' plain mean), 0 on the image's outermost pixels. */
function laplacianMagnitude(img: Image): Float32Array {
  const { width: w, height: h, channels: c } = img;
  // The channels' plain mean, not toGrey's BT.601 weights: the threshold was measured with it, and
  // the weights move the ratio up to 18% (6 of 240 measured images across 20).
  const grey = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    let s = 0;
    for (let k = 0; k < Math.min(c, 3); k++) s += img.data[i * c + k];
    grey[i] = s / Math.min(c, 3);
  }
  const lap = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = y * w + x;
    lap[i] = Math.abs(4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - w] - grey[i + w]);
  }
  return lap;
}

/**
 * How likely each pixel is in focus, 0..1: the local mean |Laplacian| L (Gaussian, `sigma` px)
 * against the known background's mean B, L / (L + k B). Over a defocused background, the object's
 * textured parts score near 1 and the background near 1 / (1 + k).
 */
export function focusMap(img: Image, bg: Image, sigma: number, k: number): Image {
  const { width: w, height: h } = img;
  if (bg.width !== w || bg.height !== h)
    throw new Error(`focusMap: a ${bg.width}x${bg.height} background hint for a ${w}x${h} image: give it at the image's size.`);
  const lap = laplacianMagnitude(img);
  let sum = 0, n = 0;
  for (let i = 0; i < w * h; i++) if (bg.data[i] > 0.5) { sum += lap[i]; n++; }
  const ref = k * Math.max(n ? sum / n : 0, 1e-6);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const local = separableBlur(lap, w, h, 1, gaussianKernel(r, sigma));
  const out = createImage(w, h, 1);
  for (let i = 0; i < w * h; i++) out.data[i] = local[i] / (local[i] + ref);
  return out;
}
