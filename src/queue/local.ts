// The in-process queue: the batch's jobs in order over N workers on this machine, each job in a
// child process (child.ts) with floor(cores / N) threads, so that N trainings split the cores
// instead of fighting over them. No retries: a job that fails here would fail again.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { QueueJob } from './job.js';
import type { QueueEvent } from './events.js';
import type { FromChild, ToChild } from './child.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
/** How long a child stopped by a signal may take to exit (a training step in native code) before it is killed. */
const KILL_AFTER_MS = 2000;

export interface LocalOptions {
  workers: number;
  /** Threads per job; default floor(cores / workers) when workers > 1, else the task's default (all cores). */
  threads?: number;
  device?: string;
}

/** The thread count each of N workers gets on this machine. */
export const threadsPerWorker = (workers: number) => Math.max(1, Math.floor(availableParallelism() / workers));

/**
 * Runs `jobs` and reports each one's events through `on`; resolves when every job has ended, or,
 * once `signal` aborts, when the running ones are stopped (they publish nothing) and no other starts.
 */
export async function runLocal(jobs: QueueJob[], o: LocalOptions, on: (e: QueueEvent) => void, signal?: AbortSignal): Promise<void> {
  const threads = o.threads ?? (o.workers > 1 ? threadsPerWorker(o.workers) : undefined);
  const waiting = [...jobs];
  const running = new Set<ChildProcess>();
  const stopAll = () => {
    for (const child of running) {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS).unref();
    }
  };
  signal?.addEventListener('abort', stopAll, { once: true });
  const worker = async () => {
    for (let job = waiting.shift(); job && !signal?.aborted; job = waiting.shift()) {
      on({ type: 'active', id: job.id });
      const last = await runChild(job, threads, o.device, running, (progress) => on({ type: 'progress', id: job!.id, progress }));
      if (signal?.aborted) return; // stopped: neither done nor failed
      on(last.type === 'done' ? { type: 'completed', id: job.id, result: last.result } : { type: 'failed', id: job.id, error: last.message });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.workers, jobs.length)) }, worker));
  } finally {
    signal?.removeEventListener('abort', stopAll);
  }
}

function runChild(job: QueueJob, threads: number | undefined, device: string | undefined, running: Set<ChildProcess>,
  progress: (p: Extract<FromChild, { type: 'progress' }>['progress']) => void): Promise<Exclude<FromChild, { type: 'progress' }>> {
  return new Promise((resolve) => {
    // No inherited --inspect or --test flags: the child is a plain node running one module.
    const child = fork(CHILD, ['--double-dip-job'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    running.add(child);
    let last: Exclude<FromChild, { type: 'progress' }> | undefined;
    child.on('message', (m: FromChild) => { if (m.type === 'progress') progress(m.progress); else last = m; });
    child.on('error', (e) => { last ??= { type: 'error', message: `Cannot start the job's process: ${e.message}` }; });
    // 'close' comes after the channel has delivered every message.
    child.on('close', (code, sig) => {
      running.delete(child);
      resolve(last ?? { type: 'error', message: `The job's process ended without a result (${sig ? `signal ${sig}` : `exit code ${code}`}): ` +
        'a crash in native code, or out of memory. Try a smaller --size.' });
    });
    child.send({ type: 'run', job, threads, device } satisfies ToChild);
  });
}
