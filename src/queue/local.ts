// The in-process queue: the batch's jobs in order over N workers on this machine, each worker a
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

type Answer = Exclude<FromChild, { type: 'progress' }>;

/** One worker process, started when needed and again after a crash. */
class ChildWorker {
  private child?: ChildProcess;
  private answer?: (a: Answer) => void;
  private onProgress?: (p: Extract<FromChild, { type: 'progress' }>['progress']) => void;

  run(job: QueueJob, threads: number | undefined, device: string | undefined, onProgress: ChildWorker['onProgress']): Promise<Answer> {
    const child = this.child ?? this.start();
    this.onProgress = onProgress;
    return new Promise((resolve) => {
      this.answer = resolve;
      child.send({ type: 'run', job, threads, device } satisfies ToChild);
    });
  }

  stop(): void {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS).unref();
  }

  private start(): ChildProcess {
    // No inherited --inspect or --test flags: the child is a plain node running one module.
    const child = fork(CHILD, ['--double-dip-worker'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    let failure: string | undefined;
    child.on('message', (m: FromChild) => {
      if (m.type === 'progress') this.onProgress?.(m.progress);
      else this.settle(m);
    });
    child.on('error', (e) => { failure ??= `Cannot start a worker process: ${e.message}`; });
    // 'close' comes after the channel has delivered every message.
    child.on('close', (code, sig) => {
      this.child = undefined;
      this.settle({ type: 'error', message: failure ?? `The job's process ended without a result (${sig ? `signal ${sig}` : `exit code ${code}`}): ` +
        'a crash in native code, or out of memory. Try a smaller --size.' });
    });
    return child;
  }

  private settle(a: Answer): void {
    const answer = this.answer;
    this.answer = undefined;
    answer?.(a);
  }
}

/**
 * Runs `jobs` and reports each one's events through `on`; resolves when every job has ended, or,
 * once `signal` aborts, when the running ones are stopped (they publish nothing) and no other starts.
 */
export async function runLocal(jobs: QueueJob[], o: LocalOptions, on: (e: QueueEvent) => void, signal?: AbortSignal): Promise<void> {
  const threads = o.threads ?? (o.workers > 1 ? threadsPerWorker(o.workers) : undefined);
  const waiting = [...jobs];
  const workers = Array.from({ length: Math.max(1, Math.min(o.workers, jobs.length)) }, () => new ChildWorker());
  const stopAll = () => workers.forEach((w) => w.stop());
  signal?.addEventListener('abort', stopAll, { once: true });
  const work = async (w: ChildWorker) => {
    for (let job = waiting.shift(); job && !signal?.aborted; job = waiting.shift()) {
      const id = job.id;
      on({ type: 'active', id });
      const last = await w.run(job, threads, o.device, (progress) => on({ type: 'progress', id, progress }));
      if (signal?.aborted) return; // stopped: neither done nor failed
      on(last.type === 'done' ? { type: 'completed', id, result: last.result } : { type: 'failed', id, error: last.message });
    }
  };
  try {
    await Promise.all(workers.map(work));
  } finally {
    signal?.removeEventListener('abort', stopAll);
    stopAll();
  }
}
