// Where new tensors are made unless a call says otherwise.
import { native } from './native.js';

let current = 'cpu';
export function defaultDevice(): string { return current; }
/** Sets the default device; 'cuda' fails with a clear error when libtorch has no CUDA device. */
export function setDefaultDevice(device: string): void {
  native.free(native.zeros([0], 'float32', device)); // validates: throws with the reason and the fix
  current = device;
}
export const cudaAvailable = (): boolean => native.cudaAvailable();
export const cudaDeviceCount = (): number => native.cudaDeviceCount();
