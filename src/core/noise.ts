// The fixed random inputs z of the DIPs.
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { NoiseSpec } from './spec.js';

/** K x C x H x W noise for K inputs (K = 1 when shared). */
export function makeNoise(spec: NoiseSpec, inputs: number, height: number, width: number): Tensor {
  return torch.tidy(() => {
    const k = spec.perInput === 'shared' || spec.perInput === undefined ? 1 : inputs;
    if (spec.kind === 'meshgrid') {
      const [y, x] = torch.meshgrid([torch.linspace(0, 1, height), torch.linspace(0, 1, width)], 'ij');
      return torch.stack([x, y], 0).unsqueeze(0).repeat(k, 1, 1, 1);
    }
    const scale = spec.scale ?? 0.1;
    if (spec.perInput !== 'drift') return torch.uniform([k, spec.channels, height, width], -0.5, 0.5).mul(scale);
    // Paper eq. 5: each frame's noise is the previous one plus a much smaller uniform step.
    const d = spec.drift ?? 0.1 * scale;
    const steps = torch.uniform([k, spec.channels, height, width], -0.5 * d, 0.5 * d);
    const first = torch.uniform([1, spec.channels, height, width], -0.5, 0.5).mul(scale);
    return first.add(steps.cumsum(0).sub(steps.narrow(0, 0, 1))); // z_k = z_0 + sum_{j<=k} dz_j
  });
}

/** Channels the noise of a spec actually has. */
export const noiseChannels = (spec: NoiseSpec): number => (spec.kind === 'meshgrid' ? 2 : spec.channels);
