// What a queue tells the one who filled it, the same for the in-process queue and Redis: a job
// started, trained an iteration, finished or failed.
import type { Progress } from '../core/trainer.js';
import type { JobResult } from './execute.js';

/** A running job's progress, as job.updateProgress carries it (small: it goes through Redis). */
export interface JobProgress { iteration: number; iterations: number; loss: number; eta: number; psnr?: number }

export type QueueEvent =
  | { type: 'active'; id: string }
  | { type: 'progress'; id: string; progress: JobProgress }
  | { type: 'completed'; id: string; result: JobResult }
  | { type: 'failed'; id: string; error: string };

/** Progress sent at most every `ms` (and always the last iteration): a message per iteration would flood Redis. */
export function throttledProgress(send: (p: JobProgress) => void, ms = 500): (p: Progress) => void {
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (now - last < ms && p.iteration !== p.total) return;
    last = now;
    send({ iteration: p.iteration, iterations: p.total, loss: p.loss, eta: p.eta, psnr: p.psnr });
  };
}
