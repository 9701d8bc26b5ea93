// Process-wide engine settings: seed, threads, and what the engine is running on.
import { MAX_THREADS, native } from './native.js';

export { MAX_THREADS };

/** Seeds every random generator of the engine (CPU and CUDA). */
export const manualSeed = (seed: number): void => native.manualSeed(seed);
/** The CPU random generator's state, to put back with setRngState (a run seeds the generator; its caller's sequence goes on after it). */
export const getRngState = (): Buffer => native.getRngState();
export const setRngState = (state: Buffer): void => native.setRngState(state);
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS)
    throw new RangeError(`setNumThreads: expected an integer from 1 to ${MAX_THREADS} for threads but received ${typeof n === 'string' ? JSON.stringify(n) : String(n)}`);
  native.setNumThreads(n);
}
export const getNumThreads = (): number => native.getNumThreads();
export interface EngineInfo { torchVersion: string; allocator: string; threads: number; cuda: boolean; parallelInfo: string }
export const engineInfo = (): EngineInfo => native.info();
