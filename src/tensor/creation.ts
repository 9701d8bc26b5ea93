// Tensor constructors, named as in PyTorch.
import { native } from './native.js';
import { Tensor, type DType, type Device } from './tensor.js';
import { defaultDevice } from './device.js';

export interface Options { dtype?: DType; device?: Device }
const dt = (o?: Options) => o?.dtype ?? 'float32';
const dev = (o?: Options) => o?.device ?? defaultDevice();

export const zeros = (shape: number[], o?: Options) => new Tensor(native.zeros(shape, dt(o), dev(o)));
export const ones = (shape: number[], o?: Options) => new Tensor(native.ones(shape, dt(o), dev(o)));
export const full = (shape: number[], value: number, o?: Options) => new Tensor(native.full(shape, value, dt(o), dev(o)));
export const scalar = (value: number, o?: Options) => full([], value, o);
/** U[0, 1) */
export const rand = (shape: number[], o?: Options) => new Tensor(native.rand(shape, dt(o), dev(o)));
/** N(0, 1) */
export const randn = (shape: number[], o?: Options) => new Tensor(native.randn(shape, dt(o), dev(o)));
/** U[low, high) */
export const uniform = (shape: number[], low: number, high: number, o?: Options) =>
  new Tensor(native.uniform(shape, low, high, dt(o), dev(o)));
export const arange = (start: number, end?: number, step = 1, o?: Options) =>
  end === undefined ? new Tensor(native.arange(0, start, step, dt(o), dev(o))) : new Tensor(native.arange(start, end, step, dt(o), dev(o)));
export const linspace = (start: number, end: number, steps: number, o?: Options) =>
  new Tensor(native.linspace(start, end, steps, dt(o), dev(o)));
export const meshgrid = (tensors: Tensor[], indexing: 'ij' | 'xy' = 'ij'): Tensor[] =>
  (native.meshgrid(tensors.map((t) => t.handle), indexing) as never[]).map((h) => new Tensor(h));

type HostData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
/** Copies host data (typed array, or numbers: float32 unless o.dtype says otherwise) into a new tensor of the given shape. */
export function tensor(data: HostData | number[], shape?: number[], o?: Options): Tensor {
  // Numbers go through float64 when another dtype is asked for, so float64/int data is not rounded to float32 first.
  const arr = Array.isArray(data) ? (o?.dtype && o.dtype !== 'float32' ? Float64Array.from(data) : Float32Array.from(data)) : data;
  return new Tensor(native.fromData(arr, shape ?? [arr.length], o?.dtype ?? null, dev(o)));
}
