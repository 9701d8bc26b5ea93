// The classic Dark Channel Prior dehazer (He, Sun & Tang, CVPR 2009 / TPAMI 2011), the
// paper's main baseline: host-side only, no training, seconds.
//   dark channel (15 px patches) -> airlight A from the brightest 0.1% dark-channel pixels
//   -> t = 1 - omega * dark(I / A) -> colour guided filter (He's refinement) -> J = (I - A) / max(t, t0) + A
import type { Image } from './image.js';
import { forEachStrip, mapRows, rowsOf } from './lazy-image.js';
import { darkChannel, estimateAirlight, type AirlightMode } from './dark-channel.js';
import { refineMask } from './mask.js';
import { recoverScene } from './solve.js';

export interface DcpOptions {
  patch?: number; // dark-channel window, px (He: 15)
  omega?: number; // keeps a little haze for depth perception (He: 0.95)
  t0?: number; // lower bound on t (He: 0.1)
  radius?: number; // guided-filter radius at full resolution (He: 60)
  eps?: number; // guided-filter regulariser
  airlightMode?: AirlightMode; // how the brightest-dark-channel candidates give one colour
  airlight?: [number, number, number]; // a known airlight colour in [0, 1]: used as given, not estimated
}

export const DCP_DEFAULTS: Required<Omit<DcpOptions, 'airlight'>> = { patch: 15, omega: 0.95, t0: 0.1, radius: 60, eps: 1e-3, airlightMode: 'brightest' };

/** Transmission t = 1 - omega * dark(I / A), before refinement. */
export function dcpTransmission(img: Image, A: [number, number, number], patch: number, omega: number): Image {
  // I / A is read a strip at a time by darkChannel, not made whole.
  const norm = mapRows([img], 3, ([v], out) => { for (let i = 0; i < out.length; i++) out[i] = v[i] / Math.max(A[i % 3], 1e-3); });
  const t = darkChannel(norm, patch);
  for (let i = 0; i < t.data.length; i++) t.data[i] = 1 - omega * t.data[i];
  return t;
}

/** A given airlight colour, checked: three numbers in (0, 1] (A = 0 would divide by zero in t). */
export function checkAirlight(A: readonly number[]): [number, number, number] {
  if (A.length !== 3 || A.some((v) => !Number.isFinite(v) || v <= 0 || v > 1))
    throw new Error(`The airlight must be three numbers in (0, 1] (R, G, B), got [${A.join(', ')}]. On the command line give --airlight R,G,B in 1-255.`);
  return [A[0], A[1], A[2]];
}

/** What the dark channel prior finds in a hazy RGB image: airlight A, transmission t (refined), scene J, and how well they explain the input. */
export interface DcpSolution { A: [number, number, number]; transmission: Image; dehazed: Image; psnr: number }

/** He et al.'s dehazing of an RGB image with every setting given (DCP_DEFAULTS); the airlight is estimated unless given. */
export function dcpDehaze(img: Image, o: Required<Omit<DcpOptions, 'airlight'>> & Pick<DcpOptions, 'airlight'>): DcpSolution {
  const A = o.airlight ? checkAirlight(o.airlight) : estimateAirlight(img, darkChannel(img, o.patch), 0.001, o.airlightMode);
  const raw = dcpTransmission(img, A, o.patch, o.omega);
  const t = refineMask(img, raw, o.radius, o.eps); // clipped to [0, 1]
  const dehazed = recoverScene(img, t, A, o.t0);
  return { A, transmission: t, dehazed, psnr: hazeModelPsnr(img, t, A, dehazed) };
}

/** How well the haze model I = t J + (1 - t) A explains the input, in dB (lower where J was clipped); t whole, J read a strip at a time. */
export function hazeModelPsnr(img: Image, t: Image, A: [number, number, number], dehazed: Image): number {
  let se = 0;
  forEachStrip(img, (y0, y1) => {
    const J = rowsOf(dehazed, y0, y1), I = rowsOf(img, y0, y1);
    for (let i = y0 * img.width, k = 0; i < y1 * img.width; i++, k++) for (let c = 0; c < 3; c++) {
      const r = t.data[i] * J[k * 3 + c] + (1 - t.data[i]) * A[c] - I[k * 3 + c];
      se += r * r;
    }
  });
  return -10 * Math.log10(Math.max(se / (3 * img.width * img.height), 1e-12));
}
