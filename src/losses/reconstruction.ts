// Reconstruction losses: how far the mixed layers are from the input (criterion i of the paper).
import type { Tensor } from '../tensor/index.js';

export const l1 = (a: Tensor, b: Tensor): Tensor => a.sub(b).abs().mean();
export const mse = (a: Tensor, b: Tensor): Tensor => a.sub(b).square().mean();

/** L1 restricted to where the hint h is on: <|h*a - h*b|> / <|h|>  (the reference's ExtL1). */
export function maskedL1(a: Tensor, b: Tensor, h: Tensor): Tensor {
  return maskedDistance(a, b, h, 'l1');
}

/** L1 or MSE restricted to where h is on, as a mean over those pixels: <|h (a - b)|^p> / <|h|>. */
export function maskedDistance(a: Tensor, b: Tensor, h: Tensor, metric: 'l1' | 'mse' = 'l1'): Tensor {
  const d = a.sub(b).mul(h);
  return (metric === 'mse' ? d.square() : d.abs()).mean().div(h.abs().mean().add(1e-8));
}

/** Peak signal-to-noise ratio in dB for images in [0, 1]. */
export function psnr(a: Tensor, b: Tensor): number {
  return -10 * Math.log10(Math.max(mse(a, b).item(), 1e-12));
}
