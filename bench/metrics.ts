// Quality metrics for the benchmarks: PSNR, SSIM, NCC, IoU on host images.
import type { Image } from '../src/image/image.js';
import { toGrey } from '../src/image/resize.js';

// PSNR and IoU are the library's own (src/image/compare.ts): the join of video chunks uses them too.
export { psnr, iou } from '../src/image/compare.js';

/** Mean SSIM (Wang et al. 2004) on luminance, 8x8 windows with stride 4. */
export function ssim(a: Image, b: Image): number {
  const x = a.channels === 1 ? a : toGrey(a), y = b.channels === 1 ? b : toGrey(b);
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2, w = 8;
  let total = 0, n = 0;
  for (let oy = 0; oy + w <= x.height; oy += 4) for (let ox = 0; ox + w <= x.width; ox += 4) {
    let mx = 0, my = 0, vx = 0, vy = 0, cxy = 0;
    for (let j = 0; j < w; j++) for (let i = 0; i < w; i++) { const p = (oy + j) * x.width + ox + i; mx += x.data[p]; my += y.data[p]; }
    mx /= w * w; my /= w * w;
    for (let j = 0; j < w; j++) for (let i = 0; i < w; i++) {
      const p = (oy + j) * x.width + ox + i, dx = x.data[p] - mx, dy = y.data[p] - my;
      vx += dx * dx; vy += dy * dy; cxy += dx * dy;
    }
    vx /= w * w - 1; vy /= w * w - 1; cxy /= w * w - 1;
    total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
    n++;
  }
  return total / n;
}

/** Normalised cross-correlation: insensitive to the layers' global colour/gain ambiguity. */
export function ncc(a: Image, b: Image): number {
  const n = a.data.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a.data[i]; mb += b.data[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const da = a.data[i] - ma, db = b.data[i] - mb; sab += da * db; saa += da * da; sbb += db * db; }
  return sab / Math.sqrt(saa * sbb + 1e-12);
}
