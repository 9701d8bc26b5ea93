// Host-side solves: given what the DIPs learned (a mask, a transmission, mixing coefficients),
// the paper's mixing models are inverted at full resolution, pixel by pixel, from the inputs,
// which keeps the photo's own detail that the DIPs blur. All lazy: solved a strip of rows at a
// time when read.
import type { Image } from './image.js';
import { mapRows } from './lazy-image.js';
import { clamp01 } from './pixel.js';

/** J = clip((I - (1 - t) * A) / max(t, t0)); A is one colour or a 3-channel map. Lazy: solved a strip of rows at a time when read. */
export function recoverScene(img: Image, t: Image, A: [number, number, number] | Image, t0: number): Image {
  const map = Array.isArray(A) ? null : A;
  return mapRows(map ? [img, t, map] : [img, t], 3, ([I, T, M], J) => {
    for (let i = 0; i < T.length; i++) {
      const ti = Math.max(T[i], t0);
      for (let c = 0; c < 3; c++) {
        const a = map ? M[i * 3 + c] : (A as number[])[c];
        J[i * 3 + c] = clamp01((I[i * 3 + c] - a) / ti + a);
      }
    }
  });
}

/** Solving C divides by 1 - m: where m is above this, the clean DIP's output is kept instead. */
export const SOLVE_BELOW = 0.9;

/**
 * Watermark: I = m W + (1 - m) C  =>  C = (I - m W) / (1 - m), clipped to [0, 1], at full
 * resolution: the shared mark is what three images pin down well, and the solve keeps the photo's
 * own detail, which the clean DIP blurs. It is the haze model's inversion with t = 1 - m and A = W.
 * Where m > SOLVE_BELOW the division amplifies noise: `net` there.
 */
export function solveClean(input: Image, alpha: Image, mark: Image, net: Image): Image {
  // Lazy, as recoverScene: solved a strip of rows at a time when read.
  const t = mapRows([alpha], 1, ([a], out) => { for (let i = 0; i < out.length; i++) out[i] = 1 - a[i]; });
  const solved = recoverScene(input, t, mark, 1 - SOLVE_BELOW);
  return mapRows([solved, alpha, net], 3, ([C, a, N], out) => {
    out.set(C);
    for (let i = 0; i < a.length; i++) if (a[i] > SOLVE_BELOW) for (let c = 0; c < 3; c++) out[i * 3 + c] = N[i * 3 + c];
  });
}

/**
 * Transparent layers, two mixtures (eq. 6):
 * I1 = a y1 + (1 - a) y2, I2 = b y1 + (1 - b) y2  =>
 * y1 = ((1 - b) I1 - (1 - a) I2) / (a - b),  y2 = (a I2 - b I1) / (a - b), clipped to [0, 1].
 */
export function solveTwoMixtures([I1, I2]: [Image, Image], [a, b]: [number, number]): [Image, Image] {
  // Lazy: solved a strip of rows at a time when read (full-resolution outputs).
  const y1 = mapRows([I1, I2], 3, ([i1, i2], out) => { for (let i = 0; i < out.length; i++) out[i] = clamp01(((1 - b) * i1[i] - (1 - a) * i2[i]) / (a - b)); });
  const y2 = mapRows([I1, I2], 3, ([i1, i2], out) => { for (let i = 0; i < out.length; i++) out[i] = clamp01((a * i2[i] - b * i1[i]) / (a - b)); });
  return [y1, y2];
}
