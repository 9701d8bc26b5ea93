// A worker of the in-process queue: a process of its own (forked by local.ts) that runs jobs one
// after another, so that N workers split the cores between N processes, libtorch loads once per
// worker, and a native crash ends one job (the queue starts a fresh worker for the next).
//
//   parent -> child  {type: 'run', job, threads?, device?}
//   child -> parent  {type: 'progress', progress} ... then {type: 'done', result} or {type: 'error', message}
// A signal or a parent gone ends the child at once: its job publishes nothing (the temporary
// folder is removed on exit) and a re-run does it whole.
import type { QueueJob } from './job.js';
import type { JobProgress } from './events.js';
import type { JobResult } from './execute.js';

export type ToChild = { type: 'run'; job: QueueJob; threads?: number; device?: string };
export type FromChild = { type: 'progress'; progress: JobProgress } | { type: 'done'; result: JobResult } | { type: 'error'; message: string };

if (process.send && process.argv[2] === '--double-dip-worker') {
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => process.exit(1));
  process.on('disconnect', () => process.exit(1));
  const send = (m: FromChild) => { if (process.connected) process.send!(m); };
  process.on('message', (m: ToChild) => {
    void (async () => {
      const [{ executeJob }, { throttledProgress }] = await Promise.all([import('./execute.js'), import('./events.js')]);
      try {
        const result = await executeJob(m.job, { threads: m.threads, device: m.device, onProgress: throttledProgress((progress) => send({ type: 'progress', progress })) });
        send({ type: 'done', result });
      } catch (e) {
        send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
}
