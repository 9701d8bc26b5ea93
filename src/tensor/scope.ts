// Deterministic release of native memory. Every tensor made inside tidy(fn) is freed when
// fn returns, except what fn returns (or keep() marks); the GC finalizer is only a backstop.
import { native, type TensorHandle } from './native.js';
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

// Tensors made inside a scope are freed explicitly, so their bytes are not reported to V8 as
// external memory: reporting them made V8 run a full mark-compact every 64 MB of activations
// (~6 per DIP training step at 256 px, ~9% of the step). Tensors made outside any scope, which
// only the GC finalizer frees, keep reporting so V8 collects them under memory pressure.
let reporting = true;
function syncReporting(): void {
  const want = scopes.length === 0;
  if (want !== reporting) {
    native.setReportExternalMemory(want);
    reporting = want;
  }
}

// The GC backstop for tensors no scope owns (made outside any scope, kept, or returned from the
// outermost one): frees the native tensor once the Tensor object is collected. A tensor disposed
// before that is already free, and the registry's free() of its stale handle does nothing.
// Tensors a scope owns are not registered: a registration per tensor cost measurable time and
// left V8 holding several MB of weak-cell bookkeeping between collections.
const finalizer = new FinalizationRegistry<TensorHandle>((h) => native.free(h));
const backstop = (t: Tensor) => { if (!t.isDisposed) finalizer.register(t, t.handle); };

/** Called by every new Tensor: the innermost open scope owns it, else the GC backstop. */
export function track(t: Tensor, handle: TensorHandle): void {
  const s = scopes[scopes.length - 1];
  if (s) s.add(t);
  else finalizer.register(t, handle);
}

/** Removes t from every open scope so it outlives them (parameters, results). */
export function keep<T extends Tensor>(t: T): T {
  let owned = false;
  for (const s of scopes) if (s.delete(t)) owned = true;
  if (owned) backstop(t);
  return t;
}

/** Hands the results of a closing scope to the enclosing one, or to the GC backstop. */
function handOver(kept: Set<Tensor>, scope: Set<Tensor>, outer: Set<Tensor> | undefined): void {
  for (const t of kept) {
    if (!scope.has(t)) continue; // made outside this scope: not ours to move
    if (outer) outer.add(t);
    else backstop(t);
  }
}

function collect(value: unknown, out: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ((value as Tensor).isTensor === true) { out.add(value as Tensor); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, out, seen); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, out, seen); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/** Runs fn; frees the tensors it made except those in its result (which move to the outer scope). */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  syncReporting();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    syncReporting();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  syncReporting();
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  handOver(kept, scope, scopes[scopes.length - 1]);
  return result;
}

/** Async variant: tensors made before the promise settles are scoped (one tidyAsync at a time). */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  syncReporting();
  /** Removes this scope from the stack; returns the scope it sat on, if any. */
  const close = (): Set<Tensor> | undefined => {
    const i = scopes.lastIndexOf(scope);
    if (i >= 0) scopes.splice(i, 1);
    syncReporting();
    return i > 0 ? scopes[i - 1] : undefined;
  };
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    close();
    for (const t of scope) t.dispose();
    throw e;
  }
  const outer = close();
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  handOver(kept, scope, outer);
  return result;
}

/** Frees every tensor found in value (a tensor, array or plain object of them). */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collect(value, all);
  for (const t of all) t.dispose();
}
