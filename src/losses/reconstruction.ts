// Reconstruction losses: how far the mixed layers are from the input (criterion i of the paper).
import type { Tensor } from '../tensor/index.js';

export const l1 = (a: Tensor, b: Tensor): Tensor => a.sub(b).abs().mean();
export const mse = (a: Tensor, b: Tensor): Tensor => a.sub(b).square().mean();

/** L1 restricted to where the hint h is on: <|h*a - h*b|> / <|h|>  (the reference's ExtL1). */
export function maskedL1(a: Tensor, b: Tensor, h: Tensor): Tensor {
  return a.sub(b).mul(h).abs().mean().div(h.abs().mean().add(1e-8));
}

/** Peak signal-to-noise ratio in dB for images in [0, 1]. */
export function psnr(a: Tensor, b: Tensor): number {
  return -10 * Math.log10(Math.max(mse(a, b).item(), 1e-12));
}
