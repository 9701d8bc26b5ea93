// Separable linear filters on interleaved float arrays: Gaussian taps and a convolution whose
// borders replicate the edge pixel, whole or a strip of rows at a time.

/** Normalised Gaussian taps for offsets -radius..radius. */
export function gaussianKernel(radius: number, sigma: number): number[] {
  const k: number[] = [];
  for (let i = -radius; i <= radius; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

/** Separable convolution with an odd symmetric kernel; borders replicate the edge pixel. */
export function separableBlur(src: ArrayLike<number>, w: number, h: number, c: number, kernel: number[]): Float64Array {
  return blurRows(src, w, h, c, kernel, 0, 0, h);
}

/**
 * Rows [y0, y1) of separableBlur of an image `h` rows high, from its rows [top, top + src rows),
 * which must hold every row within the kernel's reach of [y0, y1) (clipped to the image).
 */
export function blurRows(src: ArrayLike<number>, w: number, h: number, c: number, kernel: number[], top: number, y0: number, y1: number): Float64Array {
  const r = (kernel.length - 1) / 2;
  const rows = src.length / (w * c);
  const tmp = new Float64Array(w * rows * c);
  const out = new Float64Array(w * (y1 - y0) * c);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) {
          const xx = Math.min(w - 1, Math.max(0, x + k));
          acc += kernel[k + r] * src[(y * w + xx) * c + ch];
        }
        tmp[(y * w + x) * c + ch] = acc;
      }
    }
  }
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) {
          const yy = Math.min(h - 1, Math.max(0, y + k)) - top;
          acc += kernel[k + r] * tmp[(yy * w + x) * c + ch];
        }
        out[((y - y0) * w + x) * c + ch] = acc;
      }
    }
  }
  return out;
}
