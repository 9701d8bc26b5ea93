// Exclusion loss (Zhang, Ng & Chen 2018): two layers should not have edges in the same
// places. At 3 scales, for both gradient directions and all 9 RGB channel pairs (i, j):
//   (<Psi(G1_j)^2 * Psi(G2_i)^2>)^(1/4),  Psi(g) = 2 sigmoid(g) - 1,
// averaged as 0.5 * (sum_x / 27 + sum_y / 27) (criterion iii of the paper).
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

const psi = (g: Tensor) => g.sigmoid().mul(2).sub(1);
const rowDiff = (x: Tensor) => x.narrow(2, 1, x.size(2) - 1).sub(x.narrow(2, 0, x.size(2) - 1));
const colDiff = (x: Tensor) => x.narrow(3, 1, x.size(3) - 1).sub(x.narrow(3, 0, x.size(3) - 1));

/** Sum over channel pairs of <a_j^2 b_i^2>^(1/4); a, b are N x C x H x W gradients (the C may differ). */
function pairTerms(a: Tensor, b: Tensor): Tensor {
  const flat = (g: Tensor) => psi(g).square().transpose(0, 1).reshape(g.size(1), -1); // C x (N*H*W)
  const A = flat(a), B = flat(b);
  const means = A.matmul(B.transpose(0, 1)).div(A.size(1)); // C x C: every <a_j^2 b_i^2> at once
  return means.add(1e-12).pow(0.25).sum();
}

export function exclusionLoss(y1: Tensor, y2: Tensor, levels = 3): Tensor {
  let sumX: Tensor | null = null, sumY: Tensor | null = null;
  let a = y1, b = y2;
  for (let l = 0; l < levels; l++) {
    const tx = pairTerms(rowDiff(a), rowDiff(b)), ty = pairTerms(colDiff(a), colDiff(b));
    sumX = sumX ? sumX.add(tx) : tx;
    sumY = sumY ? sumY.add(ty) : ty;
    if (l + 1 < levels) { a = torch.avgPool2d(a, 2); b = torch.avgPool2d(b, 2); }
  }
  const pairs = levels * y1.size(1) * y2.size(1);
  return sumX!.div(pairs).add(sumY!.div(pairs)).mul(0.5);
}
