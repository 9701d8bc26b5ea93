// One job of the in-process queue, in a process of its own (forked by local.ts): N jobs at once
// split the cores between N processes, and a native crash ends one job, not the batch.
//
//   parent -> child  {type: 'run', job, threads?, device?}
//   child -> parent  {type: 'progress', progress} ... then {type: 'done', result} or {type: 'error', message}
// A signal or a parent gone ends the child at once: the job publishes nothing (its temporary
// folder is removed on exit) and a re-run does it whole.
import type { QueueJob } from './job.js';
import type { JobProgress } from './events.js';
import type { JobResult } from './execute.js';

export type ToChild = { type: 'run'; job: QueueJob; threads?: number; device?: string };
export type FromChild = { type: 'progress'; progress: JobProgress } | { type: 'done'; result: JobResult } | { type: 'error'; message: string };

if (process.send && process.argv[2] === '--double-dip-job') {
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => process.exit(1));
  process.on('disconnect', () => process.exit(1));
  const send = (m: FromChild, then?: () => void) => { if (process.connected) process.send!(m, undefined, {}, then); };
  process.once('message', (m: ToChild) => {
    void (async () => {
      const [{ executeJob }, { throttledProgress }] = await Promise.all([import('./execute.js'), import('./events.js')]);
      let last: FromChild;
      try {
        const result = await executeJob(m.job, { threads: m.threads, device: m.device, onProgress: throttledProgress((progress) => send({ type: 'progress', progress })) });
        last = { type: 'done', result };
      } catch (e) {
        last = { type: 'error', message: e instanceof Error ? e.message : String(e) };
      }
      // Exit once the answer has left: the parent reads it before the channel closes.
      if (process.connected) send(last, () => process.exit(0));
      else process.exit(0);
    })();
  });
}
