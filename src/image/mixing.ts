// Two mixtures' coefficients measured from the inputs (issue 23's lead: a coarse search over
// (a, b) scored by the exclusion loss of the solved layers, not by the DIPs alone). With
// D = I1 - I2 = (a - b)(y1 - y2), eq. 6 gives both layers along one line per pixel:
//   y1 = I1 + u D,  y2 = I1 - v D,   u = (1 - a) / (a - b),  v = a / (a - b),
// so every candidate's layer gradients are I1's and D's gradients mixed: no solve per candidate.
// Wrong coefficients leave some of each layer in the other, whose edges then coincide; the
// true ones give layers with edges in different places, the exclusion loss's minimum. Each layer's
// gradients are scaled to unit mean magnitude first: unscaled, the loss prefers the lower-contrast
// (still mixed) layers and lands 10-32 dB short on exact mixtures (dev set, docs/benchmarks.md).
import type { Image } from './image.js';
import { fitLongSide, resizeImage, toRgb } from './resize.js';

export interface MixingEstimate {
  /** The coefficients [a, b] of I1 = a y1 + (1 - a) y2, I2 = b y1 + (1 - b) y2; a > b. */
  coefficients: [number, number];
  /** The scaled exclusion loss of the layers they solve (lower: layers more apart). */
  exclusion: number;
}

/** Mean 2 x 2 pooling of an RGB array. */
function pool(d: Float32Array, w: number, h: number): [Float32Array, number, number] {
  const W = w >> 1, H = h >> 1, o = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
    const i = (2 * y * w + 2 * x) * 3 + c;
    o[(y * W + x) * 3 + c] = 0.25 * (d[i] + d[i + 3] + d[i + w * 3] + d[i + w * 3 + 3]);
  }
  return [o, W, H];
}
/** Horizontal and vertical differences of an RGB array. */
function gradients(d: Float32Array, w: number, h: number): [Float32Array, Float32Array] {
  const gx = new Float32Array((w - 1) * h * 3), gy = new Float32Array(w * (h - 1) * 3);
  let k = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w - 1; x++) for (let c = 0; c < 3; c++) gx[k++] = d[(y * w + x + 1) * 3 + c] - d[(y * w + x) * 3 + c];
  k = 0;
  for (let y = 0; y < h - 1; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) gy[k++] = d[((y + 1) * w + x) * 3 + c] - d[(y * w + x) * 3 + c];
  return [gx, gy];
}

/** The gradients of I1 and of D at 3 scales, both directions: [gradient of I1, gradient of D] pairs. */
function pyramid(I1: Float32Array, D: Float32Array, w: number, h: number): [Float32Array, Float32Array][] {
  const out: [Float32Array, Float32Array][] = [];
  let a = I1, b = D, W = w, H = h;
  for (let level = 0; level < 3 && W > 2 && H > 2; level++) {
    const [ax, ay] = gradients(a, W, H), [bx, by] = gradients(b, W, H);
    out.push([ax, bx], [ay, by]);
    [a] = pool(a, W, H);
    [b, W, H] = pool(b, W, H);
  }
  return out;
}

/**
 * The exclusion loss (losses/exclusion.ts: <psi(g1_j)^2 psi(g2_i)^2>^(1/4) over 9 channel pairs,
 * 3 scales, 2 directions) of the layers (a, b) solve, each layer's gradients scaled to unit mean magnitude.
 */
function scaledExclusion(grads: [Float32Array, Float32Array][], a: number, b: number): number {
  const s = 1 / (a - b), u = (1 - a) * s, v = a * s, m = new Float64Array(9);
  const psi2 = (g: number) => Math.tanh(g / 2) ** 2;
  let total = 0;
  for (const [gi, gd] of grads) {
    let s1 = 0, s2 = 0;
    for (let p = 0; p < gi.length; p++) { s1 += Math.abs(gi[p] + u * gd[p]); s2 += Math.abs(gi[p] - v * gd[p]); }
    const k1 = gi.length / (s1 + 1e-9), k2 = gi.length / (s2 + 1e-9);
    m.fill(0);
    for (let p = 0; p < gi.length; p += 3) {
      const x0 = psi2(k1 * (gi[p] + u * gd[p])), x1 = psi2(k1 * (gi[p + 1] + u * gd[p + 1])), x2 = psi2(k1 * (gi[p + 2] + u * gd[p + 2]));
      const y0 = psi2(k2 * (gi[p] - v * gd[p])), y1 = psi2(k2 * (gi[p + 1] - v * gd[p + 1])), y2 = psi2(k2 * (gi[p + 2] - v * gd[p + 2]));
      m[0] += x0 * y0; m[1] += x0 * y1; m[2] += x0 * y2; m[3] += x1 * y0; m[4] += x1 * y1; m[5] += x1 * y2; m[6] += x2 * y0; m[7] += x2 * y1; m[8] += x2 * y2;
    }
    const n = gi.length / 3;
    for (let k = 0; k < 9; k++) total += (m[k] / n + 1e-12) ** 0.25;
  }
  return total / (9 * grads.length);
}

/**
 * The coefficients whose solved layers have the lowest scaled exclusion loss: a grid over
 * 1 >= a > b >= 0 in steps of 0.05 on the inputs at a long side of side / 2 px, refined twice
 * around the best (0.0125, then 0.003) at `side` px (never enlarged). Null when the two inputs hardly differ (nothing to separate).
 */
export function estimateMixing(inputs: [Image, Image], side: number): MixingEstimate | null {
  const at = (px: number) => {
    const [first, second] = inputs, { width: w, height: h } = fitLongSide(first.width, first.height, px);
    const I1 = resizeImage(toRgb(first), w, h).data, I2 = resizeImage(toRgb(second), w, h).data, D = I1.map((v, i) => v - I2[i]);
    return { D, grads: pyramid(I1, D, w, h) };
  };
  const fine = at(side);
  if (fine.D.reduce((s, d) => s + Math.abs(d), 0) / fine.D.length < 1e-3) return null;
  // The coarse grid at half the side (4x fewer pixels), the refinements at the full side.
  const coarse = at(Math.max(16, side >> 1)).grads;
  let best: MixingEstimate | null = null;
  const score = (grads: typeof coarse, a: number, b: number) => {
    if (a > 1 || b < 0 || a - b < 0.02) return;
    const e = scaledExclusion(grads, a, b);
    if (!best || e < best.exclusion) best = { coefficients: [a, b], exclusion: e };
  };
  for (let i = 1; i <= 20; i++) for (let j = 0; j < i; j++) score(coarse, i * 0.05, j * 0.05);
  const [a0, b0] = best!.coefficients;
  best = null;
  score(fine.grads, a0, b0);
  for (const step of [0.0125, 0.003]) {
    const [a1, b1] = best!.coefficients;
    for (let i = -4; i <= 4; i++) for (let j = -4; j <= 4; j++) score(fine.grads, a1 + i * step, b1 + j * step);
  }
  return best;
}
