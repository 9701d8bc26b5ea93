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
 * A job with `after` (a long clip's join) starts once those jobs have completed, on any worker; if
 * one of them fails, it fails with that job's message, as a BullMQ parent with failParentOnFailure.
 */
export async function runLocal(jobs: QueueJob[], o: LocalOptions, on: (e: QueueEvent) => void, signal?: AbortSignal): Promise<void> {
  const threads = o.threads ?? (o.workers > 1 ? threadsPerWorker(o.workers) : undefined);
  const waiting = [...jobs];
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const ended = new Map<string, { ok: true } | { ok: false; error: string }>();
  // A job ending may free a join that a worker waits for: each end wakes the waiting workers.
  let wake = () => {};
  let changed = new Promise<void>((r) => { wake = r; });
  const end = (e: Extract<QueueEvent, { type: 'completed' | 'failed' }>) => {
    ended.set(e.id, e.type === 'completed' ? { ok: true } : { ok: false, error: e.error });
    on(e);
    const w = wake;
    changed = new Promise<void>((r) => { wake = r; });
    w();
  };
  /** The next job whose `after` jobs have all completed; 'wait' while some still run; undefined when none is left. */
  const next = (): QueueJob | 'wait' | undefined => {
    for (let i = 0; i < waiting.length; i++) {
      const job = waiting[i];
      const deps = (job.after ?? []).filter((id) => byId.has(id));
      const failed = deps.find((id) => ended.get(id)?.ok === false);
      if (failed) {
        waiting.splice(i--, 1);
        const r = ended.get(failed) as { error: string };
        end({ type: 'failed', id: job.id, error: `${byId.get(failed)!.name} failed: ${r.error}` });
        continue;
      }
      if (deps.every((id) => ended.get(id)?.ok)) return waiting.splice(i, 1)[0];
    }
    return waiting.length > 0 ? 'wait' : undefined;
  };
  const workers = Array.from({ length: Math.max(1, Math.min(o.workers, jobs.length)) }, () => new ChildWorker());
  const stopAll = () => { workers.forEach((w) => w.stop()); wake(); };
  signal?.addEventListener('abort', stopAll, { once: true });
  const work = async (w: ChildWorker) => {
    while (!signal?.aborted) {
      const job = next();
      if (job === undefined) return;
      if (job === 'wait') { await changed; continue; }
      const id = job.id;
      on({ type: 'active', id });
      const last = await w.run(job, threads, o.device, (progress) => on({ type: 'progress', id, progress }));
      if (signal?.aborted) return; // stopped: neither done nor failed
      end(last.type === 'done' ? { type: 'completed', id, result: last.result } : { type: 'failed', id, error: last.message });
    }
  };
  try {
    await Promise.all(workers.map(work));
  } finally {
    signal?.removeEventListener('abort', stopAll);
    stopAll();
  }
}
