// BullMQ's sandboxed processor: each job of a `double-dip worker` runs here, in a child process of
// the worker (passed to new Worker() as this compiled file). Progress goes to Redis through
// job.updateProgress; a job that cannot run as given (its task, options or files) fails at once,
// without retries, with the schema's message.
import type { SandboxedJob } from 'bullmq';
import type { QueueJob } from './job.js';
import type { JobResult } from './execute.js';

// The worker gone (SIGKILL, a lost machine): nobody will take this result; its job is taken up by
// another worker once the lock expires. Exiting removes the temporary folder (exit cleanups).
process.on('disconnect', () => process.exit(1));

export default async function processJob(job: SandboxedJob<QueueJob, JobResult>): Promise<JobResult> {
  const [{ executeJob }, { JobError }, { throttledProgress }, { UnrecoverableError }] = await Promise.all([
    import('./execute.js'), import('./job.js'), import('./events.js'), import('bullmq')]);
  const threads = process.env.DOUBLE_DIP_WORKER_THREADS;
  // A stop asked by the web server (serve --queue) through Redis: see stop.ts.
  const url = process.env.DOUBLE_DIP_QUEUE_URL;
  const watch = url && job.id ? await (await import('./stop.js')).watchStop(url, job.id) : undefined;
  try {
    return await executeJob(job.data, {
      threads: threads === undefined ? undefined : Number(threads), device: process.env.DOUBLE_DIP_WORKER_DEVICE,
      onProgress: throttledProgress((p) => { void job.updateProgress(p as never); }), signal: watch?.signal,
    });
  } catch (e) {
    if (e instanceof JobError) throw new UnrecoverableError(e.message);
    if (watch?.signal.aborted) throw new UnrecoverableError((await import('./stop.js')).STOPPED);
    throw e;
  } finally {
    watch?.stop();
  }
}
