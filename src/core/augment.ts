// The 8 dihedral transforms (4 rotations x mirror) applied alike to noise, targets and hints.
import type { Tensor } from '../tensor/index.js';

export const IDENTITY = 0;
export const TRANSFORMS = 8;

/** Applies transform a (0 = identity) to the last two dims of an N x C x H x W tensor. */
export function transform(x: Tensor, a: number): Tensor {
  if (a === IDENTITY) return x;
  const rotated = a % 4 === 0 ? x : x.rot90(a % 4, [2, 3]);
  return a >= 4 ? rotated.flip(3) : rotated;
}
