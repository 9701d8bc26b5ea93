// Process-wide engine settings: seed, threads, and what the engine is running on.
import { native } from './native.js';

/** Seeds every random generator of the engine (CPU and CUDA). */
export const manualSeed = (seed: number): void => native.manualSeed(seed);
export const setNumThreads = (n: number): void => native.setNumThreads(n);
export const getNumThreads = (): number => native.getNumThreads();
export interface EngineInfo { torchVersion: string; allocator: string; threads: number; cuda: boolean; parallelInfo: string }
export const engineInfo = (): EngineInfo => native.info();
