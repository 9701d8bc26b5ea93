// The DIP "skip" generator (Ulyanov et al.), the network behind every Double-DIP layer:
// an encoder-decoder whose level i is  [skip_i(x), up(deeper_i(down_i(x)))] -> BN -> conv -> conv1x1.
// With groups G it is G such networks side by side in one (grouped convs, per-channel BN): one
// kernel call per layer instead of G small ones (group.ts builds one from G separate nets).
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { BatchNorm2d, Conv2d, Sequential, convBlock, type Module } from './layers.js';

export interface SkipConfig {
  channels: number[]; // down = up channels per level
  skip: number[]; // skip-branch channels per level (0 = none)
  kernel: number;
}

/** The configurations of the authors' code (A-D) and DIP's default. */
export const CONFIGS = {
  A: { channels: [8, 16, 32], skip: [0, 0, 0], kernel: 3 },
  B: { channels: [8, 16, 32, 64, 128], skip: [0, 0, 0, 4, 4], kernel: 3 },
  C: { channels: [8, 16, 32, 64, 128], skip: [0, 0, 0, 4, 4], kernel: 5 },
  D: { channels: [8, 16, 32, 64], skip: [0, 0, 0, 4], kernel: 3 },
  dip: { channels: [128, 128, 128, 128, 128], skip: [4, 4, 4, 4, 4], kernel: 3 },
} satisfies Record<string, SkipConfig>;
export type ConfigName = keyof typeof CONFIGS;

/** [a, b] on channels, group by group: [a_1, b_1, ..., a_G, b_G]. */
function catGroups(a: Tensor, b: Tensor, groups: number): Tensor {
  if (groups === 1) return torch.cat([a, b], 1);
  const [n, , h, w] = a.shape;
  const split = (x: Tensor) => x.reshape([n, groups, x.size(1) / groups, h, w]);
  return torch.cat([split(a), split(b)], 2).reshape([n, a.size(1) + b.size(1), h, w]);
}

class Level implements Module {
  readonly skip: Sequential | null;
  readonly down: Sequential;
  readonly deeper: Level | null;
  readonly merge: Sequential;
  constructor(cfg: SkipConfig, i: number, inChannels: number, readonly groups: number) {
    const g = groups, c = cfg.channels[i] * g, s = cfg.skip[i] * g, k = cfg.kernel;
    this.skip = s > 0 ? convBlock(inChannels, s, 1, 1, g) : null;
    this.down = new Sequential(convBlock(inChannels, c, k, 2, g), convBlock(c, c, k, 1, g));
    this.deeper = i + 1 < cfg.channels.length ? new Level(cfg, i + 1, c, g) : null;
    const fromBelow = this.deeper ? cfg.channels[i + 1] * g : c;
    this.merge = new Sequential(new BatchNorm2d(s + fromBelow), convBlock(s + fromBelow, c, k, 1, g), convBlock(c, c, 1, 1, g));
  }
  forward(x: Tensor): Tensor {
    let h = this.down.forward(x);
    if (this.deeper) h = this.deeper.forward(h);
    h = torch.interpolate(h, [x.size(2), x.size(3)], { mode: 'bilinear', alignCorners: true });
    if (this.skip) h = catGroups(this.skip.forward(x), h, this.groups);
    return this.merge.forward(h);
  }
  parameters(): Tensor[] {
    return [...(this.skip?.parameters() ?? []), ...this.down.parameters(), ...(this.deeper?.parameters() ?? []), ...this.merge.parameters()];
  }
}

/**
 * z (N x inChannels x H x W) -> sigmoid image (N x outChannels x H x W); H, W multiples of 2^levels.
 * With groups G: z is G noises side by side (N x G*inChannels x H x W), the output G images.
 */
export class Skip implements Module {
  readonly body: Level;
  readonly head: Conv2d;
  readonly levels: number;
  constructor(readonly config: SkipConfig, readonly inChannels: number, readonly outChannels: number, readonly groups = 1) {
    if (config.channels.length !== config.skip.length) throw new Error('Skip config: channels and skip need one entry per level');
    this.levels = config.channels.length;
    this.body = new Level(config, 0, inChannels * groups, groups);
    this.head = new Conv2d(config.channels[0] * groups, outChannels * groups, 1, 1, groups);
  }
  forward(z: Tensor): Tensor {
    const m = 2 ** this.levels;
    if (z.size(2) % m || z.size(3) % m)
      throw new Error(`Skip network with ${this.levels} levels needs height and width multiples of ${m}, got ${z.size(2)}x${z.size(3)}`);
    const deepest = Math.min(z.size(2), z.size(3)) / m, pad = (this.config.kernel - 1) >> 1;
    if (deepest <= pad)
      throw new Error(`Input ${z.size(2)}x${z.size(3)} is too small for this ${this.levels}-level network with ${this.config.kernel}x${this.config.kernel} kernels: ` +
        `the short side must be at least ${m * (pad + 1)} px`);
    return this.head.forward(this.body.forward(z)).sigmoid();
  }
  /** The smallest side this network accepts. */
  get minSide(): number { return 2 ** this.levels * (((this.config.kernel - 1) >> 1) + 1); }
  parameters(): Tensor[] { return [...this.body.parameters(), ...this.head.parameters()]; }
  parameterCount(): number { return this.parameters().reduce((n, p) => n + p.numel, 0); }
}

export function skip(config: ConfigName | SkipConfig, inChannels: number, outChannels: number): Skip {
  return new Skip(typeof config === 'string' ? CONFIGS[config] : config, inChannels, outChannels);
}
