// Stateless network ops, as torch.nn.functional.
import { native } from './native.js';
import { Tensor } from './tensor.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null,
  { stride = 1, padding = 0, dilation = 1, groups = 1 }: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number } = {}): Tensor {
  return new Tensor(native.conv2d(x.handle, weight.handle, bias?.handle ?? null, pair(stride), pair(padding), pair(dilation), groups));
}

/** Pads the last two dims by [left, right, top, bottom]. */
export function pad(x: Tensor, padding: [number, number, number, number], mode: 'reflect' | 'replicate' | 'constant' = 'constant', value = 0): Tensor {
  return new Tensor(native.pad(x.handle, padding, mode, value));
}

export interface BatchNormArgs {
  weight?: Tensor | null; bias?: Tensor | null;
  runningMean?: Tensor | null; runningVar?: Tensor | null;
  training?: boolean; momentum?: number; eps?: number;
}
/** Training mode normalises with the batch's own statistics (biased variance), as DIP does. */
export function batchNorm(x: Tensor, { weight, bias, runningMean, runningVar, training = true, momentum = 0.1, eps = 1e-5 }: BatchNormArgs = {}): Tensor {
  return new Tensor(native.batchNorm(x.handle, weight?.handle ?? null, bias?.handle ?? null,
    runningMean?.handle ?? null, runningVar?.handle ?? null, training, momentum, eps));
}

export function avgPool2d(x: Tensor, kernel: Pair, { stride, padding = 0, countIncludePad = true }: { stride?: Pair; padding?: Pair; countIncludePad?: boolean } = {}): Tensor {
  return new Tensor(native.avgPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding), countIncludePad));
}

export function maxPool2d(x: Tensor, kernel: Pair, { stride, padding = 0 }: { stride?: Pair; padding?: Pair } = {}): Tensor {
  return new Tensor(native.maxPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding)));
}

export function interpolate(x: Tensor, size: [number, number], { mode = 'bilinear', alignCorners = false }: { mode?: 'bilinear' | 'nearest'; alignCorners?: boolean } = {}): Tensor {
  return new Tensor(native.interpolate(x.handle, size, mode, alignCorners));
}

export const leakyRelu = (x: Tensor, slope = 0.01) => x.leakyRelu(slope);
export const sigmoid = (x: Tensor) => x.sigmoid();

export function cat(tensors: Tensor[], dim = 0): Tensor { return new Tensor(native.cat(tensors.map((t) => t.handle), dim)); }
export function stack(tensors: Tensor[], dim = 0): Tensor { return new Tensor(native.stack(tensors.map((t) => t.handle), dim)); }
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(native.where(condition.handle, typeof a === 'number' ? a : a.handle, typeof b === 'number' ? b : b.handle));
}
