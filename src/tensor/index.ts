// The tensor API: `import * as torch from './tensor/index.js'` reads like PyTorch.
export { Tensor, type DType, type Device, type TensorLike } from './tensor.js';
export * from './creation.js';
export * from './functional.js';
export { noGrad } from './autograd.js';
export { tidy, tidyAsync, keep, dispose } from './scope.js';
export { Adam, SGD, type ParamGroup } from './optim.js';
export { MAX_THREADS, manualSeed, getRngState, setRngState, setNumThreads, getNumThreads, engineInfo, type EngineInfo } from './runtime.js';
export { defaultDevice, setDefaultDevice, cudaAvailable, cudaDeviceCount } from './device.js';
