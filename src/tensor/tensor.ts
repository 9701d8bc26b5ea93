// The Tensor: a PyTorch-shaped TypeScript view of one native at::Tensor.
import { native, type TensorHandle } from './native.js';
import { track } from './scope.js';

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8';
export type Device = string; // 'cpu' | 'cuda' | 'cuda:N'
export type TensorLike = Tensor | number;
type Dims = number | number[];

const arg = (x: TensorLike) => (typeof x === 'number' ? x : x.handle);
const dimsOf = (d: Dims | undefined) => (d === undefined ? null : typeof d === 'number' ? [d] : d);

export class Tensor {
  readonly isTensor = true;
  #handle: TensorHandle | null;

  constructor(handle: TensorHandle) {
    this.#handle = handle;
    track(this, handle);
  }

  get handle(): TensorHandle {
    if (this.#handle === null) throw new Error('Tensor used after dispose(): keep it out of the tidy() scope that freed it, or keep() it');
    return this.#handle;
  }

  /** Frees the native memory now. Safe to call twice. */
  dispose(): void {
    if (this.#handle) native.free(this.#handle);
    this.#handle = null;
  }
  get isDisposed(): boolean { return this.#handle === null; }
  [Symbol.dispose](): void { this.dispose(); }

  get shape(): number[] { return native.shape(this.handle); }
  get dtype(): DType { return native.dtype(this.handle); }
  get device(): Device { return native.device(this.handle); }
  get ndim(): number { return this.shape.length; }
  get numel(): number { return this.shape.reduce((a, b) => a * b, 1); }
  size(dim: number): number { const s = this.shape; return s[dim < 0 ? s.length + dim : dim]; }

  /** A host copy of the values (row-major). */
  dataSync(): Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array { return native.data(this.handle); }
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return native.data(this.handle) as Float32Array;
    const h = native.to(this.handle, null, 'float32');
    try {
      return native.data(h) as Float32Array;
    } finally {
      native.free(h);
    }
  }
  toArray(): number[] { return Array.from(this.dataSync() as ArrayLike<number | bigint>, Number); }
  item(): number { return native.item(this.handle); }

  to(device: Device): Tensor { return new Tensor(native.to(this.handle, device)); }
  cpu(): Tensor { return this.to('cpu'); }
  float(): Tensor { return this.toType('float32'); }
  toType(dtype: DType): Tensor { return new Tensor(native.to(this.handle, null, dtype)); }
  clone(): Tensor { return this.#unary('clone'); }
  contiguous(): Tensor { return this.#unary('contiguous'); }

  // ---- autograd
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  set requiresGrad(v: boolean) { native.setRequiresGrad(this.handle, v); }
  requiresGrad_(v = true): this { this.requiresGrad = v; return this; }
  /** The accumulated gradient, or undefined before any backward(). */
  get grad(): Tensor | undefined { const h = native.grad(this.handle); return h ? new Tensor(h) : undefined; }
  backward(gradient?: Tensor): void { native.backward(this.handle, gradient?.handle); }
  zeroGrad(): void { native.zeroGrad(this.handle); }
  detach(): Tensor { return new Tensor(native.detach(this.handle)); }
  /** Overwrites this tensor's values with src's (not recorded by autograd). */
  copy_(src: Tensor): this { native.copyInto(this.handle, src.handle); return this; }

  // ---- elementwise
  #unary(op: string): Tensor { return new Tensor(native.unary(op, this.handle)); }
  #binary(op: string, other: TensorLike): Tensor { return new Tensor(native.binary(op, this.handle, arg(other))); }
  add(o: TensorLike): Tensor { return this.#binary('add', o); }
  sub(o: TensorLike): Tensor { return this.#binary('sub', o); }
  mul(o: TensorLike): Tensor { return this.#binary('mul', o); }
  div(o: TensorLike): Tensor { return this.#binary('div', o); }
  pow(o: TensorLike): Tensor { return this.#binary('pow', o); }
  /** other - this */
  rsub(o: number): Tensor { return this.neg().add(o); }
  maximum(o: TensorLike): Tensor { return this.#binary('maximum', o); }
  minimum(o: TensorLike): Tensor { return this.#binary('minimum', o); }
  matmul(o: Tensor): Tensor { return this.#binary('matmul', o); }
  eq(o: TensorLike): Tensor { return this.#binary('eq', o); }
  ne(o: TensorLike): Tensor { return this.#binary('ne', o); }
  lt(o: TensorLike): Tensor { return this.#binary('lt', o); }
  le(o: TensorLike): Tensor { return this.#binary('le', o); }
  gt(o: TensorLike): Tensor { return this.#binary('gt', o); }
  ge(o: TensorLike): Tensor { return this.#binary('ge', o); }
  logicalAnd(o: Tensor): Tensor { return this.#binary('logicalAnd', o); }
  logicalOr(o: Tensor): Tensor { return this.#binary('logicalOr', o); }
  logicalNot(): Tensor { return this.#unary('logicalNot'); }
  neg(): Tensor { return this.#unary('neg'); }
  abs(): Tensor { return this.#unary('abs'); }
  sqrt(): Tensor { return this.#unary('sqrt'); }
  square(): Tensor { return this.#unary('square'); }
  exp(): Tensor { return this.#unary('exp'); }
  log(): Tensor { return this.#unary('log'); }
  sin(): Tensor { return this.#unary('sin'); }
  cos(): Tensor { return this.#unary('cos'); }
  sigmoid(): Tensor { return this.#unary('sigmoid'); }
  tanh(): Tensor { return this.#unary('tanh'); }
  relu(): Tensor { return this.#unary('relu'); }
  floor(): Tensor { return this.#unary('floor'); }
  ceil(): Tensor { return this.#unary('ceil'); }
  round(): Tensor { return this.#unary('round'); }
  sign(): Tensor { return this.#unary('sign'); }
  reciprocal(): Tensor { return this.#unary('reciprocal'); }
  isnan(): Tensor { return this.#unary('isnan'); }
  isfinite(): Tensor { return this.#unary('isfinite'); }
  leakyRelu(slope = 0.01): Tensor { return new Tensor(native.leakyRelu(this.handle, slope)); }
  /** In place (slope > 0): the result is this tensor's storage; autograd keeps only the result. */
  leakyRelu_(slope = 0.01): Tensor { return new Tensor(native.leakyRelu_(this.handle, slope)); }
  clamp(min?: number | null, max?: number | null): Tensor { return new Tensor(native.clamp(this.handle, min ?? null, max ?? null)); }

  // ---- reductions (no dim: over all elements)
  #reduce(op: string, dim?: Dims, keepdim = false): Tensor { return new Tensor(native.reduce(op, this.handle, dimsOf(dim), keepdim)); }
  sum(dim?: Dims, keepdim = false): Tensor { return this.#reduce('sum', dim, keepdim); }
  mean(dim?: Dims, keepdim = false): Tensor { return this.#reduce('mean', dim, keepdim); }
  /** Values only (torch.amax semantics): with ties, the gradient is split evenly among them. */
  max(dim?: Dims, keepdim = false): Tensor { return this.#reduce('max', dim, keepdim); }
  /** Values only (torch.amin semantics), as max. */
  min(dim?: Dims, keepdim = false): Tensor { return this.#reduce('min', dim, keepdim); }
  /** Variance; unbiased (n - 1) by default as in PyTorch. */
  var(dim?: Dims, { unbiased = true, keepdim = false } = {}): Tensor { return this.#reduce(unbiased ? 'var' : 'varBiased', dim, keepdim); }
  /** Median values (the lower of the two middles for even counts, as PyTorch). */
  median(dim?: number, keepdim = false): Tensor { return this.#reduce('median', dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return this.#reduce('argmax', dim, keepdim); }
  any(dim?: number, keepdim = false): Tensor { return this.#reduce('any', dim, keepdim); }
  all(dim?: number, keepdim = false): Tensor { return this.#reduce('all', dim, keepdim); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.handle, dim)); }

  // ---- shape
  reshape(...shape: number[] | [number[]]): Tensor { return new Tensor(native.reshape(this.handle, shape.flat())); }
  view(...shape: number[] | [number[]]): Tensor { return this.reshape(...shape); }
  permute(...dims: number[] | [number[]]): Tensor { return new Tensor(native.permute(this.handle, dims.flat())); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.handle, d0, d1)); }
  expand(...shape: number[] | [number[]]): Tensor { return new Tensor(native.expand(this.handle, shape.flat())); }
  repeat(...reps: number[] | [number[]]): Tensor { return new Tensor(native.repeat(this.handle, reps.flat())); }
  squeeze(dim?: number): Tensor { return new Tensor(native.squeeze(this.handle, dim ?? null)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this.handle, dim, start, length)); }
  slice(dim: number, start: number, end: number, step = 1): Tensor { return new Tensor(native.slice(this.handle, dim, start, end, step)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  flip(dims: Dims): Tensor { return new Tensor(native.flip(this.handle, dimsOf(dims))); }
  rot90(k = 1, dims: [number, number] = [0, 1]): Tensor { return new Tensor(native.rot90(this.handle, k, dims)); }

  toString(): string { return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`; }
}
