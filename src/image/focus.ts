// How much sharper the hinted object is than the hinted background: the mean Laplacian magnitude
// of the grey image over each hint. An object in focus over a defocused background scores tens
// (composites, background defocused 4-6 px: 7-220); a sharp scene 0.5-8, up to 19 over smooth
// snow or sky; the real photos in ../shared 0.55-19 (docs/benchmarks.md).
import type { Image } from './image.js';

/** Mean |Laplacian| of the grey image over the fg hint divided by its mean over the bg hint (0 if either hint is empty). */
export function focusRatio(img: Image, fg: Image, bg: Image): number {
  const { width: w, height: h, channels: c } = img;
  if (fg.width !== w || fg.height !== h || bg.width !== w || bg.height !== h)
    throw new Error(`focusRatio: hints ${fg.width}x${fg.height} and ${bg.width}x${bg.height} for a ${w}x${h} image: give hints at the image's size.`);
  // The channels' plain mean, not toGrey's BT.601 weights: the threshold was measured with it, and
  // the weights move the ratio up to 18% (6 of 240 measured images across 20).
  const grey = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    let s = 0;
    for (let k = 0; k < Math.min(c, 3); k++) s += img.data[i * c + k];
    grey[i] = s / Math.min(c, 3);
  }
  let sumFg = 0, nFg = 0, sumBg = 0, nBg = 0;
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = y * w + x;
    const lap = Math.abs(4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - w] - grey[i + w]);
    if (fg.data[i] > 0.5) { sumFg += lap; nFg++; } else if (bg.data[i] > 0.5) { sumBg += lap; nBg++; }
  }
  if (!nFg || !nBg) return 0;
  return sumFg / nFg / Math.max(sumBg / nBg, 1e-6);
}
