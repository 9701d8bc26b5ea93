// Loads the native op layer (native/build/double_dip.node) once, with the process settings
// libtorch needs for CPU speed: OpenBLAS pinned to one thread, torch using every core.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_THREADS } from './limits.js';

/** An opaque native handle to one at::Tensor: a BigInt naming a slot of the addon's tensor table. */
export type TensorHandle = bigint & { readonly __brand: 'TensorHandle' };
export interface OptimizerHandle {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number, group?: number): void;
  getLr(group?: number): number;
}

export interface Native {
  getRngState(): Buffer;
  setRngState(state: Buffer): void;
  OptimizerHandle: new (kind: 'adam' | 'sgd', groups: object[], defaults: object) => OptimizerHandle;
  [op: string]: any;
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('double-dip: cannot find the package root');
    dir = up;
  }
  return dir;
}

export { MAX_THREADS } from './limits.js';

function load(): Native {
  // Must be set before libtorch (and its OpenBLAS) loads: extra BLAS threads oversubscribe the cores.
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  process.env.OMP_NUM_THREADS ??= String(availableParallelism());
  const path = join(findRoot(), 'native', 'build', 'double_dip.node');
  if (!existsSync(path)) {
    throw new Error(`double-dip: the native addon is not built (${path} is missing). ` +
      'Run scripts/setup.sh, or `npm run build:native` once libtorch is installed (apt-get install libtorch-dev).');
  }
  const native = createRequire(import.meta.url)(path) as Native;
  const threads = process.env.DOUBLE_DIP_THREADS ? Number(process.env.DOUBLE_DIP_THREADS) : Math.min(availableParallelism(), MAX_THREADS);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new Error(`DOUBLE_DIP_THREADS=${process.env.DOUBLE_DIP_THREADS}: expected an integer from 1 to ${MAX_THREADS}`);
  native.setNumThreads(threads);
  return native;
}

export const native: Native = load();
