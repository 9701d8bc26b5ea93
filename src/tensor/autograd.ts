// Gradient recording switch, as torch.no_grad().
import { native } from './native.js';

/** Runs fn without recording operations for autograd. */
export function noGrad<T>(fn: () => T): T {
  const was = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(was);
  }
}
