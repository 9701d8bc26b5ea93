// The building blocks of the DIP generator, each a small class holding its parameters.
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export interface Module {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[];
}

/** Parameters live for the whole run, outside any tidy() scope. */
function param(t: Tensor): Tensor {
  return torch.keep(t.requiresGrad_(true));
}

/**
 * Conv with reflection padding ("same" size at stride 1), PyTorch's default init. With groups G,
 * G independent convs side by side (channel counts are totals, as PyTorch's).
 */
export class Conv2d implements Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly stride = 1, readonly groups = 1) {
    const fanIn = (inChannels / groups) * kernel * kernel;
    const bound = 1 / Math.sqrt(fanIn); // kaiming_uniform(a=sqrt(5)) reduces to this
    this.weight = param(torch.uniform([outChannels, inChannels / groups, kernel, kernel], -bound, bound));
    this.bias = param(torch.uniform([outChannels], -bound, bound));
  }
  forward(x: Tensor): Tensor {
    const p = (this.kernel - 1) >> 1;
    const padded = p > 0 ? torch.pad(x, [p, p, p, p], 'reflect') : x;
    return torch.conv2d(padded, this.weight, this.bias, { stride: this.stride, groups: this.groups });
  }
  parameters(): Tensor[] { return [this.weight, this.bias]; }
}

/** BatchNorm kept in training mode for the whole run: statistics of the one image. */
export class BatchNorm2d implements Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly channels: number) {
    this.weight = param(torch.ones([channels]));
    this.bias = param(torch.zeros([channels]));
  }
  forward(x: Tensor): Tensor { return torch.batchNorm(x, { weight: this.weight, bias: this.bias, training: true, eps: 1e-5 }); }
  parameters(): Tensor[] { return [this.weight, this.bias]; }
}

export class LeakyReLU implements Module {
  /** inPlace: only where nothing else reads x (after BN, whose backward needs its input, not its output). */
  constructor(readonly slope = 0.2, readonly inPlace = false) {}
  forward(x: Tensor): Tensor { return this.inPlace ? x.leakyRelu_(this.slope) : x.leakyRelu(this.slope); }
  parameters(): Tensor[] { return []; }
}

export class Sequential implements Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) { this.layers = layers; }
  forward(x: Tensor): Tensor { return this.layers.reduce((h, layer) => layer.forward(h), x); }
  parameters(): Tensor[] { return this.layers.flatMap((l) => l.parameters()); }
}

/** conv -> BN -> LeakyReLU(0.2), the unit the skip network is made of (BN is per channel, so G groups stay independent). */
export const convBlock = (cin: number, cout: number, k: number, stride = 1, groups = 1) =>
  new Sequential(new Conv2d(cin, cout, k, stride, groups), new BatchNorm2d(cout), new LeakyReLU(0.2, true));
