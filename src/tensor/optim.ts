// Optimizers: libtorch's Adam and SGD, with parameter groups and a settable learning rate.
import { native, type OptimizerHandle } from './native.js';
import type { Tensor } from './tensor.js';

export interface ParamGroup { params: Tensor[]; lr?: number; [option: string]: unknown }
type Params = Tensor[] | ParamGroup[];

const groupsOf = (p: Params): ParamGroup[] => (p.length > 0 && (p[0] as Tensor).isTensor ? [{ params: p as Tensor[] }] : (p as ParamGroup[]));

abstract class Optimizer {
  protected readonly native: OptimizerHandle;
  readonly groups: ParamGroup[];
  protected constructor(kind: 'adam' | 'sgd', params: Params, defaults: Record<string, number>) {
    this.groups = groupsOf(params);
    if (this.groups.some((g) => g.params.length === 0)) throw new Error('Optimizer got an empty parameter group');
    this.native = new native.OptimizerHandle(kind, this.groups.map((g) => ({ ...nativeOptions(g), params: g.params.map((t) => t.handle) })), defaults);
  }
  step(): void { this.native.step(); }
  zeroGrad(): void { this.native.zeroGrad(); }
  /** Sets the learning rate of one group, or of all groups. */
  setLr(lr: number, group?: number): void {
    if (group !== undefined) this.checkGroup(group);
    this.native.setLr(lr, group);
  }
  getLr(group = 0): number {
    this.checkGroup(group);
    return this.native.getLr(group);
  }
  private checkGroup(group: number): void {
    if (!Number.isInteger(group) || group < 0 || group >= this.groups.length)
      throw new RangeError(`Parameter group ${group} does not exist: this optimizer has groups 0 to ${this.groups.length - 1}`);
  }
}

/** A group's options as the addon reads them: PyTorch's `betas: [b1, b2]` becomes beta1, beta2. */
function nativeOptions({ params: _, betas, ...rest }: ParamGroup): Record<string, unknown> {
  if (betas === undefined) return rest;
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number'))
    throw new TypeError(`betas must be two numbers [beta1, beta2], got ${JSON.stringify(betas)}`);
  return { ...rest, beta1: betas[0], beta2: betas[1] };
}

export class Adam extends Optimizer {
  constructor(params: Params, { lr = 1e-3, betas = [0.9, 0.999] as [number, number], eps = 1e-8, weightDecay = 0 } = {}) {
    super('adam', params, { lr, beta1: betas[0], beta2: betas[1], eps, weightDecay });
  }
}

export class SGD extends Optimizer {
  constructor(params: Params, { lr = 1e-2, momentum = 0, weightDecay = 0 } = {}) {
    super('sgd', params, { lr, momentum, weightDecay });
  }
}
