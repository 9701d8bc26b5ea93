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
/** Numbers, or arrays of them nested as the tensor's dimensions (rectangular, as torch.tensor takes them). */
export type NestedNumbers = number | NestedNumbers[];

/**
 * Copies host data into a new tensor: a typed array, or numbers (float32 unless o.dtype says
 * otherwise), flat or nested. The shape defaults to the data's own (a nested array's dimensions);
 * a given shape must hold exactly as many values as the data.
 */
export function tensor(data: HostData | NestedNumbers[], shape?: number[], o?: Options): Tensor {
  let values: HostData | number[];
  let own: number[];
  if (Array.isArray(data)) ({ values, shape: own } = flatten(data));
  else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) { values = data; own = [data.length]; }
  else throw new TypeError(`torch.tensor: expected numbers, nested arrays of numbers or a typed array but received ${describe(data)}`);
  if (shape !== undefined) {
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new RangeError(`torch.tensor: the shape must be non-negative integers, got ${describe(shape)}`);
    const n = shape.reduce((a, d) => a * d, 1);
    if (n !== values.length)
      throw new RangeError(`torch.tensor: the shape [${shape.join(', ')}] holds ${n} values but the data has ${values.length}`);
  }
  // Numbers go through float64 when another dtype is asked for, so float64/int data is not rounded to float32 first.
  const arr = Array.isArray(values) ? (o?.dtype && o.dtype !== 'float32' ? Float64Array.from(values) : Float32Array.from(values)) : values;
  return new Tensor(native.fromData(arr, shape ?? own, o?.dtype ?? null, dev(o)));
}

/** A nested array's numbers in order and its dimensions; refuses non-numbers and ragged rows. */
function flatten(data: NestedNumbers[]): { values: number[]; shape: number[] } {
  const values: number[] = [];
  const shape: number[] = [];
  let leaf: number | undefined; // the depth of the numbers, once one is seen
  const ragged = (at: string, why: string) => new RangeError(`torch.tensor: ragged data: ${at} ${why}; every row must have the same length`);
  const walk = (a: NestedNumbers, depth: number, at: string): void => {
    if (Array.isArray(a)) {
      if (leaf !== undefined && depth >= leaf) throw ragged(`element ${at}`, 'is an array where the rows before it have numbers');
      if (shape.length === depth) shape.push(a.length);
      else if (shape[depth] !== a.length) throw ragged(at || 'the data', `has ${a.length} items where the rows before it have ${shape[depth]}`);
      a.forEach((x, i) => walk(x, depth + 1, `${at}[${i}]`));
    } else {
      if (typeof a !== 'number') throw new TypeError(`torch.tensor: element ${at} is ${describe(a)}: the data must be numbers`);
      leaf ??= depth;
      if (depth !== leaf || shape.length !== depth) throw ragged(`element ${at}`, 'is a number where the rows before it have arrays');
      values.push(a);
    }
  };
  walk(data, 0, '');
  return { values, shape };
}

const describe = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(describe).join(', ')}]` : v === null || typeof v !== 'object' ? String(v) : (v.constructor?.name ?? 'an object');
