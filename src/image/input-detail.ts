// A clean layer given back the input's own detail around the mark. Several images' clean DIPs
// make their layers at the working size, upsampled to the input's: blurred. Where the mark is
// absent the input is the clean image, so there I - C is exactly what C misses; filled into the
// marked pixels from around them (a Gaussian-weighted mean over the unmarked pixels: a mark's
// strokes are thin), it sharpens C under the mark before the opacity is fitted against it
// (docs/benchmarks.md, "Watermark, several images: the clean layers given the input's detail").
import type { Image } from './image.js';
import { LazyImage, rowsOf } from './lazy-image.js';
import { gaussianKernel } from './filters.js';
import { clamp01 } from './pixel.js';

/** Rows made at a time (the blur's reach above and below a block is read again for the next). */
const BLOCK_ROWS = 32;

/**
 * C + R, R = I - C where `marked` < 0.5 (there: the input), elsewhere the mean of I - C over the
 * unmarked pixels weighted by a Gaussian of `sigma` pixels (none within its reach: C); borders
 * replicate the edge pixel. Made a strip of rows at a time.
 */
export function withInputDetail(input: Image, clean: Image, marked: Image, sigma: number): Image {
  const { width: w, height: h } = input;
  const reach = Math.ceil(3 * sigma), kernel = gaussianKernel(reach, sigma);
  return new LazyImage(w, h, 3, (y0, y1) => {
    // A few rows at a time: the rows around a block, read from three lazy images, are all it holds.
    const out = new Float32Array((y1 - y0) * w * 3);
    for (let b = y0; b < y1; b += BLOCK_ROWS) fill(out, (b - y0) * w * 3, b, Math.min(y1, b + BLOCK_ROWS));
    return out;
  });

  /** Rows [y0, y1) into `into` from index `at`. */
  function fill(into: Float32Array, at: number, y0: number, y1: number): void {
    const top = Math.max(0, y0 - reach), bottom = Math.min(h, y1 + reach), rows = bottom - top;
    const M = rowsOf(marked, top, bottom), I = rowsOf(input, top, bottom);
    into.set(I.subarray((y0 - top) * w * 3, (y1 - top) * w * 3), at);
    // Only the columns that hold a marked pixel of these rows change: a separable normalised
    // convolution on them alone, its vertical pass at the marked pixels alone (a mark is a small
    // part of a photo; a blur of every pixel took 14 s a pass on 24 MP).
    let x0 = w, x1 = -1;
    for (let i = (y0 - top) * w; i < (y1 - top) * w; i++) if (M[i] >= 0.5) { x0 = Math.min(x0, i % w); x1 = Math.max(x1, i % w); }
    if (x1 < 0) return;
    const C = rowsOf(clean, top, bottom), span = x1 - x0 + 1;
    const weight = new Float32Array(rows * span), sum = new Float32Array(rows * span * 3);
    for (let y = 0; y < rows; y++) {
      for (let x = x0; x <= x1; x++) {
        let g = 0, r0 = 0, r1 = 0, r2 = 0;
        for (let k = -reach; k <= reach; k++) {
          const j = y * w + Math.min(w - 1, Math.max(0, x + k));
          if (M[j] >= 0.5) continue;
          const c = kernel[k + reach];
          g += c; r0 += c * (I[j * 3] - C[j * 3]); r1 += c * (I[j * 3 + 1] - C[j * 3 + 1]); r2 += c * (I[j * 3 + 2] - C[j * 3 + 2]);
        }
        const o = y * span + x - x0;
        weight[o] = g; sum[o * 3] = r0; sum[o * 3 + 1] = r1; sum[o * 3 + 2] = r2;
      }
    }
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = (y - top) * w + x;
        if (M[i] < 0.5) continue;
        let g = 0, r0 = 0, r1 = 0, r2 = 0;
        for (let k = -reach; k <= reach; k++) {
          const o = (Math.min(h - 1, Math.max(0, y + k)) - top) * span + x - x0, c = kernel[k + reach];
          g += c * weight[o]; r0 += c * sum[o * 3]; r1 += c * sum[o * 3 + 1]; r2 += c * sum[o * 3 + 2];
        }
        const p = at + ((y - y0) * w + x) * 3, known = g > 1e-3;
        into[p] = clamp01(C[i * 3] + (known ? r0 / g : 0));
        into[p + 1] = clamp01(C[i * 3 + 1] + (known ? r1 / g : 0));
        into[p + 2] = clamp01(C[i * 3 + 2] + (known ? r2 / g : 0));
      }
    }
  }
}
