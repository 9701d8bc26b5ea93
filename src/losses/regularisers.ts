// Task-specific regularisers on masks and layers (the paper's Loss_Reg).
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

/** Segmentation: push the mask to binary, (<|m - 0.5|>)^-1 (paper eq. 3, as a mean). */
export const binaryMask = (m: Tensor): Tensor => m.sub(0.5).abs().mean().add(1e-6).reciprocal();

/** Smoothness: <(g - box5x5(g))^2> on the channel mean g, over the valid region. */
export function smoothness(x: Tensor, size = 5): Tensor {
  const g = x.mean(1, true);
  const box = torch.avgPool2d(g, size, { stride: 1 });
  const r = (size - 1) >> 1;
  const centre = g.narrow(2, r, box.size(2)).narrow(3, r, box.size(3));
  return centre.sub(box).square().mean();
}

/** Distance of a layer to a constant (e.g. airlight A to A0, or a coefficient to 0.5). */
export function distanceTo(x: Tensor, value: number | number[], metric: 'mse' | 'l1' = 'mse'): Tensor {
  const target = typeof value === 'number' ? value : torch.tensor(value, [1, value.length, 1, 1], { device: x.device });
  const d = x.sub(target);
  return metric === 'mse' ? d.square().mean() : d.abs().mean();
}

/**
 * Dark channel prior (He et al.) as a loss: the mean over pixels of min over a patch and the
 * colour channels. Haze-free outdoor images have a near-zero dark channel; haze lifts it.
 */
export function darkChannelLoss(x: Tensor, patch = 15, by?: Tensor): Tensor {
  const m = x.min(1, true).neg();
  const r = patch >> 1;
  const dark = torch.maxPool2d(torch.pad(m, [r, r, r, r], 'replicate'), patch, { stride: 1 }).neg();
  return (by ? dark.mul(by.detach()) : dark).mean();
}
